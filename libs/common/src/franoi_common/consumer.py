"""The idempotent consumer, applying what it polls batch by batch.

Each polled batch of one partition is applied in ONE database transaction that
also records every event's ``(ce_source, ce_id)`` in ``processed_events`` (one
set-wise insert; a redelivered event finds its row and changes nothing). Kafka
offsets are committed explicitly, only after that commit (auto-commit is off),
so nothing acknowledged is ever lost: a crash between the two means
redelivery, which the record makes harmless. (The commit of one poll's offsets
travels while the next poll is applied.)

The handler is a :class:`BatchHandler`: it checks every event of the batch
first (``prepare``, before anything is written), then applies events in
groups (``apply``, e.g. one ``executemany`` per event type). To keep one
aggregate's events in order while the rest is applied set-wise, the batch is
split into layers by aggregate (``ce_subject``): the k-th event of each
aggregate goes to layer k; layers are applied in order, and within a layer
each group is applied at once.

Failures:

* a message that cannot be decoded, or that the handler rejects
  (:class:`Unprocessable`), goes to the dead-letter topic with the reason in
  ``dlq_*`` headers (and a row in ``dead_letters``, written in the batch's
  transaction; the message is published just before that commits); the rest of
  the batch is applied;
* a group that fails in the database (a constraint violation, a bug) makes the
  batch roll back and be applied again carefully: each group under a
  savepoint, and a failing group again event by event, each under its own
  savepoint; the event that still fails is dead-lettered (after
  ``max_attempts`` tries unless it is :class:`Unprocessable`) and the others
  are applied once. (The first pass takes no savepoints: in the common case
  that saves two round trips per group.)
* a transient failure (database or broker unreachable, serialization failure)
  rolls back the whole batch, which is retried with backoff: nothing is lost,
  nothing applied twice, nothing dead-lettered for it.

A plain per-event :data:`Handler` (``(conn, envelope, delivery)``) still works:
it is applied event by event, each under a savepoint, in the batch's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import re
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from franoi_contracts.base import DomainEvent, event_class
from opentelemetry import trace
from pydantic import ValidationError

from franoi_common.db import DATABASE_UNAVAILABLE
from franoi_common.envelope import Envelope, EnvelopeError, decode
from franoi_common.kafka import BackgroundWorker, make_producer, started
from franoi_common.settings import KafkaSettings
from franoi_common.telemetry import context_from_headers, tracer

log = logging.getLogger(__name__)

TOPIC_PATTERN = re.compile(
    r"^franoi\.(?P<partner>p[0-9]{2,3})\.(?P<domain>[a-z]+)\.v(?P<v>[0-9]+)$"
)


class DatabaseUnavailable(Exception):
    """No connection could be had: wait and retry, never dead-letter."""


TRANSIENT_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseUnavailable,
    *DATABASE_UNAVAILABLE,
    asyncpg.TransactionRollbackError,  # serialization failure, deadlock
)


class Unprocessable(Exception):
    """The event can never be applied (bad data, unknown partner...): dead-letter it."""


def describe_validation_error(exc: ValidationError) -> str:
    """A reason without the offending values (they could be personal data)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(p) for p in error["loc"]) or "data"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


def read_event(
    envelope: Envelope, accepted: Callable[[type[DomainEvent]], bool] = lambda _: True
) -> DomainEvent:
    """The event an envelope carries, read through its contract model (one of the types
    ``accepted``); :class:`Unprocessable` with the reason (never the values) otherwise."""
    cls = event_class(envelope.type)
    if cls is None or not accepted(cls):
        raise Unprocessable(f"unknown event type {envelope.type!r}")
    try:
        event = cls.model_validate(envelope.data)
    except ValidationError as exc:
        raise Unprocessable(
            f"{envelope.type} data invalid: {describe_validation_error(exc)}"
        ) from exc
    if event.aggregate_id != envelope.subject:
        raise Unprocessable("ce_subject does not match the event's aggregate id")
    return event


@dataclass(frozen=True)
class Delivery:
    """Where an event came from in Kafka."""

    topic: str
    partition: int
    offset: int


