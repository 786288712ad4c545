"""Outbox, relay, wake-up signal, migrations and unit of work against a real PostgreSQL and a
real Kafka broker (the session fixtures of the root ``tests`` package)."""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from franoi_common import outbox
from franoi_common.db import UnitOfWork, create_pool
from franoi_common.envelope import decode
from franoi_common.migrations import (
    INBOX,
    OUTBOX,
    MigrationError,
    MigrationSource,
    migrate,
    migrate_url,
)
from franoi_common.outbox import (
    NOTIFY_CHANNEL,
    Outbox,
    OutboxRelay,
    OutboxSignal,
    ensure_topics,
    make_producer,
)
from franoi_common.settings import KafkaSettings, topic_for
from franoi_contracts.base import DomainEvent
from franoi_contracts.wire import format_sequence

from tests.support import eventually

SCHEMA_BASE = "https://schemas.franoi.example/events/"


class ThingHappened(DomainEvent):
    TYPE: ClassVar[str] = "it.franoi.testing.thing.happened.v1"
    KEY: ClassVar[str] = "thing_id"

    thing_id: str
    seq: int
    label: str = "x"


OUTBOX_TESTING = Outbox("testing", SCHEMA_BASE)


# --------------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------------


def unique_partner() -> str:
    """A partner id (hence a topic) of this test alone, also against a long-lived broker."""
    return f"p{random.randint(100, 999)}"


async def read_topic(
    kafka: KafkaSettings, topic: str, wanted: set[str], timeout_s: float = 20.0
) -> list[Any]:
    """Every record of ``topic`` (from the beginning) until all ``wanted`` event ids were seen."""
    consumer = AIOKafkaConsumer(
        topic,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **kafka.client_options(),
    )
    await consumer.start()
    records: list[Any] = []
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + timeout_s
        while not wanted <= seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(wanted - seen)} of {len(wanted)} events not on {topic}")
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                for record in batch:
                    records.append(record)
                    seen.add(dict(record.headers)["ce_id"].decode())
    finally:
        await consumer.stop()
    return records


@pytest.fixture
def kafka(kafka_bootstrap: str, kafka_idempotent: bool) -> KafkaSettings:
    return KafkaSettings(
        bootstrap=kafka_bootstrap,
        idempotent_producer=kafka_idempotent,
        metadata_max_age_ms=500,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        topic_partitions=3,
    )


@pytest.fixture
async def db_url(databases: Any) -> str:
    url = await databases.create("common_outbox")
    await migrate_url(url, [OUTBOX])
    return url


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_url, max_size=10)
    try:
        yield pool
    finally:
        await pool.close()


async def append(
    pool: asyncpg.Pool, partner: str, events: list[ThingHappened], after_commit: Any = None
) -> list[uuid.UUID]:
    async with UnitOfWork(pool, after_commit=after_commit) as uow:
        return await OUTBOX_TESTING.append(uow.conn, partner, events)


async def stop_all(*relays: OutboxRelay) -> None:
    for relay in relays:
        await relay.stop()


# --------------------------------------------------------------------------------------------
# Outbox.append
# --------------------------------------------------------------------------------------------


async def test_append_requires_a_transaction_and_rolls_back_with_it(pool: asyncpg.Pool) -> None:
    event = ThingHappened(thing_id="t-1", seq=1)
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the business transaction"):
            await OUTBOX_TESTING.append(conn, "p31", [event])
        assert await OUTBOX_TESTING.append(conn, "p31", []) == []
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0

        class Rollback(Exception):
            pass

        with pytest.raises(Rollback):
            async with conn.transaction():
                ids = await OUTBOX_TESTING.append(conn, "p31", [event, event])
                assert len(ids) == 2
                assert await conn.fetchval("SELECT count(*) FROM outbox") == 2
                raise Rollback
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0

        async with conn.transaction():
            (event_id,) = await OUTBOX_TESTING.append(conn, "p31", [event])
        row = await conn.fetchrow("SELECT * FROM outbox")
    assert row["event_id"] == event_id
    assert row["topic"] == "franoi.p31.testing.v1"
    assert row["source"] == "/partners/p31/testing"
    assert row["aggregate_id"] == "t-1"
    assert row["event_type"] == ThingHappened.TYPE
    assert row["dataschema"] == SCHEMA_BASE.rstrip("/") + "/" + ThingHappened.TYPE + ".json"
    assert row["data"] == {"thing_id": "t-1", "seq": 1, "label": "x"}
    assert row["occurred_at"].tzinfo is not None
    assert row["sent_at"] is None


