"""The community-events pipeline end to end: events API → outbox → Kafka → projection.

Real PostgreSQL, a real broker, the services' real apps on loopback ports.
Topics outlive a test run (the consumer reads them from the start), so each run
records its facts in a month of its own, picked at random in the past, and
closes its hubs within it: figures of earlier runs never fall in this run's month.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiokafka import AIOKafkaProducer
from franoi_common.envelope import Envelope, decode, encode
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
    read_records,
    running,
)

PARTNER, OTHER = "p26", "p27"
SCHEMAS = Path(__file__).resolve().parent.parent / "docs/events/schemas"
IDENTIFIER = "BNCLRA85M41Z330T"
TITLE = "Laboratorio di cucina con Maria Bianchi"


def random_month() -> dt.date:
    """The first day of a month between 2001 and 2025: this run's own month (one in 300)."""
    return dt.date(random.randint(2001, 2025), random.randint(1, 12), 1)


def on(month: dt.date, day: int) -> str:
    return month.replace(day=day).isoformat()


@pytest.fixture(scope="module")
async def pipeline(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    partners = (PARTNER, OTHER)
    events = RunningService(
        EVENTS, partner_service_settings(await databases.create("events"), kafka, partners)
    )
    projection = RunningService(
        PROJECTION, projection_settings(await databases.create("projection"), kafka, partners)
    )
    async with running(events, projection):
        yield events, projection


async def events_month(projection: RunningService, partner: str, month: dt.date) -> dict[str, Any]:
    label = month.strftime("%Y-%m")
    response = await projection.client.get(
        "/v1/events/monthly",
        params={"partner_id": partner, "from": label, "to": label},
        headers=ANALYST,
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    result: dict[str, Any] = row
    return result


async def _has(projection: RunningService, partner: str, month: dt.date, **want: Any) -> Any:
    row = await events_month(projection, partner, month)
    return row if all(row[k] == v for k, v in want.items()) else None


class Client:
    def __init__(self, service: RunningService, partner: str) -> None:
        self.service, self.headers = service, auth_header(partner, "partner_admin")

    async def ok(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = await self.service.client.post(path, json=body, headers=self.headers)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result


async def test_every_event_type_reaches_the_network_view(pipeline, kafka_bootstrap) -> None:
    events, projection = pipeline
    month = random_month()
    api = Client(events, PARTNER)
    hub = await api.ok(
        "/v1/hubs",
        {
            "name": "OP Cafè Pregnana",
            "municipality_code": "H026",
            "kind": "cafe_hub",
            "opened_on": on(month, 1),
        },
    )
    desk = await api.ok(
        "/v1/hubs",
        {
            "name": "Sportello",
            "municipality_code": "H026",
            "kind": "help_desk",
            "opened_on": on(month, 2),
        },
    )
    h = hub["hub_id"]
    series = await api.ok(
        "/v1/lab-series",
        {"kind": "socialisation_lab", "title": TITLE, "hub_id": h, "started_on": on(month, 3)},
    )
    sessions = []
    for day, people in ((3, (12, 8, 2)), (10, (15, 9, 3)), (17, None)):
        session = await api.ok(
            "/v1/community-events",
            {
                "kind": "socialisation_lab",
                "title": TITLE,
                "hub_id": h,
                "lab_series_id": series["lab_series_id"],
                "starts_on": on(month, day),
                "duration_minutes": 120,
            },
        )
        sessions.append(session["community_event_id"])
        if people:
            p, b, v = people
            await api.ok(
                f"/v1/community-events/{session['community_event_id']}/hold",
                {
                    "held_on": on(month, day),
                    "participants": p,
                    "beneficiaries": b,
                    "volunteers": v,
                },
                status=200,
            )
    await api.ok(
        f"/v1/community-events/{sessions[2]}/cancel",
        {"cancelled_on": on(month, 16), "reason": "weather"},
        status=200,
    )
    await api.ok(
        f"/v1/lab-series/{series['lab_series_id']}/close",
        {
            "closed_on": on(month, 20),
            "distinct_participants": 19,
            "distinct_beneficiaries": 11,
            "distinct_volunteers": 3,
        },
        status=200,
    )
    fair = await api.ok(
        "/v1/community-events",
        {
            "kind": "public_event",
            "title": "Festa di quartiere",
            "municipality_code": "H026",
            "starts_on": on(month, 21),
            "duration_minutes": 240,
            "co_organisers": {"associations": 3, "public_bodies": 1},
        },
    )
    await api.ok(
        f"/v1/community-events/{fair['community_event_id']}/hold",
        {
            "held_on": on(month, 21),
            "participants": 150,
            "beneficiaries": 40,
            "volunteers": 12,
        },
        status=200,
    )
    batch = await api.ok(
        "/v1/access-batches",
        {
            "access_batch_id": str(uuid.uuid4()),
            "hub_id": h,
            "accessed_on": on(month, 22),
            "anonymous": [
                {"topic": "housing", "referred": True, "accesses": 3},
                {"topic": "savings", "referred": False, "accesses": 2},
            ],
            "known_persons": [{"person_identifier": IDENTIFIER, "topic": "work", "referred": True}],
        },
    )
    await api.ok(f"/v1/hubs/{h}/close", {"closed_on": on(month, 25)}, status=200)
    await api.ok(f"/v1/hubs/{desk['hub_id']}/close", {"closed_on": on(month, 26)}, status=200)

    row = await eventually(
        lambda: _has(
            projection,
            PARTNER,
            month,
            hubs_open=2,
            events_held=3,
            accesses=6,
            labs_completed=1,
            events_cancelled=1,
        )
    )
    assert row["events_held_by_kind"] == {"socialisation_lab": 2, "public_event": 1}
    assert (row["participants"], row["beneficiaries"], row["volunteers"]) == (177, 57, 17)
    assert (row["lab_sessions_held"], row["lab_session_participants"]) == (2, 27)
    assert (row["labs_active"], row["lab_distinct_participants"]) == (1, 19)
    assert row["accesses_by_topic"] == {"housing": 3, "savings": 2, "work": 1}
    assert (row["accesses_referred"], row["persons_known"]) == (4, 1)

    # what went over the wire: every event type, schema-valid, with no title, name or identifier
    ours = {
        h,
        desk["hub_id"],
        series["lab_series_id"],
        *sessions,
        fair["community_event_id"],
        batch["access_batch_id"],
    }
    seen = await _read_own(kafka_bootstrap, f"franoi.{PARTNER}.events.v1", ours, 15)
    assert {e.type for e, _ in seen} == {p.stem for p in SCHEMAS.glob("it.franoi.events.*.json")}
    for envelope, raw in seen:
        schema = json.loads((SCHEMAS / f"{envelope.type}.json").read_text())
        jsonschema.validate(envelope.data, schema)
        assert envelope.dataschema == schema["$id"]
        for secret in (TITLE, "Maria", "Festa", "OP Cafè", "Sportello", IDENTIFIER):
            assert secret not in raw


async def _read_own(
    bootstrap: str, topic: str, subjects: set[str], count: int
) -> list[tuple[Envelope, str]]:
    def own(record: Any) -> tuple[Envelope, str] | None:
        envelope = decode(record.headers, record.value)
        if envelope.subject not in subjects:
            return None
        return envelope, record.value.decode() + repr(record.headers)

    found = await read_records(bootstrap, [topic], own, count=count)
    assert len(found) == count, [e.type for e, _ in found]
    return found


async def test_a_batch_is_applied_once_when_redelivered(pipeline, kafka_bootstrap) -> None:
    """The API records a day's batch once even when the request is retried; the projection
    counts it once when Kafka redelivers the event, and when the same batch arrives again
    under another event id."""
    events, projection = pipeline
    month = random_month()
    api = Client(events, OTHER)
    hub = await api.ok(
        "/v1/hubs",
        {
            "name": "OP Cafè Settimo",
            "municipality_code": "I696",
            "kind": "cafe_hub",
            "opened_on": on(month, 1),
        },
    )
    body = {
        "access_batch_id": str(uuid.uuid4()),
        "hub_id": hub["hub_id"],
        "accessed_on": on(month, 5),
        "anonymous": [
            {"topic": "family", "referred": False, "accesses": 7},
            {"topic": "documents", "referred": True, "accesses": 2},
        ],
    }
    first = await api.ok("/v1/access-batches", body)
    assert await api.ok("/v1/access-batches", body) == first  # a retried request
    await api.ok(f"/v1/hubs/{hub['hub_id']}/close", {"closed_on": on(month, 28)}, status=200)
    await eventually(lambda: _has(projection, OTHER, month, accesses=9, hubs_open=1))

    topic = f"franoi.{OTHER}.events.v1"
    [(envelope, _)] = await _read_own(kafka_bootstrap, topic, {body["access_batch_id"]}, 1)
    assert envelope.type == "it.franoi.events.access_batch.recorded.v1"
    consumer = projection.wiring.state["consumer"]
    duplicates_before, processed_before = consumer.duplicates, consumer.processed
    again = Envelope(**{**envelope.__dict__, "id": str(uuid.uuid4())})
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for message in (envelope, envelope, again):
            headers, value = encode(message)
            await producer.send_and_wait(topic, value=value, key=message.key, headers=headers)
    finally:
        await producer.stop()
    await eventually(lambda: _counted(consumer, duplicates_before + 2, processed_before + 1))
    row = await events_month(projection, OTHER, month)
    assert (row["accesses"], row["accesses_referred"]) == (9, 2)
    assert row["accesses_by_topic"] == {"family": 7, "documents": 2}


async def _counted(consumer: Any, duplicates: int, processed: int) -> bool:
    return bool(consumer.duplicates >= duplicates and consumer.processed >= processed)


async def test_unknown_events_types_are_dead_lettered_and_counted(pipeline, kafka_bootstrap):
    _, projection = pipeline
    topic = f"franoi.{OTHER}.events.v1"
    hub_id = str(uuid.uuid4())
    unknown = Envelope(
        id=str(uuid.uuid4()),
        source=f"/partners/{OTHER}/events",
        type="it.franoi.events.hub.painted.v1",
        time=dt.datetime.now(dt.UTC),
        subject=hub_id,
        partnerid=OTHER,
        data={"hub_id": hub_id, "colour": "green"},
    )
    consumer = projection.wiring.state["consumer"]
    before = consumer.dead_lettered
    headers, value = encode(unknown)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=hub_id.encode(), headers=headers)
    finally:
        await producer.stop()

    async def listed() -> Any:
        response = await projection.client.get("/v1/dead-letters", headers=ANALYST)
        return [d for d in response.json() if d["event_id"] == unknown.id]

    [dead] = await eventually(listed)
    assert "unknown event type" in dead["reason"] and dead["topic"] == topic
    assert consumer.dead_lettered >= before + 1
    status = await projection.client.get("/v1/consumer/status", headers=ANALYST)
    assert status.json()["dead_letters"] >= 1