Handler = Callable[[asyncpg.Connection, Envelope, Delivery], Awaitable[None]]
"""Applies one event inside the consumer's transaction; raises Unprocessable to dead-letter."""


@dataclass(frozen=True, eq=False)
class Incoming:
    """A decoded event of the batch and where it came from."""

    envelope: Envelope
    delivery: Delivery


@dataclass(frozen=True, eq=False)
class Prepared:
    """An event checked and ready to apply. Events with equal ``group`` are applied by one
    :meth:`BatchHandler.apply` call (e.g. the same event type, hence the same statements);
    ``value`` is what the handler needs to apply it (e.g. the validated event)."""

    incoming: Incoming
    group: Hashable
    value: Any = None


@runtime_checkable
class BatchHandler(Protocol):
    """Applies a batch of events: check them all, then write them group by group."""

    async def prepare(
        self, conn: asyncpg.Connection, batch: Sequence[Incoming]
    ) -> list[Prepared | Unprocessable]:
        """For each event, in order: ready to apply, or why it can never be applied.

        Runs inside the batch's transaction before anything is written (lookups may be
        done once for the whole batch). Must not write."""
        ...

    async def apply(self, conn: asyncpg.Connection, group: Sequence[Prepared]) -> None:
        """Apply events of one group, all of different aggregates, set-wise.

        Raising rolls the group back; it is then applied again one event at a time (a
        one-event group raising Unprocessable or ValidationError is dead-lettered)."""
        ...

    async def finish(self, conn: asyncpg.Connection, applied: Sequence[Prepared]) -> None:
        """Once per batch, after every group, in the batch's transaction: work that depends
        on what the whole batch applied (``applied``, never empty), done once rather than
        after each group. Raising fails the batch, as a failure outside any group does."""
        ...


class EventByEvent:
    """A :class:`BatchHandler` calling a per-event :data:`Handler` for each event."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def prepare(
        self, conn: asyncpg.Connection, batch: Sequence[Incoming]
    ) -> list[Prepared | Unprocessable]:
        return [Prepared(item, group=object()) for item in batch]  # every event alone

    async def apply(self, conn: asyncpg.Connection, group: Sequence[Prepared]) -> None:
        for prepared in group:
            await self._handler(conn, prepared.incoming.envelope, prepared.incoming.delivery)

    async def finish(self, conn: asyncpg.Connection, applied: Sequence[Prepared]) -> None:
        return None


class _GroupFailed(Exception):
    """A group failed in a batch applied without savepoints: roll back, apply carefully."""


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord[bytes, bytes]
    reason: str
    envelope: Envelope | None


@dataclass
class _Attempt:
    """What one attempt at a batch did (discarded if the batch is rolled back)."""

    applied: list[Incoming] = field(default_factory=list)
    duplicates: int = 0
    dead: list[DeadLetter] = field(default_factory=list)


_RECORD_PROCESSED = """
INSERT INTO processed_events
    (source, event_id, event_type, topic, kafka_partition, kafka_offset, occurred_at)
SELECT * FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::timestamptz[]
)
ON CONFLICT DO NOTHING
RETURNING source, event_id
"""

_RECORD_DEAD = """
INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, event_id, event_type, reason)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
"""


REPORT_EVERY_S = 15.0
_REPORT = """
INSERT INTO consumer_reports (instance_id, group_id, started_at, reported_at, processed,
    duplicates, dead_lettered, assigned_partitions, last_error)
VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6, $7, $8)
ON CONFLICT (instance_id) DO UPDATE SET group_id = excluded.group_id,
    reported_at = excluded.reported_at, processed = excluded.processed,
    duplicates = excluded.duplicates, dead_lettered = excluded.dead_lettered,
    assigned_partitions = excluded.assigned_partitions, last_error = excluded.last_error
