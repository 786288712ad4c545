"""The idempotent consumer against a real PostgreSQL and a real Kafka broker.

Every test produces to the same partner topic ``franoi.p31.testing.v1`` with its own consumer
group and database, so a consumer also reads earlier tests' messages: the handler applies only
events of its own run (``data.run``) and assertions look only at the run's own events.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from franoi_common.consumer import (
    Delivery,
    IdempotentConsumer,
    Incoming,
    Prepared,
    Unprocessable,
)
from franoi_common.db import create_pool
from franoi_common.envelope import Envelope, encode
from franoi_common.migrations import INBOX, migrate_url
from franoi_common.outbox import ensure_topics, make_producer
from franoi_common.settings import KafkaSettings
from franoi_contracts.base import PersonRef
from pydantic import BaseModel

from tests.support import eventually

TOPIC = "franoi.p31.testing.v1"
PATTERN = r"franoi\.p31\.testing\.v1"
EVENT_TYPE = "it.franoi.testing.thing.happened.v1"
SECRET = "RSSMRA80A01H501U"  # a tax code: must never reach a dead-letter reason

APPLIED_TABLE = """
CREATE TABLE applied (
    n        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text NOT NULL,
    subject  text NOT NULL,
    run      text NOT NULL,
    seq      integer NOT NULL
)
"""


class Payload(BaseModel):
    """What the handler expects in the data (for the ValidationError case)."""

    person_ref: PersonRef
    seq: int


@dataclass
class Handler:
    """Applies its run's events into ``applied``; ``data.action`` picks a failure instead."""

    run: str
    calls: Counter[str] = field(default_factory=Counter)

    async def __call__(
        self, conn: asyncpg.Connection, envelope: Envelope, delivery: Delivery
    ) -> None:
        if envelope.data.get("run") != self.run:
            return  # an earlier test's event
        self.calls[envelope.id] += 1
        action = envelope.data.get("action", "ok")
        if action == "unprocessable":
            raise Unprocessable("partner p99 is not in the partner directory")
        if action == "invalid":
            Payload.model_validate(envelope.data)
        if action == "boom":
            raise RuntimeError("a bug in the handler")
        await conn.execute(
            "INSERT INTO applied (event_id, subject, run, seq) VALUES ($1, $2, $3, $4)",
            envelope.id,
            envelope.subject,
            self.run,
            envelope.data["seq"],
        )


