"""The integrator kit without a broker: records read into the contract's models, and a
replay of what relay restarts put on a topic (repeats, and older events again after
newer ones of the same aggregate) handed to the handler once each, in order. The
records are written by the wire rules of the contract alone (what the network's relay
writes is checked against a real broker in ``tests/test_integrator_kit.py``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from franoi_contracts.base import AgeBand, DomainEvent, ProtectionStatus, Sex
from franoi_contracts.housing import (
    ExitOutcome,
    HousingNeed,
    PlacementEnded,
    PlacementStarted,
    RequestSubmitted,
)
from franoi_contracts.wire import format_sequence
from franoi_integrator_kit import (
    MemoryStore,
    NetworkReader,
    NotAnEvent,
    Outcome,
    Received,
    SqliteStore,
    judge,
    read,
    subscribe,
)

PARTNER = "p07"
TOPIC = f"franoi.{PARTNER}.housing.v1"
REF = "ab" * 32
DAY = dt.date(2026, 3, 4)

Headers = list[tuple[str, bytes]]
Record = tuple[Headers, bytes]


def record(event: DomainEvent, sequence: int | None, partner: str = PARTNER) -> Record:
    """An event's Kafka headers and value, as the contract's wire rules say."""
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event.aggregate_id}/{sequence}")).encode()),
        ("ce_source", f"/partners/{partner}/housing".encode()),
        ("ce_type", event.TYPE.encode()),
        ("ce_time", b"2026-03-04T10:00:00Z"),
        ("ce_subject", event.aggregate_id.encode()),
        ("content-type", b"application/json"),
        ("ce_partnerid", partner.encode()),
    ]
    if sequence is not None:
        headers.append(("ce_sequence", format_sequence(sequence).encode()))
    return headers, event.model_dump_json().encode()


def started(placement: uuid.UUID, unit: uuid.UUID) -> PlacementStarted:
    return PlacementStarted(
        placement_id=placement,
        unit_id=unit,
        person_ref=REF,
        household_size=2,
        started_on=DAY,
        sex=Sex.FEMALE,
        age_band=AgeBand.AGE_25_34,
        protection_status=ProtectionStatus.REFUGEE,
    )


def ended(placement: uuid.UUID, unit: uuid.UUID) -> PlacementEnded:
    return PlacementEnded(
        placement_id=placement, unit_id=unit, ended_on=DAY, exit_outcome=ExitOutcome.AUTONOMOUS_RENT
    )


def submitted(request: uuid.UUID) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request,
        person_ref=REF,
        household_size=2,
        need=HousingNeed.EXIT_FROM_RECEPTION,
        submitted_on=DAY,
        sex=Sex.FEMALE,
        age_band=AgeBand.AGE_25_34,
        protection_status=ProtectionStatus.REFUGEE,
    )


A, B, UNIT, REQUEST = (uuid.uuid4() for _ in range(4))
NEW_EVENTS: list[tuple[DomainEvent, int]] = [
    (submitted(REQUEST), 1),
    (started(A, UNIT), 1),
    (started(B, UNIT), 1),
    (ended(A, UNIT), 2),
]
"""What happened, each event with its aggregate's sequence."""

TOPIC_LOG = [
    NEW_EVENTS[0],
    NEW_EVENTS[1],
    NEW_EVENTS[0],  # a relay stopped before marking its batch: the batch again
    NEW_EVENTS[1],
    NEW_EVENTS[2],
    NEW_EVENTS[3],
    NEW_EVENTS[1],  # stale: placement A's first event again, after its second
    NEW_EVENTS[3],  # and its second once more
    NEW_EVENTS[2],
]
"""What reached the topic: every event, some twice or three times, older ones after newer."""


class Collect:
    def __init__(self) -> None:
        self.seen: list[Received] = []

    async def __call__(self, received: Received) -> None:
        self.seen.append(received)


async def replay(reader: NetworkReader, log: list[tuple[DomainEvent, int | None]]) -> list[Outcome]:
    outcomes = []
    for offset, (event, sequence) in enumerate(log):
        headers, value = record(event, sequence)
        outcomes.append(await reader.take(TOPIC, 0, offset, headers, value))
    return outcomes


async def test_a_record_reads_into_its_contract_model() -> None:
    headers, value = record(started(A, UNIT), 1)
    received = read(TOPIC, 2, 41, headers, value)
    assert received.event == started(A, UNIT)
    assert isinstance(received.event, PlacementStarted)
    assert (received.partner_id, received.aggregate_id, received.sequence) == (PARTNER, str(A), 1)
    assert received.source == f"/partners/{PARTNER}/housing"
    assert received.time == dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)
    assert (received.topic, received.partition, received.offset) == (TOPIC, 2, 41)
    unnumbered = read(TOPIC, 0, 0, *record(started(A, UNIT), None))
    assert unnumbered.sequence is None