"""

_FORGET_GONE = (
    "DELETE FROM consumer_reports WHERE reported_at < clock_timestamp() - interval '1 day'"
)


class IdempotentConsumer(BackgroundWorker):
    def __init__(
        self,
        pool: asyncpg.Pool,
        kafka: KafkaSettings,
        *,
        group_id: str,
        topic_pattern: str,
        dead_letter_topic: str,
        handler: Handler | BatchHandler,
        client_id: str,
        max_backoff_s: float = 5.0,
        max_records: int = 500,
        check: Callable[[Envelope, str], None] | None = None,
    ) -> None:
        """``check`` says whether an event belongs on the topic it came from (default
        :func:`check_topic`: a partner's own domain topic); it raises
        :class:`~franoi_common.envelope.EnvelopeError` to dead-letter it."""
        self._check = check or check_topic
        self._pool = pool
        self._kafka = kafka
        self._group_id = group_id
        self._pattern = topic_pattern
        self._dlq_topic = dead_letter_topic
        self._handler: BatchHandler = (
            handler if isinstance(handler, BatchHandler) else EventByEvent(handler)
        )
        self._client_id = client_id
        self._max_backoff_s = max_backoff_s
        self._max_records = max_records
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._commit: asyncio.Task[None] | None = None
        self._tracer = tracer("franoi.consumer")
        self.max_attempts = 3
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.batches = 0
        self.assigned: set[TopicPartition] = set()
        self.instance_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """This consumer in ``consumer_reports`` (a host and a process: nobody's data)."""
        self._started_at = dt.datetime.now(dt.UTC)
        self._reported_at = -math.inf
        self._last_said: tuple[Any, ...] | None = None

    async def stop(self) -> None:
        try:
            await super().stop()
        finally:  # gone from the status at once (else it ages out)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._pool.execute(
                        "DELETE FROM consumer_reports WHERE instance_id = $1", self.instance_id
                    ),
                    2,
                )
            self._last_said = None
            self._reported_at = -math.inf

    async def _committed(self) -> None:
        """Wait for the previous offset commit (a failed one only means redelivery)."""
        commit, self._commit = self._commit, None
        if commit is not None:
            # After a rebalance the new owner re-reads; the record makes that harmless.
            with contextlib.suppress(CommitFailedError):
                await commit

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._committed(), 5)
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
        self._consumer = None
        self._producer = None

    async def _connect(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                group_id=self._group_id,
                client_id=self._client_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=self._kafka.session_timeout_ms,
                heartbeat_interval_ms=self._kafka.heartbeat_interval_ms,
                **self._kafka.client_options(),
            )
            consumer.subscribe(pattern=self._pattern)
            self._consumer = await started(consumer)
        if self._producer is None:
            self._producer = await started(make_producer(self._kafka, self._client_id + "-dlq"))
        return self._consumer

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                consumer = await self._connect()
                batches = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                self.assigned = set(consumer.assignment())
                offsets: dict[TopicPartition, int] = {}
                for tp, records in batches.items():
                    await self._process_batch(records)
                    offsets[tp] = records[-1].offset + 1
                if offsets:
                    # The offsets go to the broker while the next poll is applied; one commit
                    # at a time, in order. Committed late means redelivered, which is harmless.
                    await self._committed()
                    self._commit = asyncio.create_task(consumer.commit(offsets))
                self.progressed()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker lost, or anything unforeseen: start over
                self.failed(exc)
                log.warning(
                    "consumer interrupted; reconnecting (uncommitted records are redelivered)",
                    extra={"error": type(exc).__name__, "retry_in_s": backoff},
                    exc_info=not isinstance(exc, KafkaError | OSError),
                )
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
            await self._report()

    async def _report(self) -> None:
        """Write this instance's counters to ``consumer_reports`` when they changed (at most
        once a second) and at least every ``REPORT_EVERY_S``; a failure waits for the next."""
        now = time.monotonic()
        said = self._said()
        if said == self._last_said and now - self._reported_at < REPORT_EVERY_S:
            return
        if now - self._reported_at < 1.0:
            return
        self._reported_at = now
        try:
            if self._last_said is None:  # the first report: forget instances long gone
                await self._pool.execute(_FORGET_GONE)
            await self._pool.execute(
                _REPORT, self.instance_id, self._group_id, self._started_at, *said
            )
        except Exception as exc:  # the database away: the next round reports
            log.debug("consumer report not written", extra={"error": type(exc).__name__})
            return
        self._last_said = said

    def _said(self) -> tuple[Any, ...]:
        return (
            self.processed,
            self.duplicates,
            self.dead_lettered,
            len(self.assigned),
            self.last_error,
        )

    async def _process_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply the records of one partition in one transaction, dead-lettering what cannot
        be applied; retry transient failures until done."""
        rejected: list[DeadLetter] = []
        batch: list[Incoming] = []
        sources: dict[int, ConsumerRecord[bytes, bytes]] = {}
        for record in records:
            try:
                envelope = decode(record.headers or (), record.value)
                self._check(envelope, record.topic)
            except EnvelopeError as exc:
                rejected.append(DeadLetter(record, str(exc), None))
                continue
            item = Incoming(envelope, Delivery(record.topic, record.partition, record.offset))
            sources[id(item)] = record
            batch.append(item)
        backoff = 0.1
        failures = 0
        # First without savepoints (the common case: fewest round trips); if a group fails,
        # the batch is rolled back and applied again carefully. A per-event handler is always
        # applied carefully (each event under its own savepoint).
        careful = isinstance(self._handler, EventByEvent)
        while True:
            started_ns = time.time_ns()
            try:
                attempt = await self._attempt(batch, sources, rejected, careful)
                break
            except _GroupFailed as exc:
                log.info(
                    "a group failed; applying the batch again group by group",
                    extra={"error": type(exc.__cause__).__name__, "events": len(batch)},
                )
                careful = True
                continue
            except TRANSIENT_DATABASE_ERRORS as exc:
                self.failed(exc)
                log.warning(
                    "database unavailable; retrying the batch",
                    extra={"error": type(exc).__name__, "events": len(batch)},
                )
            except Exception as exc:  # a failure outside any one group: not foreseen
                failures += 1
                log.exception(
                    "batch processing failed", extra={"events": len(batch), "attempt": failures}
                )
                if failures >= self.max_attempts and len(records) > 1:
                    # Find the culprit: one record at a time, each its own batch.
                    for record in records:
                        await self._process_batch([record])
                    return
                if failures >= self.max_attempts:
                    rejected = rejected or [
                        DeadLetter(
                            records[0],
                            f"processing failed {failures} times: {type(exc).__name__}",
                            batch[0].envelope if batch else None,
                        )
                    ]
                    batch = []
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff_s)
        self._trace(attempt.applied, started_ns)
        self._log_dead_letters(attempt.dead)

    async def _attempt(
        self,
        batch: Sequence[Incoming],
        sources: dict[int, ConsumerRecord[bytes, bytes]],
        rejected: Sequence[DeadLetter],
        careful: bool,
    ) -> _Attempt:
        attempt = _Attempt(dead=list(rejected))
        counted = False
        async with self._connection() as conn:
            try:
                # A managed transaction: rolled back on any exit but its commit, cancellation
                # at shutdown included, so no connection goes back to the pool inside one.
                async with conn.transaction():
                    await self._write(conn, attempt, batch, sources, careful)
                    # Dead letters reach their topic before their rows commit (a retried batch
                    # may publish one twice); the counters move with the commit, not after it.
                    await self._publish_dead_letters(attempt.dead)
                    self._count(attempt, 1)
                    counted = True
            except BaseException:
                if counted:  # the commit failed
                    self._count(attempt, -1)
                raise
        return attempt

    def _count(self, attempt: _Attempt, sign: int) -> None:
        self.batches += sign
        self.processed += sign * len(attempt.applied)
        self.duplicates += sign * attempt.duplicates
        self.dead_lettered += sign * len(attempt.dead)

    async def _write(
        self,
        conn: asyncpg.Connection,
        attempt: _Attempt,
        batch: Sequence[Incoming],
        sources: dict[int, ConsumerRecord[bytes, bytes]],
        careful: bool,
    ) -> None:
        ready: list[Prepared] = []
        if batch:
            outcomes = await self._handler.prepare(conn, batch)
            if len(outcomes) != len(batch):
                raise RuntimeError("the handler prepared a different number of events")
            seen: set[tuple[str, str]] = set()
            for item, outcome in zip(batch, outcomes, strict=True):
                envelope = item.envelope
                if isinstance(outcome, Unprocessable):
                    attempt.dead.append(DeadLetter(sources[id(item)], str(outcome), envelope))
                elif (envelope.source, envelope.id) in seen:
                    attempt.duplicates += 1  # delivered twice within the batch
                else:
                    seen.add((envelope.source, envelope.id))
                    ready.append(outcome)
        if ready:
            first_time = {
                (r["source"], r["event_id"])
                for r in await conn.fetch(
                    _RECORD_PROCESSED,
                    [p.incoming.envelope.source for p in ready],
                    [p.incoming.envelope.id for p in ready],
                    [p.incoming.envelope.type for p in ready],
                    [p.incoming.delivery.topic for p in ready],
                    [p.incoming.delivery.partition for p in ready],
                    [p.incoming.delivery.offset for p in ready],
                    [p.incoming.envelope.time for p in ready],
                )
            }
            fresh = [
                p
                for p in ready
                if (p.incoming.envelope.source, p.incoming.envelope.id) in first_time
            ]
            attempt.duplicates += len(ready) - len(fresh)
            applied: list[Prepared] = []
            for layer in layers(fresh):
                for group in groups(layer):
                    if careful:
                        applied.extend(await self._apply_group(conn, group, sources, attempt))
                        continue
                    try:
                        await self._handler.apply(conn, group)
                    except TRANSIENT_DATABASE_ERRORS:
                        raise
                    except Exception as exc:
                        raise _GroupFailed from exc
                    attempt.applied.extend(p.incoming for p in group)
                    applied.extend(group)
            if applied:
                await self._handler.finish(conn, applied)
        if attempt.dead:
            await conn.executemany(
                _RECORD_DEAD,
                [
                    (
                        d.record.topic,
                        d.record.partition,
                        d.record.offset,
                        d.envelope.id if d.envelope else None,
                        d.envelope.type if d.envelope else None,
                        d.reason,
                    )
                    for d in attempt.dead
                ],
            )

    async def _apply_group(
        self,
        conn: asyncpg.Connection,
        group: Sequence[Prepared],
        sources: dict[int, ConsumerRecord[bytes, bytes]],
        attempt: _Attempt,
    ) -> list[Prepared]:
        """Apply a group under a savepoint, else its events one by one; what was applied."""
        if len(group) > 1:
            try:
                async with conn.transaction():  # a savepoint
                    await self._handler.apply(conn, group)
                attempt.applied.extend(p.incoming for p in group)
                return list(group)
            except TRANSIENT_DATABASE_ERRORS:
                raise
            except Exception as exc:
                log.warning(
                    "a group failed; applying its events one by one",
                    extra={"error": type(exc).__name__, "events": len(group)},
                )
        applied: list[Prepared] = []
        for prepared in group:
            reason = await self._apply_alone(conn, prepared)
            item = prepared.incoming
            if reason is None:
                attempt.applied.append(item)
                applied.append(prepared)
                continue
            # Not processed after all: a later redelivery must try it again.
            await conn.execute(
                "DELETE FROM processed_events WHERE source = $1 AND event_id = $2",
                item.envelope.source,
                item.envelope.id,
            )
            attempt.dead.append(DeadLetter(sources[id(item)], reason, item.envelope))
        return applied

    async def _apply_alone(self, conn: asyncpg.Connection, prepared: Prepared) -> str | None:
        """Apply one event under a savepoint; None when done, else why it is dead-lettered."""
        envelope = prepared.incoming.envelope
        failures = 0
        while True:
            try:
                async with conn.transaction():
                    await self._handler.apply(conn, [prepared])
                return None
            except TRANSIENT_DATABASE_ERRORS:
                raise
            except Unprocessable as exc:
                return str(exc)
            except ValidationError as exc:
                return f"{envelope.type} data invalid: {describe_validation_error(exc)}"
            except Exception as exc:  # a failure the handler did not foresee
                failures += 1
                log.exception(
                    "event processing failed",
                    extra={"event_id": envelope.id, "attempt": failures},
                )
                if failures >= self.max_attempts:
                    return f"processing failed {failures} times: {type(exc).__name__}"

    def _trace(self, applied: Sequence[Incoming], started_ns: int) -> None:
        """One consumer span per applied event, child of the span that published it."""
        for item in applied:
            envelope = item.envelope
            span = self._tracer.start_span(
                f"{item.delivery.topic} process",
                context=context_from_headers(envelope.trace),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": item.delivery.topic,
                    "messaging.message.id": envelope.id,
                    "messaging.kafka.offset": item.delivery.offset,
                    "messaging.batch.message_count": len(applied),
                    "cloudevents.event_type": envelope.type,
                },
                start_time=started_ns,
            )
            span.end()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            conn = await self._pool.acquire()
        except Exception as exc:
            raise DatabaseUnavailable(type(exc).__name__) from exc
        try:
            yield conn
        finally:
            await self._pool.release(conn)

    async def _publish_dead_letters(self, dead: Sequence[DeadLetter]) -> None:
        """Send the dead letters to the DLQ topic (retried until the broker takes them)."""
        if not dead:
            return
        backoff = 0.1
        while True:
            try:
                assert self._producer is not None
                futures = [
                    await self._producer.send(
                        self._dlq_topic,
                        value=d.record.value,
                        key=d.record.key,
                        headers=self._dlq_headers(d),
                    )
                    for d in dead
                ]
                await asyncio.gather(*futures)
                break
            except KafkaError as exc:
                self.failed(exc)
                log.warning(
                    "dead-letter publish failed; retrying", extra={"error": type(exc).__name__}
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)

    def _log_dead_letters(self, dead: Sequence[DeadLetter]) -> None:
        for d in dead:
            log.warning(
                "event dead-lettered",
                extra={
                    "topic": d.record.topic,
                    "partition": d.record.partition,
                    "offset": d.record.offset,
                    "reason": d.reason,
                },
            )

    def _dlq_headers(self, dead: DeadLetter) -> list[tuple[str, bytes]]:
        record = dead.record
        headers: list[tuple[str, bytes]] = list(record.headers or ())
        headers += [
            ("dlq_reason", dead.reason.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self._group_id.encode()),
        ]
        return headers


def layers(batch: Sequence[Prepared]) -> list[list[Prepared]]:
    """Split a batch by aggregate: the k-th event of each aggregate (``ce_subject``) goes to
    layer k. Applying the layers in order keeps each aggregate's order; within a layer no two
    events are of the same aggregate."""
    result: list[list[Prepared]] = []
    seen: dict[str, int] = defaultdict(int)
    for prepared in batch:
        subject = prepared.incoming.envelope.subject
        k = seen[subject]
        seen[subject] = k + 1
        if k == len(result):
            result.append([])
        result[k].append(prepared)
    return result


def groups(layer: Sequence[Prepared]) -> list[list[Prepared]]:
    """The events of a layer by group, groups in order of first appearance."""
    by_group: dict[Hashable, list[Prepared]] = {}
    for prepared in layer:
        by_group.setdefault(prepared.group, []).append(prepared)
    return list(by_group.values())


def check_topic(envelope: Envelope, topic: str) -> None:
    """The partner and domain of an event must be those of the topic it arrived on."""
    match = TOPIC_PATTERN.match(topic)
    if match is None:
        raise EnvelopeError(f"topic {topic!r} is not a partner domain topic")
    if envelope.partnerid != match["partner"]:
        raise EnvelopeError(
            f"ce_partnerid {envelope.partnerid!r} does not match topic partner {match['partner']!r}"
        )
    expected_source = f"/partners/{match['partner']}/{match['domain']}"
    if envelope.source != expected_source:
        raise EnvelopeError(f"ce_source {envelope.source!r} is not {expected_source!r}")
    if not envelope.type.startswith(f"it.franoi.{match['domain']}."):
        raise EnvelopeError(f"ce_type {envelope.type!r} does not belong on topic {topic!r}")