@dataclass
class Env:
    url: str
    pool: asyncpg.Pool
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    consumers: list[IdempotentConsumer] = field(default_factory=list)

    @property
    def dlq(self) -> str:
        return f"franoi.consortium.deadletter.test{self.run}"

    def envelope(self, seq: int, subject: str = "thing-1", **data: Any) -> Envelope:
        return Envelope(
            id=str(uuid.uuid4()),
            source="/partners/p31/testing",
            type=EVENT_TYPE,
            time=dt.datetime.now(dt.UTC),
            subject=subject,
            partnerid="p31",
            data={"run": self.run, "seq": seq, **data},
            dataschema=f"https://schemas.franoi.example/{EVENT_TYPE}.json",
        )

    async def produce(self, envelope: Envelope) -> Any:
        headers, value = encode(envelope)
        return await self.produce_raw(headers, value, envelope.key)

    async def produce_raw(self, headers: list[tuple[str, bytes]], value: bytes, key: bytes) -> Any:
        return await self.producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

    def consumer(self, group: str, handler: Handler) -> IdempotentConsumer:
        consumer = IdempotentConsumer(
            self.pool,
            self.kafka,
            group_id=group,
            topic_pattern=PATTERN,
            dead_letter_topic=self.dlq,
            handler=handler,
            client_id=f"client-{group}",
            max_backoff_s=0.5,
        )
        self.consumers.append(consumer)
        return consumer

    async def applied(self) -> Counter[str]:
        rows = await self.pool.fetch("SELECT event_id FROM applied WHERE run = $1", self.run)
        return Counter(r["event_id"] for r in rows)

    async def committed(self, group: str, partitions: set[int]) -> dict[int, int | None]:
        """The group's committed offsets, read as Kafka clients do (not via the admin API)."""
        reader = AIOKafkaConsumer(
            group_id=group, enable_auto_commit=False, **self.kafka.client_options()
        )
        await reader.start()
        try:
            return {p: await reader.committed(TopicPartition(TOPIC, p)) for p in partitions}
        finally:
            await reader.stop()

    async def wait_committed(self, group: str, produced: list[Any]) -> None:
        """Until the group's committed offset is past every one of ``produced`` (metadata)."""
        needed: dict[int, int] = {}
        for meta in produced:
            needed[meta.partition] = max(needed.get(meta.partition, 0), meta.offset + 1)

        last: dict[int, int | None] = {}

        async def caught_up() -> bool:
            last.update(await self.committed(group, set(needed)))
            return all((last[p] or 0) >= o for p, o in needed.items())

        try:
            await eventually(caught_up, timeout_s=20, interval_s=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{group} committed {last}, needed {needed}") from exc

    async def wait_committed_on(self, topic: str, group: str, offset: int) -> None:
        """Until the group's committed offset on partition 0 of ``topic`` is ``offset``."""
        reader = AIOKafkaConsumer(
            group_id=group, enable_auto_commit=False, **self.kafka.client_options()
        )
        await reader.start()
        try:

            async def caught_up() -> bool:
                return await reader.committed(TopicPartition(topic, 0)) == offset

            await eventually(caught_up, timeout_s=20, interval_s=0.2)
        finally:
            await reader.stop()


@pytest.fixture
async def env(databases: Any, kafka_bootstrap: str, kafka_idempotent: bool) -> AsyncIterator[Env]:
    kafka = KafkaSettings(
        bootstrap=kafka_bootstrap,
        idempotent_producer=kafka_idempotent,
        metadata_max_age_ms=500,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    url = await databases.create("common_consumer")
    await migrate_url(url, [INBOX])
    pool = await create_pool(url, max_size=5)
    await pool.execute(APPLIED_TABLE)
    producer = make_producer(kafka, "consumer-test-producer")
    await producer.start()
    environment = Env(url, pool, kafka, producer)
    await ensure_topics(kafka, [TOPIC, environment.dlq])
    try:
        yield environment
    finally:
        for consumer in environment.consumers:
            # a worker that crashed re-raises here; its test has already reported it
            with contextlib.suppress(Exception):
                await consumer.stop()
        await producer.stop()
        await pool.close()


# --------------------------------------------------------------------------------------------


async def test_each_event_applied_once_and_offsets_committed(env: Env) -> None:
    events = [env.envelope(seq, subject=f"thing-{seq % 3}") for seq in range(6)]
    produced = [await env.produce(e) for e in events]
    produced += [await env.produce(e) for e in events]  # every event delivered twice
    group = f"g-{env.run}"
    first = env.consumer(group, Handler(env.run))
    await first.start()
    await eventually(lambda: _has(env, {e.id for e in events}), timeout_s=30)
    await env.wait_committed(group, produced)
    applied = await env.applied()
    assert applied == Counter({e.id: 1 for e in events})
    assert first.duplicates >= 6
    rows = await env.pool.fetch(
        "SELECT event_id, topic, kafka_partition, kafka_offset FROM processed_events"
        " WHERE event_id = ANY($1::text[])",
        [e.id for e in events],
    )
    assert len(rows) == 6
    first_delivery = {(m.partition, m.offset) for m in produced[:6]}
    assert {(r["kafka_partition"], r["kafka_offset"]) for r in rows} == first_delivery
    assert {r["topic"] for r in rows} == {TOPIC}
    await first.stop()

    # A new consumer of the same group resumes after the committed offsets.
    later = env.envelope(99, subject="thing-0")
    produced.append(await env.produce(later))
    second = env.consumer(group, Handler(env.run))
    await second.start()
    await eventually(lambda: _has(env, {later.id}), timeout_s=30)
    await env.wait_committed(group, produced)
    await asyncio.sleep(0.5)
    assert second.duplicates == 0
    assert second.processed == 1
    await second.stop()

    # A new group starts from the beginning: the processed_events record makes it harmless.
    replay_group = f"replay-{env.run}"
    replay = env.consumer(replay_group, Handler(env.run))
    await replay.start()
    await env.wait_committed(replay_group, produced)
    assert replay.duplicates >= 13
    assert await env.applied() == Counter({e.id: 1 for e in [*events, later]})


async def _has(env: Env, ids: set[str]) -> bool:
    return ids <= set(await env.applied())


async def _dead_letters(env: Env) -> dict[int, asyncpg.Record]:
    rows = await env.pool.fetch("SELECT * FROM dead_letters WHERE topic = $1", TOPIC)
    return {r["kafka_offset"]: r for r in rows}


async def read_dead_letter_topic(env: Env, count: int) -> list[Any]:
    reader = AIOKafkaConsumer(
        env.dlq, group_id=None, auto_offset_reset="earliest", **env.kafka.client_options()
    )
    await reader.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + 15
        while len(records) < count and time.monotonic() < deadline:
            for batch in (await reader.getmany(timeout_ms=300)).values():
                records.extend(batch)
    finally:
        await reader.stop()
    return records


async def test_unprocessable_events_are_dead_lettered_and_consumption_goes_on(env: Env) -> None:
    ok_before = env.envelope(1)
    unprocessable = env.envelope(2, action="unprocessable")
    invalid = env.envelope(3, action="invalid", person_ref=SECRET)
    boom = env.envelope(4, action="boom")
    mismatch = Envelope(**{**env.envelope(5).__dict__, "partnerid": "p32"})
    ok_after = env.envelope(6)
    meta = {}
    for event in (ok_before, unprocessable, invalid, boom, mismatch):
        meta[event.id] = await env.produce(event)
    headers, value = encode(env.envelope(7))
    not_cloudevent = [(n, v) for n, v in headers if n != "ce_specversion"]
    meta["raw"] = await env.produce_raw(not_cloudevent, value, b"thing-1")
    meta[ok_after.id] = await env.produce(ok_after)
    assert len({m.partition for m in meta.values()}) == 1  # one key, one partition, in order

    handler = Handler(env.run)
    consumer = env.consumer(f"g-{env.run}", handler)
    await consumer.start()
    await eventually(lambda: _has(env, {ok_after.id}), timeout_s=30)
    assert set(await env.applied()) == {ok_before.id, ok_after.id}

    letters = await _dead_letters(env)
    expected_offsets = {m.offset for k, m in meta.items() if k not in (ok_before.id, ok_after.id)}
    assert expected_offsets <= set(letters)
    reasons = {
        key: letters[m.offset]["reason"]
        for key, m in meta.items()
        if key not in (ok_before.id, ok_after.id)
    }
    assert reasons[unprocessable.id] == "partner p99 is not in the partner directory"
    assert reasons[invalid.id].startswith(f"{EVENT_TYPE} data invalid: person_ref: ")
    assert SECRET not in reasons[invalid.id]
    assert reasons[boom.id] == "processing failed 3 times: RuntimeError"
    assert handler.calls[boom.id] == 3
    assert "ce_partnerid 'p32'" in reasons[mismatch.id]
    assert "no ce_specversion" in reasons["raw"]
    assert letters[meta["raw"].offset]["event_id"] is None
    assert letters[meta[invalid.id].offset]["event_id"] == invalid.id
    assert letters[meta[invalid.id].offset]["event_type"] == EVENT_TYPE
    # a dead-lettered event is not recorded as processed
    processed = await env.pool.fetch("SELECT event_id FROM processed_events")
    assert {unprocessable.id, invalid.id, boom.id}.isdisjoint({r["event_id"] for r in processed})

    by_offset = {m.offset: key for key, m in meta.items()}
    records = await read_dead_letter_topic(env, len(reasons))
    mine = {}
    for record in records:
        headers = dict(record.headers)
        assert headers["dlq_topic"] == TOPIC.encode()
        offset = int(headers["dlq_offset"])
        if int(headers["dlq_partition"]) == meta[ok_before.id].partition and offset in by_offset:
            mine[by_offset[offset]] = (record, headers)
    assert set(mine) == set(reasons)
    for key, (record, headers) in mine.items():
        assert headers["dlq_reason"].decode() == reasons[key]
        assert headers["dlq_consumer_group"] == f"g-{env.run}".encode()
        assert record.key == b"thing-1"
    assert mine[invalid.id][0].value == encode(invalid)[1]  # the original message, unchanged
    assert dict(mine[invalid.id][0].headers)["ce_id"] == invalid.id.encode()
    assert SECRET not in mine[invalid.id][1]["dlq_reason"].decode()


async def test_message_without_ce_id_is_not_applied_twice(env: Env) -> None:
    """Redelivery of a message without ce_id must not apply it again (it must be rejected:
    an event without identity cannot be deduplicated)."""
    headers, value = encode(env.envelope(1))
    no_id = [(n, v) for n, v in headers if n != "ce_id"]
    await env.produce_raw(no_id, value, b"thing-1")
    await env.produce_raw(no_id, value, b"thing-1")  # the broker delivers it again
    sentinel = env.envelope(2)
    await env.produce(sentinel)
    consumer = env.consumer(f"g-{env.run}", Handler(env.run))
    await consumer.start()
    await eventually(lambda: _has(env, {sentinel.id}), timeout_s=30)
    applied = await env.pool.fetch(
        "SELECT event_id FROM applied WHERE run = $1 AND seq = 1", env.run
    )
    assert len(applied) == 0, f"applied {len(applied)} times under invented ids"


async def test_database_refusing_connections_is_transient(
    env: Env, postgres_admin_url: str
) -> None:
    """While the database refuses connections (restart, failover, maintenance) an event is
    retried, never dead-lettered, and the consumer keeps running."""
    first = env.envelope(1)
    await env.produce(first)
    consumer = env.consumer(f"g-{env.run}", Handler(env.run))
    await consumer.start()
    await eventually(lambda: _has(env, {first.id}), timeout_s=30)

    name = await env.pool.fetchval("SELECT current_database()")
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        during = env.envelope(2)
        await env.produce(during)
        await asyncio.sleep(2.0)  # the consumer tries and fails for a while
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    after = env.envelope(3)
    await env.produce(after)
    try:
        await eventually(lambda: _has(env, {during.id, after.id}), timeout_s=8)
    except AssertionError:
        await consumer.stop()  # re-raises what ended the consumer, if it died
        raise
    assert await env.applied() == Counter({first.id: 1, during.id: 1, after.id: 1})
    dead = await env.pool.fetchval(
        "SELECT count(*) FROM dead_letters WHERE event_id = ANY($1::text[])",
        [first.id, during.id, after.id],
    )
    assert dead == 0


# --- batches: one transaction per polled batch ------------------------------------------------


@dataclass
class BatchHandlerForTest:
    """A set-wise handler: events of one ``data.kind`` are inserted with one executemany.

    ``data.action == "unprocessable"`` is rejected by ``prepare``; a negative ``seq`` breaks
    the ``applied`` table's CHECK constraint (a poison event found only by the database).
    ``groups`` lists the event ids of every ``apply`` call, in order; ``finished`` the event
    ids given to each ``finish``."""

    run: str
    groups: list[list[str]] = field(default_factory=list)
    finished: list[list[str]] = field(default_factory=list)

    async def prepare(
        self, conn: asyncpg.Connection, batch: Sequence[Incoming]
    ) -> list[Prepared | Unprocessable]:
        outcomes: list[Prepared | Unprocessable] = []
        for item in batch:
            data = item.envelope.data
            if data.get("action") == "unprocessable":
                outcomes.append(Unprocessable("this thing is not known here"))
            else:
                outcomes.append(Prepared(item, group=data.get("kind", "x"), value=data["seq"]))
        return outcomes

    async def apply(self, conn: asyncpg.Connection, group: Sequence[Prepared]) -> None:
        self.groups.append([p.incoming.envelope.id for p in group])
        await conn.executemany(
            "INSERT INTO applied (event_id, subject, run, seq) VALUES ($1, $2, $3, $4)",
            [
                (p.incoming.envelope.id, p.incoming.envelope.subject, self.run, p.value)
                for p in group
            ],
        )

    async def finish(self, conn: asyncpg.Connection, applied: Sequence[Prepared]) -> None:
        self.finished.append([p.incoming.envelope.id for p in applied])


@dataclass
class Batch:
    """A topic of its own (one partition), so that the consumer's first poll is one batch
    holding exactly the events of the test."""

    env: Env
    topic: str
    consumer: IdempotentConsumer
    handler: BatchHandlerForTest


async def batch_setup(env: Env) -> Batch:
    topic = f"franoi.p31.testing.v{int(env.run, 16) % 10**9}"
    await ensure_topics(env.kafka, [topic])
    handler = BatchHandlerForTest(env.run)
    consumer = IdempotentConsumer(
        env.pool,
        env.kafka,
        group_id=f"g-{env.run}",
        topic_pattern=re.escape(topic),
        dead_letter_topic=env.dlq,
        handler=handler,
        client_id=f"client-{env.run}",
        max_backoff_s=0.5,
    )
    env.consumers.append(consumer)
    await env.pool.execute("ALTER TABLE applied ADD CHECK (seq >= 0)")
    return Batch(env, topic, consumer, handler)


async def produce_all(batch: Batch, events: Sequence[Envelope]) -> dict[str, int]:
    """Produce to partition 0 of the batch topic; the offset of each event id (last copy)."""
    futures = []
    for event in events:
        headers, value = encode(event)
        futures.append(
            await batch.env.producer.send(
                batch.topic, value=value, key=event.key, headers=headers, partition=0
            )
        )
    return {e.id: (await f).offset for e, f in zip(events, futures, strict=True)}


async def applied_in_order(env: Env) -> dict[str, list[int]]:
    """Each subject's applied ``seq`` in the order they were written."""
    rows = await env.pool.fetch(
        "SELECT subject, seq FROM applied WHERE run = $1 ORDER BY n", env.run
    )
    order: dict[str, list[int]] = {}
    for row in rows:
        order.setdefault(row["subject"], []).append(row["seq"])
    return order


async def test_a_batch_with_a_poison_event_and_a_duplicate_applies_the_rest_once_in_order(
    env: Env,
) -> None:
    batch = await batch_setup(env)
    # Three aggregates, events of two kinds interleaved: a batch applied by kind across the
    # whole batch would write a3 before a2. b3 breaks a constraint; c2 is rejected up front.
    a = [env.envelope(seq, "a", kind="x" if seq % 2 else "y") for seq in (1, 2, 3, 4)]
    b = [env.envelope(1, "b", kind="x"), env.envelope(2, "b", kind="y")]
    b += [env.envelope(-3, "b", kind="x"), env.envelope(4, "b", kind="y")]
    c = [env.envelope(1, "c", kind="y"), env.envelope(2, "c", action="unprocessable")]
    c += [env.envelope(3, "c", kind="x")]
    poison, rejected = b[2], c[1]
    events = [a[0], b[0], c[0], a[1], a[2], b[1], b[2], c[1], a[3], b[3], c[2]]
    events.insert(6, a[1])  # the broker delivers a2 twice, within the same batch
    offsets = await produce_all(batch, events)

    await batch.consumer.start()
    good = [e for e in events if e not in (poison, rejected)]
    await eventually(lambda: _has(env, {e.id for e in good}), timeout_s=30)
    await eventually(lambda: _done(batch.consumer, dead_lettered=2), timeout_s=10)

    assert batch.consumer.batches == 1, "the events were expected in one polled batch"
    assert await env.applied() == Counter({e.id: 1 for e in good})
    assert await applied_in_order(env) == {"a": [1, 2, 3, 4], "b": [1, 2, 4], "c": [1, 3]}
    assert batch.consumer.processed == len({e.id for e in good})
    assert batch.consumer.duplicates == 1
    # set-wise: the first layer's "x" events went in one statement
    assert batch.handler.groups[0] == [a[0].id, b[0].id]
    # the poison event's group was tried whole, then event by event
    assert [poison.id] in batch.handler.groups
    # once per batch, after every group, with what was applied (not the duplicate copy)
    assert [Counter(ids) for ids in batch.handler.finished] == [Counter({e.id: 1 for e in good})]
    letters = {
        r["kafka_offset"]: r
        for r in await env.pool.fetch("SELECT * FROM dead_letters WHERE topic = $1", batch.topic)
    }
    assert set(letters) == {offsets[poison.id], offsets[rejected.id]}
    assert letters[offsets[poison.id]]["reason"] == "processing failed 3 times: CheckViolationError"
    assert letters[offsets[poison.id]]["event_id"] == poison.id
    assert letters[offsets[rejected.id]]["reason"] == "this thing is not known here"
    processed = {
        r["event_id"]
        for r in await env.pool.fetch(
            "SELECT event_id FROM processed_events WHERE topic = $1", batch.topic
        )
    }
    assert processed == {e.id for e in good}  # the dead-lettered ones can be retried later
    records = await read_dead_letter_topic(env, 2)
    reasons = {
        int(dict(r.headers)["dlq_offset"]): dict(r.headers)["dlq_reason"].decode()
        for r in records
        if dict(r.headers)["dlq_topic"] == batch.topic.encode()
    }
    assert reasons == {o: letters[o]["reason"] for o in letters}


async def test_a_database_failure_mid_batch_rolls_the_batch_back_and_retries_it(
    env: Env,
) -> None:
    """The database aborts the transaction (serialization failure, SQLSTATE 40001) after part
    of the batch was written: the whole batch is rolled back and applied again, once."""
    batch = await batch_setup(env)
    await env.pool.execute(f"""
        CREATE SEQUENCE fail_once;
        CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- nextval is not rolled back: only the first attempt fails
            IF NEW.run = '{env.run}' AND NEW.seq = 3 AND nextval('fail_once') = 1 THEN
                RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER fail_once BEFORE INSERT ON applied
            FOR EACH ROW EXECUTE FUNCTION fail_once();
    """)
    events = [env.envelope(seq, subject, kind="x") for seq in (1, 2, 3) for subject in "abc"]
    await produce_all(batch, events)

    await batch.consumer.start()
    await eventually(lambda: _has(env, {e.id for e in events}), timeout_s=30)
    await asyncio.sleep(0.5)

    assert await env.pool.fetchval("SELECT last_value FROM fail_once") >= 1  # it did fail
    assert await env.applied() == Counter({e.id: 1 for e in events})
    assert await applied_in_order(env) == {s: [1, 2, 3] for s in "abc"}
    # layers 1 and 2 were written, then layer 3 failed: the batch was applied again whole
    ids = [[e.id for e in events[k : k + 3]] for k in (0, 3, 6)]
    assert batch.handler.groups == [*ids, *ids]
    # the failed attempt never reached the batch's end; the one committed did, once
    assert batch.handler.finished == [[i for layer in ids for i in layer]]
    assert batch.consumer.processed == 9
    assert batch.consumer.duplicates == 0
    assert batch.consumer.dead_lettered == 0
    rows = await env.pool.fetchval(
        "SELECT count(*) FROM processed_events WHERE topic = $1", batch.topic
    )
    assert rows == 9
    await env.wait_committed_on(batch.topic, f"g-{env.run}", 9)


async def _done(consumer: IdempotentConsumer, **expected: int) -> bool:
    return all(getattr(consumer, k) >= v for k, v in expected.items())