def _with(
    headers: list[tuple[str, bytes]], name: str, value: bytes | None
) -> list[tuple[str, bytes]]:
    kept = [(n, v) for n, v in headers if n != name]
    return kept if value is None else [*kept, (name, value)]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("ce_type", b"it.franoi.housing.unit.painted.v1", "unknown event type"),
        ("ce_type", b"it.franoi.cases.person.erased.v1", "from a housing source"),
        ("ce_source", b"/partners/p08/housing", "ce_source is not"),
        ("ce_subject", str(uuid.uuid4()).encode(), "ce_subject is not"),
        ("ce_specversion", b"0.3", "ce_specversion"),
        ("content-type", b"text/plain", "content-type"),
        ("ce_partnerid", None, "no ce_partnerid"),
        ("ce_sequence", b"0", "ce_sequence"),
        ("ce_time", b"yesterday", "yesterday"),
    ],
)
def test_a_record_that_is_not_an_event_of_the_contract_says_why(
    name: str, value: bytes | None, reason: str
) -> None:
    headers, body = record(started(A, UNIT), 1)
    with pytest.raises(NotAnEvent, match=reason):
        read(TOPIC, 0, 0, _with(headers, name, value), body)


def test_invalid_data_is_refused_without_its_values() -> None:
    headers, _ = record(started(A, UNIT), 1)
    body = started(A, UNIT).model_dump(mode="json") | {"person_ref": "Ngozi Okonkwo"}
    with pytest.raises(NotAnEvent, match="person_ref: String should match") as refused:
        read(TOPIC, 0, 0, headers, json.dumps(body).encode())
    assert "Ngozi" not in str(refused.value)
    with pytest.raises(NotAnEvent, match="an event of /partners/p07/housing on"):
        read("franoi.p07.hosting.v1", 0, 0, headers, json.dumps(body).encode())


def test_judge() -> None:
    assert judge(1, None) is Outcome.NEW
    assert judge(3, 2) is Outcome.NEW
    assert judge(5, 2) is Outcome.NEW  # a gap: events never seen, but this one is news
    assert judge(2, 2) is Outcome.DUPLICATE
    assert judge(1, 2) is Outcome.STALE
    assert judge(None, 2) is Outcome.UNNUMBERED


async def test_repeats_and_stale_redeliveries_reach_the_handler_once_in_order() -> None:
    handler = Collect()
    reader = NetworkReader(handler, MemoryStore())
    outcomes = await replay(reader, TOPIC_LOG)
    assert [r.event for r in handler.seen] == [event for event, _ in NEW_EVENTS]
    assert outcomes == [
        Outcome.NEW,
        Outcome.NEW,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.NEW,
        Outcome.NEW,
        Outcome.STALE,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    ]
    assert reader.outcomes == {Outcome.NEW: 4, Outcome.DUPLICATE: 4, Outcome.STALE: 1}


async def test_events_written_before_the_sequence_are_all_handed_over() -> None:
    handler = Collect()
    reader = NetworkReader(handler, MemoryStore())
    log: list[tuple[DomainEvent, int | None]] = [(started(A, UNIT), None)] * 2
    assert await replay(reader, log) == [Outcome.UNNUMBERED, Outcome.UNNUMBERED]
    assert len(handler.seen) == 2


async def test_a_failing_handler_gets_the_event_again_and_nothing_is_remembered() -> None:
    calls: list[DomainEvent] = []

    async def flaky(received: Received) -> None:
        calls.append(received.event)
        if len(calls) == 1:
            raise RuntimeError("our database is away")

    reader = NetworkReader(flaky, MemoryStore(), retry_delay_s=0)
    headers, value = record(started(A, UNIT), 1)
    with pytest.raises(RuntimeError):
        await reader.take(TOPIC, 0, 0, headers, value)
    assert await reader.take(TOPIC, 0, 0, headers, value) is Outcome.NEW
    assert await reader.take(TOPIC, 0, 0, headers, value) is Outcome.DUPLICATE
    assert len(calls) == 2


async def test_the_sqlite_store_remembers_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "sequences.sqlite"
    first, store = Collect(), SqliteStore(path)
    await replay(NetworkReader(first, store), TOPIC_LOG[:4])
    store.close()
    again, store = Collect(), SqliteStore(path)  # a restart, the topic read from the start
    try:
        await replay(NetworkReader(again, store), TOPIC_LOG)
        await store.remember(f"/partners/{PARTNER}/housing", str(A), 1)  # never lowers
        assert await store.last(f"/partners/{PARTNER}/housing", str(A)) == 2
    finally:
        store.close()
    assert [r.event for r in first.seen] == [event for event, _ in NEW_EVENTS[:2]]
    assert [r.event for r in again.seen] == [event for event, _ in NEW_EVENTS[2:]]


async def test_the_faststream_subscriber_replays_the_same_way() -> None:
    """The subscriber on FastStream's in-memory broker: the topic by pattern, the records'
    headers as they come, other domains' and partners' topics left alone."""
    broker = KafkaBroker("localhost:9092")
    handler = Collect()
    reader = subscribe(
        broker, handler, group_id="test-kit", store=MemoryStore(), domains=["housing"]
    )
    async with TestKafkaBroker(broker) as test_broker:
        for event, sequence in TOPIC_LOG:
            headers, value = record(event, sequence)
            await test_broker.publish(
                value,
                topic=TOPIC,
                key=event.aggregate_id.encode(),
                headers={name: raw.decode() for name, raw in headers},
            )
    assert [r.event for r in handler.seen] == [event for event, _ in NEW_EVENTS]
    assert reader.outcomes[Outcome.STALE] == 1
    assert reader.outcomes[Outcome.DUPLICATE] == 4
