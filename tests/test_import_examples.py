"""The example files of the import guide (docs/import/examples/``<service>-<sheet>.csv``)
are files a coordinator could upload as they are: each partner service that imports runs
on a real PostgreSQL (the relay off), and every one of its sheets has its example, which
is checked (``check_only``: status ``checked``) and then imported, in the service's order,
so that the next sheets' references find their records. An example of a service or a
sheet that does not import fails."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from franoi_common.service import ServiceDefinition
from franoi_network.api_docs import openapi_of
from franoi_network.registry import PARTNER_SERVICES

from tests.support import RunningService, auth_header, kafka_settings, running

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "import" / "examples"
PARTNER = "p01"
ADMIN = auth_header(PARTNER, "partner_admin")
BY_NAME = {d.name: d for d in PARTNER_SERVICES}


def examples() -> dict[str, dict[str, Path]]:
    """The example files by service and sheet (``housing-units.csv``: housing, units)."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(EXAMPLES.iterdir()):
        service, _, sheet = path.stem.partition("-")
        found.setdefault(service, {})[sheet] = path
    return found


def settings(definition: ServiceDefinition, database_url: str) -> Any:
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    return definition.settings_type(
        env="test",
        database_url=database_url,
        partner_id=PARTNER,
        kafka=kafka,
        relay_enabled=False,
    )


def imports(definition: ServiceDefinition) -> bool:
    """Whether the service declares sheets (its API document has ``/v1/imports/sheets``)."""
    return "/v1/imports/sheets" in openapi_of(definition)["paths"]


def rows_in(path: Path) -> int:
    text = path.read_text(encoding="utf-8-sig")
    return sum(1 for row in csv.reader(io.StringIO(text), delimiter=";") if any(row))


async def upload(client: httpx.AsyncClient, sheet: str, body: bytes, check_only: bool) -> Any:
    answer = await client.post(
        f"/v1/imports/sheets/{sheet}",
        content=body,
        params={"check_only": str(check_only).lower()},
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 202, answer.text
    for _ in range(600):
        found = (await client.get(answer.headers["Location"], headers=ADMIN)).json()
        if found["status"] not in ("checking", "importing"):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{sheet}: the import did not finish")


def test_every_example_is_named_after_a_partner_service_and_housing_has_them() -> None:
    found = examples()
    assert set(found) <= set(BY_NAME), f"no partner service named {set(found) - set(BY_NAME)}"
    assert set(found["housing"]) == {"agreements", "units", "housing_requests", "placements"}
    for service, definition in BY_NAME.items():
        if not imports(definition):
            assert service not in found, f"{service} imports nothing: {found.get(service)}"


@pytest.mark.parametrize("service", [d.name for d in PARTNER_SERVICES if imports(d)])
async def test_the_examples_of_a_service_are_checked_and_imported(
    service: str, databases: Any
) -> None:
    definition = BY_NAME[service]
    url = await databases.create(f"{service}_examples")
    running_service = RunningService(definition, settings(definition, url))
    async with running(running_service):
        client = running_service.client
        listed = await client.get("/v1/imports/sheets", headers=ADMIN)
        assert listed.status_code == 200, listed.text
        sheets = [s["name"] for s in listed.json()]
        given = examples().get(service, {})
        assert set(given) <= set(sheets), f"{service} imports no sheet {set(given) - set(sheets)}"
        assert set(sheets) <= set(given), f"no example of {service}: {set(sheets) - set(given)}"
        for sheet in sheets:  # the service's order: references after what they point to
            path = given[sheet]
            rows = rows_in(path) - 1
            body = path.read_bytes()
            checked = await upload(client, sheet, body, check_only=True)
            assert checked["status"] == "checked", (path.name, checked["problems"])
            assert checked["checked_rows"] == rows >= 3, path.name
            done = await upload(client, sheet, body, check_only=False)
            assert done["status"] == "done", (path.name, done["problems"])
            assert done["tally"]["created"] == rows, (path.name, done["tally"])
