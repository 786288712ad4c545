"""Records a demo plan into a running network through the partner APIs.

Each partner's calls go one at a time, in the plan's order (what happened first is recorded
first); the partners go side by side, as their workers would. A call that meets a server
error or no answer is retried with backoff (the client-chosen ids make a retry harmless);
a refusal (4xx) is kept in the report with the service's reason and the run goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings

from franoi_network.demo.plan import Call, DemoPlan, PartnerProfile

SERVICES = ("cases", "housing", "employment", "hosting", "events")
RETRIES = 8


@dataclass(frozen=True)
class NetworkTarget:
    """Where a network answers: the projection, and each partner's services."""

    projection: str
    services: Mapping[str, Mapping[str, str]]
    """partner id -> service name -> base URL."""
    tokens: Mapping[str, str] = field(default_factory=dict)
    """partner id -> a bearer token with the social worker's and coordinator's roles;
    ``consortium`` -> an analyst's token. Minted with the development key when missing."""

    @classmethod
    def from_file(cls, path: Path) -> NetworkTarget:
        data = json.loads(path.read_text())
        return cls(data["projection"], data["services"], data.get("tokens", {}))

    def write(self, path: Path) -> None:
        path.write_text(
            json.dumps({"projection": self.projection, "services": self.services}, indent=2)
        )

    def token(self, partner: str, auth: AuthSettings) -> str:
        if partner in self.tokens:
            return self.tokens[partner]
        if partner == "consortium":
            return mint_token(
                auth, subject="demo-analyst", partner_id=partner, roles=["consortium_analyst"]
            )
        return mint_token(
            auth,
            subject=f"demo-{partner}",
            partner_id=partner,
            roles=["social_worker", "partner_admin"],
        )


@dataclass
class Refusal:
    partner: str
    method: str
    path: str
    happened_on: str
    status: int
    reason: str


@dataclass
class DemoReport:
    first_day: str
    last_day: str
    calls: int
    sent: int = 0
    late_entries: int = 0
    refused: list[Refusal] = field(default_factory=list)
    seconds: float = 0.0
    expected_key_numbers: dict[str, float] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False))


async def partner_profiles(
    target: NetworkTarget, partners: Sequence[str], auth: AuthSettings, sizes: Mapping[str, float]
) -> list[PartnerProfile]:
    """The partners as the projection's directory describes them (region, axes): the demo
    records only on the axes a partner works on."""
    headers = {"Authorization": f"Bearer {target.token('consortium', auth)}"}
    async with httpx.AsyncClient(base_url=target.projection, headers=headers, timeout=30) as client:
        response = await client.get("/v1/network/partners", params={"limit": 200})
        response.raise_for_status()
        body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    directory = {row["partner_id"]: row for row in rows}
    profiles = []
    for partner in partners:
        row = directory.get(partner)
        if row is None:
            raise ValueError(f"partner {partner} is not in the network's directory")
        axes = frozenset(row["axes"]) & set(target.services.get(partner, {}))
        profiles.append(
            PartnerProfile(partner, row["region"], axes | {"cases"}, sizes.get(partner, 1.0))
        )
    return profiles


async def record(
    plan: DemoPlan,
    target: NetworkTarget,
    *,
    auth: AuthSettings | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Sends every call of the plan; ``progress`` hears of each call sent."""
    auth = auth or AuthSettings()
    report = DemoReport(
        plan.first_day.isoformat(),
        plan.last_day.isoformat(),
        plan.total_calls,
        expected_key_numbers=plan.expected_key_numbers(),
    )
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _record_partner(partner, calls, target, auth, report, progress)
            for partner, calls in plan.calls.items()
        )
    )
    report.seconds = round(time.perf_counter() - started, 1)
    return report


async def _record_partner(
    partner: str,
    calls: Sequence[Call],
    target: NetworkTarget,
    auth: AuthSettings,
    report: DemoReport,
    progress: Callable[[int], None] | None,
) -> None:
    headers = {"Authorization": f"Bearer {target.token(partner, auth)}"}
    clients = {
        name: httpx.AsyncClient(base_url=url, headers=headers, timeout=30)
        for name, url in target.services[partner].items()
    }
    try:
        for call in calls:
            response = await _send(clients[call.service], call)
            if response.status_code >= 400:
                report.refused.append(
                    Refusal(
                        partner,
                        call.method,
                        call.path,
                        call.happened_on.isoformat(),
                        response.status_code,
                        _reason(response),
                    )
                )
            else:
                report.sent += 1
                report.late_entries += call.late
            if progress is not None:
                progress(1)
    finally:
        for client in clients.values():
            await client.aclose()


async def _send(client: httpx.AsyncClient, call: Call) -> httpx.Response:
    delay = 0.2
    for attempt in range(RETRIES):
        try:
            response = await client.request(call.method, call.path, json=call.body)
        except httpx.TransportError:
            if attempt == RETRIES - 1:
                raise
        else:
            if response.status_code < 500 or attempt == RETRIES - 1:
                return response
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


def _reason(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        reason = str(body.get("detail") or body.get("title") or body)
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            reason += f": {errors[0].get('msg')}"
        return reason[:300]
    return str(body)[:300]


def today() -> dt.date:
    return dt.date.today()