async def test_each_aggregate_numbers_its_events_in_commit_order(pool: asyncpg.Pool) -> None:
    """The sequence is drawn in the writing transaction: a second writer of the aggregate
    waits for the first to end and goes on from what it committed (a rollback gives its
    numbers back), and the rows' ids, hence the relay's order, follow the numbers."""
    await append(pool, "p31", [ThingHappened(thing_id="a", seq=n) for n in (1, 2)])
    first, second = await pool.acquire(), await pool.acquire()
    try:
        first_tx = first.transaction()
        await first_tx.start()
        await OUTBOX_TESTING.append(first, "p31", [ThingHappened(thing_id="a", seq=3)])
        second_tx = second.transaction()
        await second_tx.start()
        waiting = asyncio.create_task(
            OUTBOX_TESTING.append(second, "p31", [ThingHappened(thing_id="a", seq=4)])
        )
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the counter of "a" is the first writer's until it ends
        await OUTBOX_TESTING.append(first, "p31", [ThingHappened(thing_id="b", seq=1)])
        await first_tx.commit()
        await waiting
        await second_tx.commit()
    finally:
        await pool.release(first)
        await pool.release(second)
    with pytest.raises(ZeroDivisionError):  # rolled back: its number is given back
        async with UnitOfWork(pool) as uow:
            await OUTBOX_TESTING.append(uow.conn, "p31", [ThingHappened(thing_id="a", seq=-1)])
            raise ZeroDivisionError
    await append(pool, "p31", [ThingHappened(thing_id="a", seq=5)])
    rows = await pool.fetch("SELECT aggregate_id, sequence, data FROM outbox ORDER BY id")
    by_aggregate: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        by_aggregate[row["aggregate_id"]].append((row["sequence"], row["data"]["seq"]))
    assert by_aggregate["a"] == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    assert by_aggregate["b"] == [(1, 1)]


async def test_a_create_statement_numbers_its_events_too(pool: asyncpg.Pool) -> None:
    """``with_insert`` (a create and its events in one statement) goes through the same
    counter as ``append``."""
    await pool.execute("CREATE TABLE things (thing_id text PRIMARY KEY)")
    statement, args = OUTBOX_TESTING.with_insert(
        "INSERT INTO things (thing_id) VALUES ($1) RETURNING thing_id",
        ["c"],
        "p31",
        [ThingHappened(thing_id="c", seq=1), ThingHappened(thing_id="c", seq=2)],
    )
    assert await pool.fetchval(statement, *args) == "c"
    await append(pool, "p31", [ThingHappened(thing_id="c", seq=3)])
    rows = await pool.fetch("SELECT sequence FROM outbox WHERE aggregate_id = 'c' ORDER BY id")
    assert [row["sequence"] for row in rows] == [1, 2, 3]


async def test_the_migration_numbers_the_rows_already_written(databases: Any) -> None:
    """An outbox from before the sequence: its rows are numbered in id order per aggregate,
    and new rows go on from there."""
    url = await databases.create("common_seq")
    conn = await asyncpg.connect(url)
    try:
        for migration in OUTBOX.load()[:2]:
            await conn.execute(migration.sql)
        insert = (
            "INSERT INTO outbox (event_id, partner_id, topic, aggregate_id, event_type, source,"
            " occurred_at, data) VALUES ($1, 'p31', 'franoi.p31.testing.v1', $2,"
            " 'it.franoi.testing.thing.happened.v1', '/partners/p31/testing', now(), '{}')"
        )
        for aggregate in ("x", "y", "x", "x", "y"):
            await conn.execute(insert, uuid.uuid4(), aggregate)
        await conn.execute("UPDATE outbox SET sent_at = now() WHERE id <= 2")
        await conn.execute(OUTBOX.load()[2].sql)
        await conn.execute(insert, uuid.uuid4(), "y")
        await conn.execute(insert, uuid.uuid4(), "z")
        rows = await conn.fetch("SELECT aggregate_id, sequence FROM outbox ORDER BY id")
    finally:
        await conn.close()
    assert [(r["aggregate_id"], r["sequence"]) for r in rows] == [
        ("x", 1),
        ("y", 1),
        ("x", 2),
        ("x", 3),
        ("y", 2),
        ("y", 3),
        ("z", 1),
    ]


# --------------------------------------------------------------------------------------------
# OutboxRelay
# --------------------------------------------------------------------------------------------


