"""The cases pipeline end to end: cases API → outbox → Kafka → projection → network view.

Real PostgreSQL, a real broker, the services' real apps on loopback ports. Every
cases event type travels; what reaches the topic carries no identity of the person.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path
from typing import Any

import jsonschema
from aiokafka import AIOKafkaConsumer
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.envelope import decode
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    projection_settings,
    running,
)
from tests.test_cases_api import TAX_CODE, cases_settings, person_body

# The broker outlives a test run and the topic keeps earlier runs' events, which a new
# projection replays: this run's events fall in a month of their own.
BASE = dt.date(random.randint(2040, 2099), random.randint(1, 12), 1)
MONTH = BASE.strftime("%Y-%m")
SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "events" / "schemas"
SECRETS = ("Ngozi", "Okonk", "Chidi", "1990-01-01", TAX_CODE, "PS7654321", "7654321", "Sarta")


def day(offset: int = 0) -> str:
    return (BASE + dt.timedelta(days=offset)).isoformat()


async def test_plan_events_reach_the_projection(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    cases = RunningService(CASES, cases_settings(await databases.create("cases"), kafka, ["p12"]))
    projection = RunningService(
        PROJECTION, projection_settings(await databases.create("projection"), kafka, ["p12"])
    )
    h = auth_header("p12")
    async with running(cases, projection):
        c = cases.client

        async def ok(method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await c.request(method, url, json=body, headers=h)
            assert response.status_code in (200, 201), response.text
            result: dict[str, Any] = response.json()
            return result

        ngozi = await ok("POST", "/v1/persons", person_body(registered_on=day()))
        chidi = await ok("POST", "/v1/persons", person_body(
            given_names="Chidi", family_name="Okonkwo", sex="male", born_on="2001-02-03",
            tax_code=None, registered_on=day(),
        ))  # fmt: skip
        chidi = await ok("PATCH", f"/v1/persons/{chidi['person_id']}",
                 {"residence_permit_number": "PS7654321"})  # fmt: skip
        first = await ok("POST", "/v1/plans", {
            "person_id": ngozi["person_id"], "opened_on": day(), "axes": ["housing", "work"],
            "goals": {"work": ["Sarta"]}, "planned_months": 12,
        })  # fmt: skip
        await ok("POST", f"/v1/plans/{first['plan_id']}/review",
                 {"reviewed_on": day(), "progress": {"work": "achieved"}})  # fmt: skip
        await ok("POST", f"/v1/plans/{first['plan_id']}/close",
                 {"closed_on": day(), "outcome": "completed_autonomy_reached"})  # fmt: skip
        second = await ok("POST", "/v1/plans", {
            "person_id": chidi["person_id"], "opened_on": day(), "axes": ["language"],
            "planned_months": 6,
        })  # fmt: skip
        third = await ok("POST", "/v1/plans", {
            "person_id": ngozi["person_id"], "opened_on": day(), "axes": ["family"],
            "planned_months": 3,
        })  # fmt: skip
        await ok("POST", f"/v1/plans/{third['plan_id']}/close", {
            "closed_on": day(), "outcome": "interrupted", "interruption_reason": "lost_contact",
        })  # fmt: skip

        async def month() -> dict[str, Any] | None:
            response = await projection.client.get(
                "/v1/cases/monthly",
                params={"partner_id": "p12", "from": MONTH, "to": MONTH},
                headers=ANALYST,
            )
            assert response.status_code == 200, response.text
            row: dict[str, Any] = response.json()["rows"][0]
            done = row["plans_closed"] == 2 and row["persons_registered"] == 2
            return row if done and row["plans_opened"] == 3 else None

        row = await eventually(month, timeout_s=60)
        # All three were open during the month (and plans of earlier runs still open are
        # active too: the exact figure is checked in test_cases_projection).
        assert row["active_plans"] >= 3
        assert row["closed_by_outcome"] == {"completed_autonomy_reached": 1, "interrupted": 1}
        assert row["autonomy_reached"] == 1

        async def reviewed() -> bool:
            async with projection.app.state.pool.acquire() as conn:
                plan = await conn.fetchrow(
                    "SELECT reviews, last_progress, person_ref FROM cases_plans WHERE plan_id = $1",
                    uuid.UUID(first["plan_id"]),
                )
            return bool(plan and plan["reviews"] == 1 and plan["person_ref"] == ngozi["person_ref"])

        assert await eventually(reviewed)
        assert second["person_ref"] == chidi["person_ref"] != ngozi["person_ref"]

    mine = {ngozi["person_id"], chidi["person_id"], first["plan_id"], second["plan_id"]}
    mine.add(third["plan_id"])
    consumer = AIOKafkaConsumer(
        "franoi.p12.cases.v1", bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    types: list[str] = []
    try:
        idle = 0
        while idle < 3:
            batches = await consumer.getmany(timeout_ms=1000)
            records = [r for batch in batches.values() for r in batch]
            idle = 0 if records else idle + 1
            for record in records:
                envelope = decode(record.headers, record.value)
                if envelope.subject not in mine:
                    continue  # an earlier run's
                types.append(envelope.type.split(".")[3] + "." + envelope.type.split(".")[4])
                schema = json.loads((SCHEMAS / f"{envelope.type}.json").read_text())
                assert envelope.dataschema == schema["$id"]
                jsonschema.validate(envelope.data, schema)  # additionalProperties: false
                assert record.key == envelope.subject.encode()
                assert envelope.partnerid == "p12" and envelope.source == "/partners/p12/cases"
                text = record.value.decode() + repr(record.headers) + json.dumps(envelope.data)
                for secret in SECRETS:
                    assert secret not in text, f"{secret} in {envelope.type}"
    finally:
        await consumer.stop()
    assert sorted(types) == sorted(
        ["person.registered"] * 2 + ["plan.opened"] * 3 + ["plan.reviewed"] + ["plan.closed"] * 2
    )
