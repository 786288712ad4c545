"""The hosting pipeline end to end: hosting API → outbox → Kafka → projection.

Real PostgreSQL, a real broker, the services' real apps on loopback ports. Every
hosting event type is produced through the API, published by the relay, read
back from the partner's topic (each record valid against its published schema,
none carrying a family member's name, address or contact, nor a person's
identifier) and applied by the projection's consumer to the network view.

The broker may hold this topic's events from earlier runs (a long-lived test
broker): the run dates its facts in a month picked at random and reads back
only the records whose event ids its own outbox holds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
from franoi_common.envelope import decode
from franoi_contracts import hosting as ev
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    read_records,
    running,
)

PARTNER = "p20"
TODAY = dt.date(random.randint(2001, 2098), random.randint(1, 12), 28)
"""The run's "today": a month of its own, so other runs' events do not mix into its view."""
SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "events" / "schemas"
SECRETS = {
    "names": ["Giulia Bianchi", "Marco Rossi", "Bianchi", "Giulia"],
    "address": ["Via Padova 12", "Padova", "20127"],
    "contacts": ["+39 333 1234567", "333 1234567", "giulia.bianchi@example.org", "example.org"],
    "identifiers": ["PIPEAA90A01F205X", "PIPEBB90A01F205X", "PIPECC90A01F205X"],
}
PRIVATE = {
    "members": [{"full_name": "Giulia Bianchi", "relationship": "mother"},
                {"full_name": "Marco Rossi"}],
    "address": "Via Padova 12, 20127 Milano",
    "phone": "+39 333 1234567",
    "email": "giulia.bianchi@example.org",
}  # fmt: skip


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def coarse() -> dict[str, str]:
    return {"sex": "female", "age_band": "25-34", "protection_status": "subsidiary_protection"}


async def test_every_hosting_event_reaches_the_network_view_without_private_data(
    databases, kafka_bootstrap, kafka_idempotent
) -> None:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    hosting_url = await databases.create("hosting")
    hosting = RunningService(HOSTING, partner_service_settings(hosting_url, kafka, [PARTNER]))
    projection = RunningService(
        PROJECTION, projection_settings(await databases.create("projection"), kafka, [PARTNER])
    )
    headers = auth_header(PARTNER)
    async with running(hosting, projection):
        c = hosting.client

        async def ok(method: str, url: str, body: dict[str, Any], status: int = 200) -> Any:
            response = await c.request(method, url, json=body, headers=headers)
            assert response.status_code == status, response.text
            return response.json()

        def family(rooms: int) -> dict[str, Any]:
            return {
                "municipality_code": "F205", "rooms_offered": rooms, "household_size": 3,
                "languages": ["it", "fr"], "applied_on": day(-60), "private": PRIVATE,
            }  # fmt: skip

        host = await ok("POST", "/v1/families", family(3), 201)
        fid = host["family_id"]
        await ok("POST", f"/v1/families/{fid}/assess",
                 {"interview_on": day(-55), "home_visit_on": day(-50)})  # fmt: skip
        await ok("POST", f"/v1/families/{fid}/approve", {"approved_on": day(-45)})
        await ok("PATCH", f"/v1/families/{fid}", {"household_size": 4, "private": PRIVATE})
        await ok("POST", f"/v1/families/{fid}/pause", {"paused_on": day(-44)})
        await ok("POST", f"/v1/families/{fid}/resume", {"resumed_on": day(-43)})
        rejected = await ok("POST", "/v1/families", family(1), 201)
        await ok("POST", f"/v1/families/{rejected['family_id']}/reject",
                 {"rejected_on": day(-40), "reason": "availability_insufficient"})  # fmt: skip
        gone = await ok("POST", "/v1/families", family(2), 201)
        await ok("POST", f"/v1/families/{gone['family_id']}/withdraw",
                 {"withdrawn_on": day(-40)})  # fmt: skip

        def request(identifier: str, kind: str) -> dict[str, Any]:
            return {"person_identifier": identifier, "kind": kind, "household_size": 2,
                    "submitted_on": day(-42), **coarse()}  # fmt: skip

        r1 = await ok("POST", "/v1/requests", request("PIPEAA90A01F205X", "hosting"), 201)
        r2 = await ok("POST", "/v1/requests", request("PIPEBB90A01F205X", "childcare"), 201)
        r3 = await ok("POST", "/v1/requests", request("PIPECC90A01F205X", "school_support"), 201)
        r4 = await ok("POST", "/v1/requests", request("PIPEBB90A01F205X", "care_duties"), 201)
        await ok("POST", f"/v1/requests/{r2['request_id']}/satisfy", {"closed_on": day(-30)})
        await ok("POST", f"/v1/requests/{r3['request_id']}/unsatisfied",
                 {"closed_on": day(-30), "reason": "not_eligible"})  # fmt: skip
        await ok("POST", f"/v1/requests/{r4['request_id']}/withdraw", {"closed_on": day(-30)})

        def proposal(identifier: str, **more: Any) -> dict[str, Any]:
            return {"person_identifier": identifier, "family_id": fid,
                    "proposed_on": day(-35), **more}  # fmt: skip

        m1 = await ok(
            "POST", "/v1/matches", proposal("PIPEAA90A01F205X", request_id=r1["request_id"]), 201
        )
        m2 = await ok("POST", "/v1/matches", proposal("PIPEBB90A01F205X"), 201)
        m3 = await ok("POST", "/v1/matches", proposal("PIPECC90A01F205X"), 201)
        await ok("POST", f"/v1/matches/{m1['match_id']}/accept", {"accepted_on": day(-32)})
        await ok("POST", f"/v1/matches/{m2['match_id']}/decline",
                 {"declined_on": day(-32), "declined_by": "family"})  # fmt: skip
        await ok("POST", f"/v1/matches/{m3['match_id']}/accept", {"accepted_on": day(-32)})
        await ok("POST", f"/v1/matches/{m3['match_id']}/cancel",
                 {"cancelled_on": day(-31), "cancelled_by": "guest"})  # fmt: skip
        stay = await ok("POST", "/v1/stays", {
            "match_id": m1["match_id"], "started_on": day(-30), "planned_months": 3,
            "monthly_contribution_eur": 250, **coarse(),
        }, 201)  # fmt: skip
        sid = stay["stay_id"]
        await ok("POST", f"/v1/stays/{sid}/visits", {"visited_on": day(-20),
                 "guest_wellbeing": 2, "family_wellbeing": 4, "flags": ["work"]}, 201)  # fmt: skip
        await ok("POST", f"/v1/stays/{sid}/extend", {"planned_months": 6})
        await ok("POST", f"/v1/stays/{sid}/end",
                 {"ended_on": day(-1), "outcome": "completed_with_autonomy"})  # fmt: skip

        db = await asyncpg.connect(hosting_url)
        try:
            event_ids = {str(r["event_id"]) for r in await db.fetch("SELECT event_id FROM outbox")}
            published = len(event_ids)
            await eventually(lambda: _sent(db, published), timeout_s=60)  # the relay sent all
        finally:
            await db.close()
        expected = {
            "families_applied": 3,
            "families_approved": 1,
            "families_active_added": 1,  # a stock: earlier runs' families may count too
            "requests_submitted": 4,
            "requests_satisfied": 2,  # the hosting request by its stay, and childcare
            "requests_unsatisfied": 1,
            "satisfaction": (2, 4),
            "matches_proposed": 3,
            "matches_accepted": 2,
            "stays_started": 1,
            "stays_ended_by_outcome": {"completed_with_autonomy": 1},
            "stays_visited": 1,
            "wellbeing_shown": False,  # fewer than 5 stays visited
        }
        # different aggregates travel on different partitions: wait for all of them
        seen_last: list[dict[str, Any]] = []
        try:
            await eventually(lambda: _summary_once(projection, expected, seen_last), 60)
        finally:
            assert seen_last and seen_last[-1] == expected

    records = await _read_topic(kafka_bootstrap, f"franoi.{PARTNER}.hosting.v1", event_ids)
    seen: dict[str, int] = {}
    for record in records:
        envelope = decode(record.headers, record.value)
        assert envelope.id in event_ids
        schema = json.loads((SCHEMAS / f"{envelope.type}.json").read_text())
        assert envelope.dataschema == schema["$id"]
        jsonschema.validate(envelope.data, schema)  # additionalProperties: false
        assert record.key == envelope.subject.encode()
        assert envelope.partnerid == PARTNER
        text = (record.value.decode() + repr(record.headers)).lower()
        for kind, secrets in SECRETS.items():
            for secret in secrets:
                # as a token: "20127" inside a random id's hex is no postal code
                assert not _token(secret.lower(), text), f"{kind} leaked into {envelope.type}"
        assert not re.search(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}", text), "an e-mail"
        assert not _token("3331234567", text.replace(" ", "")), "the phone number"
        seen[envelope.type] = seen.get(envelope.type, 0) + 1
    assert set(seen) == {cls.TYPE for cls in ev.HOSTING_EVENTS}, seen
    assert sum(seen.values()) == published


async def _sent(db: asyncpg.Connection, published: int) -> bool:
    sent = await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
    return bool(sent == published)


async def _summary_once(
    projection: RunningService, expected: dict[str, Any], seen: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The run's figures, summed over its months, once they are all in the view."""
    status = (await projection.client.get("/v1/consumer/status", headers=ANALYST)).json()
    assert status["dead_letters"] == 0, status
    first = (TODAY - dt.timedelta(days=100)).strftime("%Y-%m")  # a month before the first fact
    response = await projection.client.get(
        "/v1/hosting/monthly",
        params={"partner_id": PARTNER, "from": first, "to": TODAY.strftime("%Y-%m")},
        headers=ANALYST,
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]

    def total(name: str) -> int:
        return sum(int(row[name]) for row in rows)

    outcomes: dict[str, int] = {}
    for row in rows:
        for outcome, n in row["stays_ended_by_outcome"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    summary = {
        "families_applied": total("families_applied"),
        "families_approved": total("families_approved"),
        "families_active_added": rows[-1]["families_active"] - rows[0]["families_active"],
        "requests_submitted": total("requests_submitted"),
        "requests_satisfied": total("requests_satisfied"),
        "requests_unsatisfied": total("requests_unsatisfied"),
        "satisfaction": (
            sum(row["requests_satisfaction"]["numerator"] for row in rows),
            sum(row["requests_satisfaction"]["denominator"] for row in rows),
        ),
        "matches_proposed": total("matches_proposed"),
        "matches_accepted": total("matches_accepted"),
        "stays_started": total("stays_started"),
        "stays_ended_by_outcome": outcomes,
        "stays_visited": sum(row["wellbeing"]["stays_visited"] for row in rows),
        "wellbeing_shown": any(row["wellbeing"]["guest_average"] is not None for row in rows),
    }
    seen.append(summary)
    return summary if summary == expected else None


async def _read_topic(bootstrap: str, topic: str, event_ids: set[str]) -> list[Any]:
    """This run's records of the topic (others' runs may have left theirs)."""
    return await read_records(
        bootstrap, [topic], lambda r: r if _event_id(r) in event_ids else None, count=len(event_ids)
    )


def _event_id(record: Any) -> str:
    return next((v.decode() for k, v in record.headers if k == "ce_id"), "")


def _token(needle: str, text: str) -> bool:
    """``needle`` in ``text`` with no letter or digit right before or after it."""
    return re.search(rf"(?<![0-9a-z]){re.escape(needle)}(?![0-9a-z])", text) is not None
