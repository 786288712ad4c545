"""The network cases view: exact figures on persons and individual plans over several
months, from events applied through the projection's real handler and database.

(The pipeline test drives the same events through the cases API and Kafka.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from franoi_common.consumer import Unprocessable
from franoi_common.envelope import Envelope
from franoi_contracts import cases as ev
from franoi_contracts.base import DomainEvent
from franoi_projection.projectors.handler import HANDLER

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    envelope_of,
    kafka_settings,
    monthly_view,
    projection_only,
)

D = dt.date
PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
AXES = ["housing", "work"]


def ref(n: int) -> str:
    return f"{n:064x}"


def envelope(partner: str, event: DomainEvent) -> Envelope:
    return envelope_of(partner, "cases", event)


async def apply(pool: asyncpg.Pool, partner: str, *events: DomainEvent) -> None:
    for event in events:
        async with pool.acquire() as conn, conn.transaction():
            await HANDLER.apply_one(conn, envelope_of(partner, "cases", event))


@pytest.fixture
async def projection(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    async with projection_only(databases, kafka, ["p18", "p19"]) as served:
        yield served


async def figures(service: RunningService, partner: str, first: dt.date, last: dt.date) -> Any:
    """The cases view (``GET /v1/cases/monthly``) of the partner, by month."""
    period = {"from": first.strftime("%Y-%m"), "to": last.strftime("%Y-%m")}
    body = await monthly_view(service, "cases", partner_id=partner, **period)
    return {row["month"]: row for row in body["rows"]}


def opened(plan: uuid.UUID, person: int, on: dt.date) -> ev.PlanOpened:
    return ev.PlanOpened(
        plan_id=plan, person_ref=ref(person), opened_on=on, axes=AXES, planned_months=12
    )


async def test_monthly_cases_figures(projection) -> None:
    service, pool = projection
    persons = [uuid.uuid4() for _ in range(4)]
    plans = [uuid.uuid4() for _ in range(5)]
    await apply(
        pool,
        "p18",
        *[ev.PersonRegistered(person_id=persons[i], person_ref=ref(i),
                              registered_on=D(2026, 9, 5 + i), **PERSON) for i in range(3)],
        ev.PersonRegistered(person_id=persons[3], person_ref=ref(3),
                            registered_on=D(2026, 10, 1), **PERSON),
        opened(plans[0], 0, D(2026, 9, 10)),
        opened(plans[1], 1, D(2026, 9, 20)),
        opened(plans[2], 2, D(2026, 10, 2)),
        ev.PlanReviewed(plan_id=plans[0], reviewed_on=D(2026, 10, 10),
                        progress=[{"axis": "work", "progress": "achieved"}]),
        ev.PlanClosed(plan_id=plans[0], closed_on=D(2026, 10, 31),
                      outcome="completed_autonomy_reached"),
        ev.PlanClosed(plan_id=plans[1], closed_on=D(2026, 11, 3), outcome="interrupted",
                      interruption_reason="lost_contact"),
        opened(plans[3], 0, D(2026, 11, 5)),
        ev.PlanClosed(plan_id=plans[2], closed_on=D(2026, 11, 20),
                      outcome="completed_autonomy_reached"),
        opened(plans[4], 3, D(2026, 11, 25)),
    )  # fmt: skip
    # Another partner's plan never shows in p18's figures.
    await apply(pool, "p19", opened(uuid.uuid4(), 9, D(2026, 10, 1)))

    rows = await figures(service, "p18", D(2026, 9, 1), D(2026, 11, 1))
    sep, oct_, nov = rows["2026-09"], rows["2026-10"], rows["2026-11"]
    assert [r["persons_registered"] for r in (sep, oct_, nov)] == [3, 1, 0]
    assert [r["plans_opened"] for r in (sep, oct_, nov)] == [2, 1, 2]
    assert [r["active_plans"] for r in (sep, oct_, nov)] == [2, 3, 4]
    assert [r["plans_closed"] for r in (sep, oct_, nov)] == [0, 1, 2]
    assert sep["closed_by_outcome"] == {}
    assert oct_["closed_by_outcome"] == {"completed_autonomy_reached": 1}
    assert nov["closed_by_outcome"] == {"interrupted": 1, "completed_autonomy_reached": 1}
    assert [r["autonomy_reached"] for r in (sep, oct_, nov)] == [0, 1, 1]
    other = await figures(service, "p19", D(2026, 10, 1), D(2026, 10, 1))
    assert other["2026-10"]["plans_opened"] == 1
    assert other["2026-10"]["persons_registered"] == 0

    async with pool.acquire() as conn:
        plan = await conn.fetchrow("SELECT * FROM cases_plans WHERE plan_id = $1", plans[0])
    assert plan["reviews"] == 1 and plan["last_progress"] == {"work": "achieved"}
    assert plan["outcome"] == "completed_autonomy_reached"


async def test_batches_of_one_type_apply_set_wise_in_any_aggregate_order(projection) -> None:
    service, pool = projection
    plans = [uuid.uuid4() for _ in range(3)]
    batches: list[list[DomainEvent]] = [
        [opened(p, i, D(2026, 1, 10 + i)) for i, p in reversed(list(enumerate(plans)))],
        [
            ev.PlanReviewed(plan_id=p, reviewed_on=D(2026, 2, 1),
                            progress=[{"axis": "housing", "progress": "in_progress"}])
            for p in plans
        ],
        [
            ev.PlanReviewed(plan_id=p, reviewed_on=D(2026, 3, 1),
                            progress=[{"axis": "housing", "progress": "achieved"}])
            for p in plans
        ],
        [
            ev.PlanClosed(plan_id=plans[1], closed_on=D(2026, 3, 5), outcome="transferred"),
            ev.PlanClosed(plan_id=plans[0], closed_on=D(2026, 3, 5),
                          outcome="completed_autonomy_reached"),
        ],
    ]  # fmt: skip
    for batch in batches:
        async with pool.acquire() as conn, conn.transaction():
            await HANDLER.apply_batch(conn, [("p18", e) for e in batch])
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT plan_id, reviews, last_reviewed_on, last_progress, outcome FROM cases_plans"
            " WHERE partner_id = 'p18' ORDER BY opened_on"
        )
    assert [r["plan_id"] for r in rows] == plans
    assert all(r["reviews"] == 2 and r["last_reviewed_on"] == D(2026, 3, 1) for r in rows)
    assert all(r["last_progress"] == {"housing": "achieved"} for r in rows)
    assert [r["outcome"] for r in rows] == ["completed_autonomy_reached", "transferred", None]
    march = (await figures(service, "p18", D(2026, 3, 1), D(2026, 3, 1)))["2026-03"]
    assert (march["active_plans"], march["plans_closed"], march["autonomy_reached"]) == (3, 2, 1)


async def test_an_event_with_an_identifier_is_refused(projection) -> None:
    _, pool = projection
    event = ev.PersonRegistered(
        person_id=uuid.uuid4(), person_ref=ref(1), registered_on=D(2026, 1, 1), **PERSON
    )
    bad = envelope("p18", event)
    bad = dataclasses.replace(bad, data={**bad.data, "family_name": "Okonkwo"})
    async with pool.acquire() as conn:
        with pytest.raises(Exception) as raised:
            async with conn.transaction():
                await HANDLER.apply_one(conn, bad)
        assert await conn.fetchval("SELECT count(*) FROM cases_persons") == 0
    assert isinstance(raised.value, (Unprocessable, ValueError))


async def test_the_cases_view_over_http_for_consortium_analysts_only(projection) -> None:
    service, pool = projection
    await apply(
        pool,
        "p18",
        ev.PersonRegistered(
            person_id=uuid.uuid4(), person_ref=ref(7), registered_on=D(2026, 4, 2), **PERSON
        ),
        opened(uuid.uuid4(), 7, D(2026, 4, 3)),
    )
    params = {"from": "2026-04", "to": "2026-05", "partner_id": "p18"}
    response = await service.client.get("/v1/cases/monthly", params=params, headers=ANALYST)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["first_month"], body["last_month"]) == ("2026-04", "2026-05")
    april, may = body["rows"]
    assert (april["month"], april["persons_registered"], april["plans_opened"]) == ("2026-04", 1, 1)
    assert (may["persons_registered"], may["plans_opened"], may["active_plans"]) == (0, 0, 1)
    assert april["closed_by_outcome"] == {} and april["autonomy_reached"] == 0
    assert "person_ref" not in response.text and ref(7) not in response.text
    by_region = await service.client.get(
        "/v1/cases/monthly", params={"from": "2026-04", "to": "2026-04"}, headers=ANALYST
    )
    assert {r["partner_id"] for r in by_region.json()["rows"]} >= {"p18", "p19"}
    for headers, status in [
        (auth_header("p18", "partner_admin"), 403),
        (auth_header("consortium", "social_worker"), 403),
        ({}, 401),
    ]:
        refused = await service.client.get("/v1/cases/monthly", params=params, headers=headers)
        assert refused.status_code == status
    for bad in (
        {"from": "2026-13"},
        {"from": "2026-05", "to": "2026-04"},
        {"partner_id": "Turin"},
        {"from": "1999-12"},
    ):
        refused = await service.client.get("/v1/cases/monthly", params=bad, headers=ANALYST)
        assert refused.status_code == 422, refused.text
