"""Labs held once, without a series, in the network's key numbers: end to end, from the
events API through its outbox and Kafka to the projection's key numbers and its
partner-by-month view (which read the same counters, so they cannot disagree).

docs/domains/events.md: "A lab held once, without a series, is a lab of its own: its
participants are its distinct participants." The catalogue counts it as one lab, with its
participants, and as one event held, with its attendances.

Topics outlive a test run (the consumer reads them from the start): the run records its
labs in a month of its own, picked at random in the past.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)

PARTNER = "p37"
LABS = ((12, 7, 2), (15, 9, 3), (10, 6, 1))
"""Participants, of whom beneficiaries and volunteers, of each lab held once."""


@pytest.fixture
async def pipeline(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    events = RunningService(
        EVENTS, partner_service_settings(await databases.create("events"), kafka, [PARTNER])
    )
    projection = RunningService(
        PROJECTION, projection_settings(await databases.create("projection"), kafka, [PARTNER])
    )
    async with running(events, projection):
        yield events, projection


async def _post(service: RunningService, path: str, body: dict[str, Any], status: int) -> Any:
    response = await service.client.post(
        path, json=body, headers=auth_header(PARTNER, "social_worker")
    )
    assert response.status_code == status, response.text
    return response.json()


async def _read(projection: RunningService, path: str, month: str) -> Any:
    params = {"partner_id": PARTNER, "from": month, "to": month}
    response = await projection.client.get(path, params=params, headers=ANALYST)
    assert response.status_code == 200, response.text
    return response.json()


async def test_labs_held_once_count_in_the_key_numbers(pipeline) -> None:
    events, projection = pipeline
    month = dt.date(random.randint(2001, 2025), random.randint(1, 12), 1)
    label = month.strftime("%Y-%m")
    for day, (participants, beneficiaries, volunteers) in enumerate(LABS, start=3):
        on = month.replace(day=day).isoformat()
        lab = await _post(
            events,
            "/v1/community-events",
            {
                "kind": "socialisation_lab",
                "title": "Laboratorio di cucina",
                "municipality_code": "H026",
                "starts_on": on,
                "duration_minutes": 120,
            },
            201,
        )
        assert lab["lab_series_id"] is None  # a lab of its own
        await _post(
            events,
            f"/v1/community-events/{lab['community_event_id']}/hold",
            {
                "held_on": on,
                "participants": participants,
                "beneficiaries": beneficiaries,
                "volunteers": volunteers,
            },
            200,
        )
    attending = sum(p for p, _, _ in LABS)

    async def key_numbers() -> dict[str, Any] | None:
        body = await _read(projection, "/v1/network/key-numbers", label)
        values = {row["indicator_id"]: row["value"] for row in body["rows"]}
        return values if values["events_socialisation_labs"] == len(LABS) else None

    values = await eventually(key_numbers, timeout_s=60)
    assert values["events_socialisation_labs"] == 3
    assert values["events_socialisation_lab_participants"] == attending == 37
    assert values["events_held"] == 3
    assert values["events_participants"] == 37
    assert values["events_community_labs"] == values["events_community_lab_beneficiaries"] == 0

    [row] = (await _read(projection, "/v1/events/monthly", label))["rows"]
    assert (row["labs_completed"], row["lab_distinct_participants"]) == (3, 37)
    assert (row["events_held"], row["participants"]) == (3, 37)
    assert (row["labs_active"], row["lab_sessions_held"]) == (3, 3)
    assert row["events_held_by_kind"] == {"socialisation_lab": 3}
    assert (row["beneficiaries"], row["volunteers"]) == (22, 6)