async def test_relay_publishes_cloudevents_keyed_by_aggregate(
    pool: asyncpg.Pool, kafka: KafkaSettings
) -> None:
    partner = unique_partner()
    topic = topic_for(partner, "testing")
    await ensure_topics(kafka, [topic])
    signal = OutboxSignal(None)
    # A long poll interval: only the in-process signal can wake the relay in time.
    relay = OutboxRelay(pool, kafka, client_id="relay-basic", signal=signal, poll_interval_s=60)
    await relay.start()
    try:
        await asyncio.sleep(0.5)  # let it reach its wait
        events = [ThingHappened(thing_id=f"t-{i % 2}", seq=i, label="città") for i in range(6)]
        ids = await append(pool, partner, events, after_commit=signal.notify)
        await eventually(lambda: _is_zero(relay.pending()), timeout_s=10)
    finally:
        await relay.stop()
    assert relay.published == 6
    rows = await pool.fetch("SELECT event_id, sent_at FROM outbox ORDER BY id")
    assert [r["event_id"] for r in rows] == ids
    assert all(r["sent_at"] is not None for r in rows)

    records = await read_topic(kafka, topic, {str(i) for i in ids})
    assert len(records) == 6
    by_id = {}
    for record in records:
        assert record.topic == topic
        envelope = decode(record.headers, record.value)
        assert record.key == envelope.subject.encode()
        headers = dict(record.headers)
        for name in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"):
            assert name in headers, name
        assert headers["content-type"] == b"application/json"
        by_id[envelope.id] = (record, envelope)
    for event_id, event in zip(ids, events, strict=True):
        record, envelope = by_id[str(event_id)]
        assert envelope.subject == event.thing_id
        assert envelope.type == ThingHappened.TYPE
        assert envelope.source == f"/partners/{partner}/testing"
        assert envelope.partnerid == partner
        assert envelope.dataschema == f"{SCHEMA_BASE}{ThingHappened.TYPE}.json"
        assert envelope.data == event.data()
        assert envelope.time.tzinfo is not None
    # one aggregate, one partition, events in outbox order
    for thing in ("t-0", "t-1"):
        mine = [r for r in records if r.key == thing.encode()]
        assert len({r.partition for r in mine}) == 1
        seqs = [decode(r.headers, r.value).data["seq"] for r in sorted(mine, key=_offset)]
        assert seqs == sorted(seqs)
        # each event carries its aggregate's sequence: 1, 2, 3 in the order written
        numbers = [decode(r.headers, r.value).sequence for r in sorted(mine, key=_offset)]
        assert numbers == [1, 2, 3]
        assert [dict(r.headers)["ce_sequence"] for r in sorted(mine, key=_offset)] == [
            format_sequence(n).encode() for n in (1, 2, 3)
        ]
    # the partition a keyed `send` would choose, so any producer of the key agrees
    every = list(range(kafka.topic_partitions))
    for record in records:
        assert record.partition == DefaultPartitioner()(record.key, every, every)


def _offset(record: Any) -> int:
    return int(record.offset)


async def _is_zero(value: Awaitable[int]) -> bool:
    return await value == 0


