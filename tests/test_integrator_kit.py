"""The integrator kit against the network: a real housing service writes events through its
outbox and relay to a real Kafka broker, and the kit's example (FastStream, its own
consumer group) reads them as contract models. A relay that sends its rows again (what a
relay stopped between the broker's acknowledgement and its mark does) puts every event
on the topic a second time, older after newer: the handler still sees each once, in
order. Restarted in the same group, the subscriber goes on from its committed offsets."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from franoi_contracts.housing import (
    PlacementEnded,
    PlacementStarted,
    RequestSatisfied,
    RequestSubmitted,
    UnitRegistered,
)
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_integrator_kit import MemoryStore, Outcome
from franoi_integrator_kit.example import PlacementsUnderWay, build

from tests.support import (
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    running,
)

PARTNER = "p57"
TODAY = dt.date.today()


@pytest.fixture
async def housing(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    service = RunningService(
        HOUSING, partner_service_settings(await databases.create("housing_kit"), kafka, [PARTNER])
    )
    async with running(service):
        yield service


async def post(service: RunningService, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.post(path, json=body, headers=auth_header(PARTNER))
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def a_placement_begun_and_ended(service: RunningService) -> dict[str, str]:
    """Its unit, request and placement ids."""
    person = {
        "person_identifier": "RSSMRA80A01H501U",
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
    }
    unit = await post(
        service,
        "/v1/units",
        {
            "municipality_code": "L219",
            "beds": 4,
            "monthly_rent_eur": 450,
            "rent_regime": "agreed",
            "provider": "private_owner",
            "available_from": (TODAY - dt.timedelta(days=30)).isoformat(),
        },
    )
    request = await post(
        service,
        "/v1/requests",
        {
            **person,
            "household_size": 2,
            "need": "exit_from_reception",
            "submitted_on": TODAY.isoformat(),
        },
    )
    placement = await post(
        service,
        "/v1/placements",
        {
            **person,
            "unit_id": unit["unit_id"],
            "request_id": request["request_id"],
            "household_size": 2,
            "started_on": TODAY.isoformat(),
        },
    )
    await post(
        service,
        f"/v1/placements/{placement['placement_id']}/end",
        {"ended_on": TODAY.isoformat(), "exit_outcome": "autonomous_rent"},
    )
    return {
        "unit": unit["unit_id"],
        "request": request["request_id"],
        "placement": placement["placement_id"],
    }


def by_aggregate(handler: PlacementsUnderWay) -> dict[str, list[tuple[type, int | None]]]:
    """What the handler saw of each aggregate, in the order it saw it (Kafka keeps the order
    of one aggregate's events, not across aggregates: they may be on other partitions)."""
    seen: dict[str, list[tuple[type, int | None]]] = {}
    for received in handler.seen:
        seen.setdefault(received.aggregate_id, []).append((type(received.event), received.sequence))
    return seen


async def test_the_example_reads_the_network_once_in_order(housing, kafka_bootstrap) -> None:
    ids = await a_placement_begun_and_ended(housing)
    group = f"integrator-test-{uuid.uuid4().hex[:8]}"
    handler = PlacementsUnderWay(quiet=True)
    broker, reader = build(
        kafka_bootstrap, handler, group_id=group, store=MemoryStore(), partners=[PARTNER]
    )
    async with broker:
        await broker.start()
        await eventually(lambda: _at_least(handler, 5), timeout_s=60)
        # typed events from the contract, each with its aggregate's sequence
        first = by_aggregate(handler)
        assert first == {
            ids["unit"]: [(UnitRegistered, 1)],
            ids["request"]: [(RequestSubmitted, 1), (RequestSatisfied, 2)],
            ids["placement"]: [(PlacementStarted, 1), (PlacementEnded, 2)],
        }
        assert all(r.partner_id == PARTNER for r in handler.seen)
        assert handler.by_partner == {PARTNER: set()}

        # The relay sends every row again: each event a second time on the topic,
        # the placement's start after its end.
        database = await asyncpg.connect(housing.settings.database_url)
        try:
            resent = await database.execute("UPDATE outbox SET sent_at = NULL")
        finally:
            await database.close()
        assert resent == "UPDATE 5"
        await eventually(lambda: _dropped(reader.outcomes, 5), timeout_s=60)
        assert reader.outcomes[Outcome.STALE] >= 2  # the placement's and the request's first
        assert len(handler.seen) == 5
        assert by_aggregate(handler) == first

    # The same group again, with a store that remembers nothing: the committed offsets
    # alone keep it from reading the first events again; a new event comes through.
    again = PlacementsUnderWay(quiet=True)
    broker, reader = build(
        kafka_bootstrap, again, group_id=group, store=MemoryStore(), partners=[PARTNER]
    )
    async with broker:
        await broker.start()
        await post(
            housing,
            "/v1/requests",
            {
                "person_identifier": "VRDGPP80A01H501U",
                "sex": "male",
                "age_band": "35-44",
                "protection_status": "subsidiary_protection",
                "household_size": 1,
                "need": "exit_from_reception",
                "submitted_on": TODAY.isoformat(),
            },
        )
        await eventually(lambda: _at_least(again, 1), timeout_s=60)
    assert [(type(r.event), r.sequence) for r in again.seen] == [(RequestSubmitted, 1)]


async def _at_least(handler: PlacementsUnderWay, count: int) -> bool:
    return len(handler.seen) >= count


async def _dropped(outcomes: Any, count: int) -> bool:
    return outcomes[Outcome.DUPLICATE] + outcomes[Outcome.STALE] >= count