async def test_a_send_never_acknowledged_is_given_up_and_sent_again(
    pool: asyncpg.Pool, kafka: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A producer left waiting forever (as after a broker restart) does not hold the relay:
    past ``SEND_TIMEOUT_S`` the batch is rolled back and a new producer sends it, in order."""
    monkeypatch.setattr(outbox, "SEND_TIMEOUT_S", 1.0)
    partner = unique_partner()
    topic = topic_for(partner, "testing")
    await ensure_topics(kafka, [topic])
    relay = OutboxRelay(pool, kafka, client_id="relay-stuck", poll_interval_s=0.1)
    real_send = relay._send
    stuck = asyncio.Event()

    async def never_acknowledged(*args: Any) -> None:
        if not stuck.is_set():
            stuck.set()
            await asyncio.Event().wait()  # a producer that never answers
        await real_send(*args)

    relay._send = never_acknowledged  # type: ignore[method-assign]  # the fault under test
    ids = await append(pool, partner, [ThingHappened(thing_id="t", seq=i) for i in range(3)])
    await relay.start()
    try:
        await eventually(lambda: _is_zero(relay.pending()), timeout_s=15)
    finally:
        await relay.stop()
    assert stuck.is_set()
    records = await read_topic(kafka, topic, {str(i) for i in ids})
    assert [decode(r.headers, r.value).sequence for r in sorted(records, key=_offset)] == [1, 2, 3]


async def test_relay_skips_aggregates_held_by_another_relay(
    pool: asyncpg.Pool, kafka: KafkaSettings
) -> None:
    """A row whose earlier same-aggregate row is claimed elsewhere must wait for it."""
    partner = unique_partner()
    topic = topic_for(partner, "testing")
    await ensure_topics(kafka, [topic])
    order = [("x", 1), ("y", 1), ("x", 2), ("y", 2), ("z", 1), ("x", 3)]
    ids = []
    for thing, seq in order:
        ids += await append(pool, partner, [ThingHappened(thing_id=thing, seq=seq)])
    relay = OutboxRelay(pool, kafka, client_id="relay-skip", batch_size=50)
    producer = make_producer(kafka, "relay-skip-producer")
    await producer.start()
    other = await pool.acquire()
    try:
        other_tx = other.transaction()
        await other_tx.start()
        # what another relay's claim does: lock the first row of aggregate x
        await other.execute("SELECT id FROM outbox WHERE event_id = $1 FOR UPDATE", ids[0])
        assert await relay.publish_batch(producer) == 3  # y1, y2, z1 - nothing of x
        unsent = await pool.fetch(
            "SELECT aggregate_id FROM outbox WHERE sent_at IS NULL ORDER BY id"
        )
        assert [r["aggregate_id"] for r in unsent] == ["x", "x", "x"]
        await other_tx.rollback()
        assert await relay.publish_batch(producer) == 3
        assert await relay.publish_batch(producer) == 0
    finally:
        await pool.release(other)
        await producer.stop()
    records = await read_topic(kafka, topic, {str(i) for i in ids})
    x_seqs = [
        decode(r.headers, r.value).data["seq"]
        for r in sorted(records, key=_offset)
        if r.key == b"x"
    ]
    assert x_seqs == [1, 2, 3]


async def test_two_relays_keep_per_aggregate_order(
    pool: asyncpg.Pool, kafka: KafkaSettings
) -> None:
    partner = unique_partner()
    topic = topic_for(partner, "testing")
    await ensure_topics(kafka, [topic])
    rng = random.Random(20240501)
    things = [f"thing-{n}" for n in range(10)]
    seq = 0

    async def write(count: int) -> None:
        nonlocal seq
        while count > 0:
            size = min(count, rng.randint(1, 12))
            events = []
            for _ in range(size):
                seq += 1
                events.append(ThingHappened(thing_id=rng.choice(things), seq=seq))
            await append(pool, partner, events)
            count -= size

    await write(300)
    relays = [
        OutboxRelay(pool, kafka, client_id=f"relay-{n}", batch_size=7, poll_interval_s=0.05)
        for n in range(2)
    ]
    for relay in relays:
        await relay.start()
    try:
        await write(200)  # while both relays are draining
        await eventually(lambda: _is_zero(relays[0].pending()), timeout_s=30)
    finally:
        await stop_all(*relays)
    assert all(relay.published > 0 for relay in relays), [r.published for r in relays]
    assert sum(relay.published for relay in relays) >= 500
    rows = await pool.fetch("SELECT event_id, aggregate_id, sent_at FROM outbox ORDER BY id")
    assert len(rows) == 500 and all(r["sent_at"] is not None for r in rows)
    expected: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        expected[row["aggregate_id"]].append(str(row["event_id"]))

    records = await read_topic(kafka, topic, {str(r["event_id"]) for r in rows}, timeout_s=30)
    first_seen: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event_id = dict(record.headers)["ce_id"].decode()
        if event_id not in seen:
            seen.add(event_id)
            first_seen[record.key.decode()].append(event_id)
    assert set(first_seen) == set(expected)
    for thing, event_ids in expected.items():
        assert first_seen[thing] == event_ids, f"{thing} reordered"
    # and each aggregate's first deliveries carry 1, 2, 3... without a gap
    numbers: dict[str, list[int | None]] = defaultdict(list)
    seen.clear()
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = decode(record.headers, record.value)
        if envelope.id not in seen:
            seen.add(envelope.id)
            numbers[envelope.subject].append(envelope.sequence)
    for thing, found in numbers.items():
        assert found == list(range(1, len(found) + 1)), thing


# --------------------------------------------------------------------------------------------
# OutboxSignal
# --------------------------------------------------------------------------------------------


async def test_signal_coalesces_notifications(pool: asyncpg.Pool, db_url: str) -> None:
    received: list[float] = []
    listener = await asyncpg.connect(db_url)
    await listener.add_listener(NOTIFY_CHANNEL, lambda *_: received.append(time.monotonic()))
    signal = OutboxSignal(pool, min_interval_s=0.02)
    await signal.start()
    try:
        await asyncio.sleep(0.2)
        assert received == []  # nothing to say, nothing said
        started = time.monotonic()
        for n in range(1000):
            signal.notify()
            if n % 10 == 9:
                await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        assert signal.local.is_set()
        await asyncio.sleep(0.3)
        count = len(received)
        assert 5 <= count <= 60 * max(1.0, elapsed), (count, elapsed)
        await asyncio.sleep(0.3)
        assert len(received) == count  # quiet again once the writes stop
    finally:
        await signal.stop()
        await listener.close()


async def test_notify_wakes_a_relay_in_another_process(
    pool: asyncpg.Pool, db_url: str, kafka: KafkaSettings
) -> None:
    """The relay's own signal is never set by the writer: only NOTIFY can wake it."""
    partner = unique_partner()
    await ensure_topics(kafka, [topic_for(partner, "testing")])
    relay_pool = await create_pool(db_url, max_size=3)
    relay = OutboxRelay(relay_pool, kafka, client_id="relay-remote", poll_interval_s=60)
    writer_signal = OutboxSignal(pool)
    await writer_signal.start()
    try:
        await append(pool, partner, [ThingHappened(thing_id="r", seq=1)])
        await relay.start()
        await eventually(lambda: _is_zero(relay.pending()), timeout_s=10)  # first round
        await asyncio.sleep(0.2)
        await append(pool, partner, [ThingHappened(thing_id="r", seq=2)], writer_signal.notify)
        await eventually(lambda: _is_zero(relay.pending()), timeout_s=5)
        assert relay.published == 2
    finally:
        await relay.stop()
        await writer_signal.stop()
        await relay_pool.close()


# --------------------------------------------------------------------------------------------
# migrations
# --------------------------------------------------------------------------------------------


@pytest.fixture
def temp_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[MigrationSource, Path]]:
    package = f"franoi_test_migrations_{uuid.uuid4().hex[:8]}"
    directory = tmp_path / package / "migrations"
    directory.mkdir(parents=True)
    (tmp_path / package / "__init__.py").write_text("")
    (directory / "001_things.sql").write_text("CREATE TABLE things (id integer PRIMARY KEY);\n")
    (directory / "README.txt").write_text("not a migration")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield MigrationSource("temp", package), directory
    sys.modules.pop(package, None)


async def test_migrate_twice_applies_nothing_the_second_time(databases: Any) -> None:
    url = await databases.create("common_mig")
    assert await migrate_url(url, [OUTBOX, INBOX]) == [
        "outbox/001_outbox",
        "outbox/002_command_fingerprints",
        "outbox/003_sequence",
        "inbox/001_processed_events",
        "inbox/002_occurred_at",
        "inbox/003_consumer_reports",
    ]
    assert await migrate_url(url, [OUTBOX, INBOX]) == []
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT component, version, checksum FROM schema_migrations")
    finally:
        await conn.close()
    assert {(r["component"], r["version"], r["checksum"]) for r in rows} == {
        ("outbox", 1, OUTBOX.load()[0].checksum),
        ("outbox", 2, OUTBOX.load()[1].checksum),
        ("outbox", 3, OUTBOX.load()[2].checksum),
        ("inbox", 1, INBOX.load()[0].checksum),
        ("inbox", 2, INBOX.load()[1].checksum),
        ("inbox", 3, INBOX.load()[2].checksum),
    }


async def test_changed_migration_is_an_error(
    databases: Any, temp_source: tuple[MigrationSource, Path]
) -> None:
    source, directory = temp_source
    url = await databases.create("common_mig")
    assert await migrate_url(url, [source, OUTBOX]) == [
        "temp/001_things",
        "outbox/001_outbox",
        "outbox/002_command_fingerprints",
        "outbox/003_sequence",
    ]
    (directory / "001_things.sql").write_text("CREATE TABLE things (id bigint PRIMARY KEY);\n")
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(MigrationError, match="001_things was changed"):
            await migrate(conn, [source])
        # the advisory lock was released: another connection can migrate at once
        assert await asyncio.wait_for(migrate_url(url, [INBOX]), 5) == [
            "inbox/001_processed_events",
            "inbox/002_occurred_at",
            "inbox/003_consumer_reports",
        ]
        # a wrong checksum recorded for an applied file is reported the same way
        await conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE component = 'outbox'")
        with pytest.raises(MigrationError, match="outbox 001_outbox was changed"):
            await migrate(conn, [OUTBOX])
    finally:
        await conn.close()


async def test_failed_migration_is_rolled_back_and_not_recorded(
    databases: Any, temp_source: tuple[MigrationSource, Path]
) -> None:
    source, directory = temp_source
    (directory / "002_broken.sql").write_text(
        "CREATE TABLE half_done (id integer);\nSELECT no_such_column FROM things;\n"
    )
    url = await databases.create("common_mig")
    with pytest.raises(asyncpg.UndefinedColumnError):
        await migrate_url(url, [source])
    conn = await asyncpg.connect(url)
    try:
        versions = await conn.fetch("SELECT version FROM schema_migrations")
        assert [r["version"] for r in versions] == [1]
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        (directory / "002_broken.sql").write_text("CREATE TABLE half_done (id integer);\n")
        assert await asyncio.wait_for(migrate(conn, [source]), 5) == ["temp/002_broken"]
    finally:
        await conn.close()


async def test_duplicate_versions_are_refused(temp_source: tuple[MigrationSource, Path]) -> None:
    source, directory = temp_source
    (directory / "001_other.sql").write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match="share a version"):
        source.load()


async def test_concurrent_migrations_apply_each_file_once(databases: Any) -> None:
    url = await databases.create("common_mig")
    results = await asyncio.gather(*(migrate_url(url, [OUTBOX, INBOX]) for _ in range(4)))
    applied = sorted(name for result in results for name in result)
    assert applied == [
        "inbox/001_processed_events",
        "inbox/002_occurred_at",
        "inbox/003_consumer_reports",
        "outbox/001_outbox",
        "outbox/002_command_fingerprints",
        "outbox/003_sequence",
    ]
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 6
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------------
# UnitOfWork
# --------------------------------------------------------------------------------------------


async def test_unit_of_work_commits_then_calls_back(pool: asyncpg.Pool) -> None:
    calls: list[int] = []

    def after_commit() -> None:
        calls.append(1)

    async with UnitOfWork(pool, after_commit=after_commit) as uow:
        await OUTBOX_TESTING.append(uow.conn, "p31", [ThingHappened(thing_id="u", seq=1)])
        assert calls == []  # not before the commit
        async with pool.acquire() as other:  # not visible before the commit
            assert await other.fetchval("SELECT count(*) FROM outbox") == 0
    assert calls == [1]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1
    with pytest.raises(RuntimeError, match="not started"):
        _ = uow.conn


async def test_unit_of_work_rolls_back_on_error_without_callback(pool: asyncpg.Pool) -> None:
    calls: list[int] = []

    class DomainRuleViolated(Exception):
        pass

    idle_before = pool.get_idle_size()
    with pytest.raises(DomainRuleViolated):
        async with UnitOfWork(pool, after_commit=lambda: calls.append(1)) as uow:
            await OUTBOX_TESTING.append(uow.conn, "p31", [ThingHappened(thing_id="u", seq=1)])
            raise DomainRuleViolated
    assert calls == []
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert pool.get_idle_size() >= idle_before  # the connection went back to the pool


async def test_unit_of_work_releases_the_connection_when_begin_is_cancelled(
    db_url: str,
) -> None:
    """A command cancelled while BEGIN is in flight (request timeout, shutdown) must give its
    pooled connection back; otherwise every such cancellation shrinks the pool for good."""
    small = await create_pool(db_url, max_size=1)
    try:

        async def command() -> None:
            async with UnitOfWork(small):
                await asyncio.sleep(30)

        task = asyncio.create_task(command())
        while small.get_idle_size() > 0:  # noqa: ASYNC110 - until the unit of work holds it
            await asyncio.sleep(0)
        task.cancel()  # BEGIN has been sent; its answer has not arrived yet
        with pytest.raises(asyncio.CancelledError):
            await task
        try:
            conn = await asyncio.wait_for(small.acquire(), 2)
        except TimeoutError:
            pytest.fail("UnitOfWork leaked its pooled connection when BEGIN was cancelled")
        assert await conn.fetchval("SELECT 1") == 1
        await small.release(conn)
    finally:
        small.terminate()  # a leaked connection would make close() wait forever
