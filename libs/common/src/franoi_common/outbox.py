"""The transactional outbox and its relay.

``Outbox.append`` writes a command's domain events into the ``outbox`` table
inside the caller's transaction, so an event exists if and only if the business
change committed. The ``OutboxRelay`` publishes unsent rows to the partner's
topic (``franoi.<partner_id>.<domain>.v1``), keyed by aggregate id, with
``acks=all``, then marks them sent. With shredding (a ``sealer``) every person in a
batch's events is published as their token in the partner's key store, in the batch's
transaction (:mod:`franoi_common.shredding`); the rows keep what the service wrote.

Pipelining: each batch is one transaction (claim → hand the rows to the producer
→ await the broker's acknowledgements → mark sent and commit, one round trip).
The next batch is claimed as soon as the previous one's claim has returned, so
its query runs while those rows are handed to the producer; up to
``pipeline_depth`` batches are in flight and neither the claim nor the broker's
round trip is waited for batch by batch. The message headers are written directly from the
row and the value is the stored JSON text, without rebuilding the event.

Order: rows are published in id order. A row is only claimed when no earlier
unsent row of the same aggregate is held by another batch (in flight in this
relay, or claimed by another replica: ``FOR UPDATE SKIP LOCKED``), so neither
pipelining nor several relay replicas ever reorder one aggregate's events; a
failed batch is rolled back and retried before any later event of its
aggregates can be claimed.
Within a command the aggregate row is locked first, so one aggregate's outbox
ids follow its commit order.

Sequence: each row gets its aggregate's next sequence number (1, 2, 3... with no gaps)
from the ``outbox_sequences`` counter, in the inserting transaction, by a trigger of the
``outbox`` migrations; the counter's row stays locked until the transaction ends, so an
aggregate's numbers follow its commit order, and the trigger draws the row's id after
that lock, so its ids do too. The relay sends it as the CloudEvents ``sequence``
extension (``ce_sequence``), with which a consumer tells a redelivered event (a relay
that stopped between the broker's acknowledgement and its mark sends its batch again)
from a new one.

Wake-up: after a commit the unit of work calls ``OutboxSignal.notify``; that
wakes an in-process relay at once. Only when no relay runs in the process does
it send ``NOTIFY`` to relays in other processes, at most one per interval
(never one per write, never inside the business transaction): a relay in the
process publishes the row itself, so waking others would only make them race
for it. A relay also polls, so a lost notification only delays. Commits claim at
most once per ``linger_s`` (50 ms): a commit after a quiet moment is claimed at
once; under load the commits of the next moments wait for the interval to end and
share one claim, one send and one mark (a claim, a produce request and a mark for
each command cost the API's process more CPU than the command itself). A full
batch (a backlog) is claimed again at once.

Tracing (the OpenTelemetry messaging conventions for batch sending): each event gets a
PRODUCER span ``<topic> create`` when the command writes it, a child of the command's
span; its context, stored in the outbox row, is the message's creation context and
travels in the message's headers as they are (the consumer's span is its child). The
relay makes one CLIENT span ``<topic> send`` per batch, from the claim to the mark, linked
to its messages' creation contexts (up to ``MAX_LINKS``) and counting them: no span or
context parsing per message on the relay's path. The W3C headers are read and written
directly (:mod:`franoi_common.telemetry`), not through the generic propagator.

If the broker is unreachable, commands still commit; the relay retries with
backoff and drains the backlog in order when the broker returns. A batch whose
acknowledgements do not come within ``SEND_TIMEOUT_S`` is rolled back and sent
again by a new producer (a producer can be left waiting forever after a broker
restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from franoi_contracts.base import DomainEvent
from franoi_contracts.wire import CONTENT_TYPE, SPECVERSION, format_sequence
from opentelemetry import context as otel_context
from opentelemetry import trace

from franoi_common.db import DATABASE_UNAVAILABLE
from franoi_common.envelope import source_for
from franoi_common.kafka import BackgroundWorker, ensure_topics, make_producer, started
from franoi_common.settings import KafkaSettings, topic_for
from franoi_common.shredding import EraseHere, Sealer, seal_rows, surrogate_only
from franoi_common.telemetry import (
    context_from_headers,
    context_from_traceparent,
    message_trace_headers,
    tracer,
)

log = logging.getLogger(__name__)
_tracer = tracer("franoi.outbox")

MAX_LINKS = 128
"""Links from a batch's send span to its messages' creation contexts (the SDK's default
limit on a span's links)."""
__all__ = ["Outbox", "OutboxRelay", "OutboxSignal", "ensure_topics", "make_producer"]
NOTIFY_CHANNEL = "franoi_outbox"
SEND_TIMEOUT_S = 30.0
"""The longest a batch waits for the broker's acknowledgements. A producer whose broker went
away mid-send can be left with sends that never complete (seen with aiokafka after a broker
restart): past this, the batch is rolled back, the producer closed, and the batch sent again
by a new one (its events may then be on the topic twice; consumers drop the repeat)."""

_CLAIM = """
WITH claimed AS (
    SELECT id, aggregate_id
    FROM outbox
    WHERE sent_at IS NULL
    ORDER BY id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
SELECT o.id, o.event_id, o.partner_id, o.topic, o.aggregate_id, o.event_type, o.source,
       o.dataschema, o.occurred_at, o.sequence, o.data::text AS data,
       -- the trace context: its traceparent alone (the usual case), else the whole carrier
       o.trace->>'traceparent' AS traceparent,
       CASE WHEN o.trace - 'traceparent' = '{}'::jsonb THEN NULL ELSE o.trace::text END
           AS trace,
       EXISTS (
           SELECT 1 FROM outbox earlier
           WHERE earlier.aggregate_id = c.aggregate_id
             AND earlier.sent_at IS NULL
             AND earlier.id < c.id
             AND earlier.id NOT IN (SELECT id FROM claimed)
       ) AS blocked
FROM outbox o
JOIN claimed c ON c.id = o.id
ORDER BY o.id
"""


class Outbox:
    """Appends a partner service's domain events to its outbox table."""

    def __init__(self, domain: str, schema_base_url: str) -> None:
        self.domain = domain
        self._schema_base_url = schema_base_url.rstrip("/")

    def rows(self, partner_id: str, events: Sequence[DomainEvent]) -> list[tuple[Any, ...]]:
        """The outbox rows of ``events`` (``COLUMNS``), with new CloudEvents ids and each
        event's creation context (a ``<topic> create`` span, child of the current one)."""
        now = dt.datetime.now(dt.UTC)
        topic = topic_for(partner_id, self.domain)
        source = source_for(partner_id, self.domain)
        rows = []
        for event in events:
            event_id = uuid.uuid4()
            rows.append(
                (
                    event_id,
                    partner_id,
                    topic,
                    event.aggregate_id,
                    event.TYPE,
                    source,
                    f"{self._schema_base_url}/{event.schema_name()}.json",
                    now,
                    event.data(),
                    _creation_context(topic, event_id, event.TYPE),
                )
            )
        return rows

    async def append(
        self, conn: asyncpg.Connection, partner_id: str, events: Sequence[DomainEvent]
    ) -> list[uuid.UUID]:
        """Insert ``events`` in the caller's transaction; returns their CloudEvents ids.

        The connection must come from :func:`franoi_common.db.create_pool` (JSON codec).
        """
        if not events:
            return []
        if not conn.is_in_transaction():
            raise RuntimeError("Outbox.append must run inside the business transaction")
        rows = self.rows(partner_id, events)
        await conn.execute(_insert_rows(len(rows)), *(value for row in rows for value in row))
        return [row[0] for row in rows]

    def with_insert(
        self, statement: str, args: Sequence[Any], partner_id: str, events: Sequence[DomainEvent]
    ) -> tuple[str, list[Any]]:
        """One statement doing ``statement`` (an ``INSERT … RETURNING``, whose rows it
        returns) and appending ``events`` to the outbox: a command's row and its events in
        one round trip and, as one statement, atomically (in the caller's transaction, or as
        a transaction of its own)."""
        rows = self.rows(partner_id, events)
        if not rows:
            return statement, list(args)
        return (
            f"WITH created AS ({statement}), published AS"  # noqa: S608 (our own statements)
            f" ({_insert_rows(len(rows), first=len(args) + 1)}) SELECT * FROM created",
            [*args, *(value for row in rows for value in row)],
        )


def _creation_context(topic: str, event_id: uuid.UUID, event_type: str) -> dict[str, str]:
    """A message's creation: a PRODUCER span, child of the current span; its trace headers."""
    span = _tracer.start_span(
        f"{topic} create",
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "create",
            "messaging.destination.name": topic,
            "messaging.message.id": str(event_id),
            "cloudevents.event_type": event_type,
        },
    )
    span.end()
    return {name: value.decode() for name, value in message_trace_headers(span)}


COLUMNS = (
    "event_id, partner_id, topic, aggregate_id, event_type, source, dataschema, occurred_at,"
    " data, trace"
)


def _insert_rows(count: int, first: int = 1) -> str:
    """``INSERT INTO outbox`` of ``count`` rows, parameters from ``$first`` (rows are
    inserted, and so numbered, in the order given)."""
    width = COLUMNS.count(",") + 1
    values = ", ".join(
        "("
        + ", ".join(
            f"${n}::jsonb" if n - start >= width - 2 else f"${n}"
            for n in range(start, start + width)
        )
        + ")"
        for start in range(first, first + count * width, width)
    )
    return f"INSERT INTO outbox ({COLUMNS}) VALUES {values}"  # noqa: S608


class OutboxSignal:
    """Coalesced wake-up of relays after commits (in-process event + rate-limited NOTIFY)."""

    def __init__(self, pool: asyncpg.Pool | None, min_interval_s: float = 0.02) -> None:
        self._pool = pool
        self._min_interval_s = min_interval_s
        self.local = asyncio.Event()
        self._remote_pending = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.local_relays = 0
        """Relays running in this process (they register themselves): while there is one,
        no NOTIFY is sent."""

    def notify(self) -> None:
        self.local.set()
        if not self.local_relays:
            self._remote_pending.set()

    async def start(self) -> None:
        if self._pool is not None and self._task is None:
            self._task = asyncio.create_task(self._send_notifications(), name="outbox-notify")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _send_notifications(self) -> None:
        assert self._pool is not None
        while True:
            await self._remote_pending.wait()
            self._remote_pending.clear()
            try:
                await self._pool.execute(f"NOTIFY {NOTIFY_CHANNEL}")
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.warning("outbox notify failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(self._min_interval_s)


class OutboxRelay(BackgroundWorker):
    """Publishes unsent outbox rows to Kafka and marks them sent."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        kafka: KafkaSettings,
        *,
        client_id: str,
        signal: OutboxSignal | None = None,
        batch_size: int = 500,
        pipeline_depth: int = 2,
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 5.0,
        linger_s: float = 0.05,
        sealer: Sealer | None = None,
        erase_here: EraseHere = surrogate_only,
    ) -> None:
        self._pool = pool
        self._sealer = sealer
        """With shredding: every ``person_ref`` is published as its token
        (:func:`franoi_common.shredding.seal_rows`, in the batch's transaction)."""
        self._erase_here = erase_here
        self._kafka = kafka
        self._client_id = client_id
        self._signal = signal or OutboxSignal(None)
        self._batch_size = batch_size
        self._pipeline_depth = pipeline_depth
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._linger_s = linger_s
        self._last_claim = -math.inf  # loop time of the last claim
        self._producer: AIOKafkaProducer | None = None
        self._listener: asyncpg.Connection | None = None
        self.published = 0

    async def start(self) -> None:
        self._signal.local_relays += 1
        await super().start()

    async def stop(self) -> None:
        try:
            await super().stop()
        finally:
            self._signal.local_relays = max(0, self._signal.local_relays - 1)

    async def _close(self) -> None:
        await self._close_producer()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.remove_listener(NOTIFY_CHANNEL, self._wake)
                await self._pool.release(self._listener)
            self._listener = None

    async def pending(self) -> int:
        """Rows not yet published (the backlog)."""
        value = await self._pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return int(value)

    async def _close_producer(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):  # a stuck producer's flush is not waited for
                await asyncio.wait_for(self._producer.stop(), SEND_TIMEOUT_S)
            self._producer = None

    async def _listen(self) -> None:
        """Hold a connection that LISTENs for commits in other processes. Best effort: a
        wake-up only shortens the wait, the poll finds every row anyway, so a listener that
        cannot be had (the database away) never keeps the relay from publishing."""
        if self._listener is not None:
            try:
                if not self._listener.is_closed():
                    return
            except asyncpg.InterfaceError:
                pass  # the pool took the lost connection back: nothing left to release
            else:
                with contextlib.suppress(Exception):
                    await self._pool.release(self._listener)
            self._listener = None
        try:
            conn = await self._pool.acquire()
        except DATABASE_UNAVAILABLE:
            return
        try:
            await conn.add_listener(NOTIFY_CHANNEL, self._wake)
        except DATABASE_UNAVAILABLE:
            with contextlib.suppress(Exception):
                await self._pool.release(conn)
            return
        # A dedicated connection held out of the pool for LISTEN, released at stop.
        self._listener = conn

    def _wake(self, *_: Any) -> None:
        self._signal.local.set()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await started(make_producer(self._kafka, self._client_id))
        return self._producer

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen()
                producer = await self._ensure_producer()
                blocked = await self._drain(producer)
                self.progressed()
                backoff = 0.1
                # Rows held by another relay are retried soon; otherwise wait for a commit.
                wait_s = 0.02 if blocked else self._poll_interval_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._signal.local.wait(), wait_s)
                    # Woken by a commit: claim at once after a quiet moment, else when the
                    # interval since the last claim ends, so that the commits of that
                    # moment share one claim, one send and one mark.
                    await asyncio.sleep(self._until_next_claim())
            except asyncio.CancelledError:
                raise
            except (KafkaError, *DATABASE_UNAVAILABLE) as exc:
                self.failed(exc)
                log.warning(
                    "outbox relay cannot publish; retrying",
                    extra={"error": type(exc).__name__, "retry_in_s": backoff},
                )
                if isinstance(exc, KafkaError | TimeoutError):
                    await self._close_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
            except Exception as exc:  # unforeseen: logged with its trace, and tried again
                self.failed(exc)
                log.exception("outbox relay failed; retrying", extra={"retry_in_s": backoff})
                await self._close_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)

    async def metrics(self) -> list[str]:
        """The backlog, for alerting on a stalled partner: how many rows are unsent and how
        long the oldest has waited (0 when none)."""
        row = await self._pool.fetchrow(
            "SELECT count(*) AS unsent,"
            " coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) AS oldest"
            " FROM outbox WHERE sent_at IS NULL"
        )
        assert row is not None
        return [
            "# HELP franoi_outbox_unsent Events in the outbox not yet on the broker.",
            "# TYPE franoi_outbox_unsent gauge",
            f"franoi_outbox_unsent {int(row['unsent'])}",
            "# HELP franoi_outbox_oldest_unsent_seconds Age of the oldest unsent outbox event.",
            "# TYPE franoi_outbox_oldest_unsent_seconds gauge",
            f"franoi_outbox_oldest_unsent_seconds {float(row['oldest']):.3f}",
        ]

    def _until_next_claim(self) -> float:
        """Seconds until a claim asked for by commits (not by a full batch) may run."""
        return max(0.0, self._last_claim + self._linger_s - asyncio.get_running_loop().time())

    async def _drain(self, producer: AIOKafkaProducer) -> bool:
        """Publish, keeping up to ``pipeline_depth`` batches in flight, until nothing is left to
        claim and nothing is in flight; True if rows were left behind another relay's claim.

        Batch n+1 is claimed as soon as batch n's claim has returned, while batch n's rows
        are handed to the producer and acknowledged by the broker; each batch is its own
        transaction, marked sent when its acknowledgements are in. Order per aggregate holds
        because a claim skips an aggregate whose earlier row is still unsent (in flight in
        another batch, which holds its rows' locks until it is marked sent or rolled back)."""
        pending: set[asyncio.Task[int]] = set()
        loop = asyncio.get_running_loop()
        signalled: asyncio.Task[bool] | None = None
        try:
            while True:
                self._signal.local.clear()
                self._last_claim = loop.time()
                claimed: asyncio.Future[tuple[int, int]] = loop.create_future()
                task = asyncio.create_task(self._publish(producer, claimed))
                pending.add(task)
                first: set[asyncio.Future[Any]] = {claimed, task}
                await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
                if not claimed.done():
                    await task  # it failed before claiming: raise what it raised
                returned, considered = claimed.result()
                full = considered >= self._batch_size
                blocked = returned < considered  # rows behind an earlier unsent row
                # Claim again when there is room and a reason: a full window, new commits,
                # or rows that were behind a batch that has finished since.
                while True:
                    finished = {t for t in pending if t.done()}
                    for done in finished:
                        pending.discard(done)
                        done.result()  # raise a batch's failure
                    if blocked and finished:
                        full = True
                    committed = self._signal.local.is_set()
                    delay: float | None = None  # until a claim asked for by commits may run
                    if (full or committed) and len(pending) < self._pipeline_depth:
                        delay = 0.0 if full else self._until_next_claim()
                        if delay == 0.0:
                            break
                    elif not pending:
                        return blocked
                    waiters: set[asyncio.Future[Any]] = set(pending)
                    if not full and not committed:
                        if signalled is None or signalled.done():
                            signalled = asyncio.create_task(self._signal.local.wait())
                        waiters.add(signalled)
                    if not waiters:
                        await asyncio.sleep(delay or 0.0)
                    else:
                        await asyncio.wait(
                            waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED
                        )
        except asyncio.CancelledError:
            for running in pending:
                running.cancel()
            raise
        finally:
            if signalled is not None:
                signalled.cancel()
            if pending:  # a batch failed: let the others finish (or fail) before retrying
                await asyncio.gather(*pending, return_exceptions=True)

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Claim, publish and mark one batch; returns how many rows were published."""
        return await self._publish(producer, None)

    async def _publish(
        self, producer: AIOKafkaProducer, claimed: asyncio.Future[tuple[int, int]] | None
    ) -> int:
        """One batch in its own transaction: claim (then resolve ``claimed`` with (rows
        claimed, rows considered)), hand every row to the producer, await the broker's
        acknowledgements, mark the rows sent and commit."""
        async with self._pool.acquire() as conn:
            await conn.execute("BEGIN")
            try:
                locked = await conn.fetch(_CLAIM, self._batch_size)
                # A row behind an earlier unsent row of its aggregate (held by a batch in
                # flight, or by another relay) stays for a later claim.
                rows: Sequence[Mapping[str, Any]] = [row for row in locked if not row["blocked"]]
                # The next batch may be claimed now, while these rows are handed to the
                # producer: it cannot hold a later row of these rows' aggregates (they are
                # locked and unsent until this batch marks them), so order holds.
                if claimed is not None and not claimed.done():
                    claimed.set_result((len(rows), len(locked)))
                if rows:
                    span = _send_span(rows)
                    try:
                        if self._sealer is not None:
                            rows = await seal_rows(conn, self._sealer, rows, self._erase_here)
                        # Bounded: a producer that lost its broker may never resolve
                        # a send; the batch is rolled back and sent again by a new one.
                        await asyncio.wait_for(self._send(producer, rows), SEND_TIMEOUT_S)
                        # Mark sent and commit in one round trip (one simple query; the ids
                        # are the claimed rows' bigint ids, written as a literal).
                        ids = ",".join(str(int(row["id"])) for row in rows)
                        await conn.execute(
                            "UPDATE outbox SET sent_at = clock_timestamp()"  # noqa: S608
                            f" WHERE id = ANY('{{{ids}}}'::bigint[]); COMMIT"
                        )
                    except BaseException as exc:
                        span.set_status(trace.Status(trace.StatusCode.ERROR))
                        span.set_attribute("error.type", type(exc).__qualname__)
                        raise
                    finally:
                        span.end()
                else:
                    await conn.execute("ROLLBACK")
            except BaseException:
                if conn.is_in_transaction():
                    with contextlib.suppress(
                        asyncpg.PostgresError, asyncpg.InterfaceError, OSError
                    ):
                        await conn.execute("ROLLBACK")
                raise
        self.published += len(rows)
        self.progressed()
        return len(rows)

    async def _send(self, producer: AIOKafkaProducer, rows: Sequence[Mapping[str, Any]]) -> None:
        """Hand the rows to the producer as record batches, one run per partition (the one
        the default partitioner picks for the aggregate id, as ``send`` would), in claim
        order within each; return when the broker has acknowledged them all. Each message
        carries its row's creation context."""
        partitions: dict[str, list[int]] = {}
        runs: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
        for row in rows:
            topic = row["topic"]
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            every = partitions[topic]
            partition = _PARTITIONER(row["aggregate_id"].encode(), every, every)
            runs.setdefault((topic, partition), []).append(row)
        acknowledged: list[asyncio.Future[Any]] = []
        for (topic, partition), run in runs.items():
            batch = producer.create_batch()
            for row in run:
                message = {
                    "timestamp": None,
                    "key": row["aggregate_id"].encode(),
                    "value": row["data"].encode(),  # the JSON data as stored
                    "headers": _headers(row),
                }
                if batch.append(**message) is None:  # full: send it, start the next
                    acknowledged.append(
                        await producer.send_batch(batch, topic, partition=partition)
                    )
                    batch = producer.create_batch()
                    if batch.append(**message) is None:
                        raise ValueError("an event larger than the producer's batch size")
            acknowledged.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*acknowledged)


_PARTITIONER = DefaultPartitioner()


def _headers(row: Mapping[str, Any]) -> list[tuple[str, bytes]]:
    """A message's headers: the CloudEvents attributes and the row's creation context."""
    headers = message_headers(row)
    if row["traceparent"] is not None:
        headers.append(("traceparent", row["traceparent"].encode()))
    if row["trace"] is not None:  # more than a traceparent: every header as stored
        headers.extend(
            (name, value.encode())
            for name, value in json.loads(row["trace"]).items()
            if name != "traceparent"
        )
    return headers


def _send_span(rows: Sequence[Mapping[str, Any]]) -> trace.Span:
    """A batch's CLIENT span, linked to its first ``MAX_LINKS`` messages' creation contexts."""
    topics = {row["topic"] for row in rows}
    links = []
    for row in rows[:MAX_LINKS]:
        span_context = trace.get_current_span(_creation(row)).get_span_context()
        if span_context.is_valid:
            links.append(trace.Link(span_context))
    return _tracer.start_span(
        f"{next(iter(topics))} send" if len(topics) == 1 else "send",
        context=otel_context.Context(),  # a batch of many commands' messages: its own trace
        kind=trace.SpanKind.CLIENT,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.batch.message_count": len(rows),
            **({"messaging.destination.name": next(iter(topics))} if len(topics) == 1 else {}),
        },
    )


def _creation(row: Mapping[str, Any]) -> Any:
    """The creation context stored with an outbox row."""
    if row["trace"] is None and row["traceparent"] is not None:
        fast = context_from_traceparent(row["traceparent"])
        if fast is not None:
            return fast
    carrier = json.loads(row["trace"]) if row["trace"] is not None else {}
    if row["traceparent"] is not None:
        carrier["traceparent"] = row["traceparent"]
    return context_from_headers(carrier)


_SPECVERSION = SPECVERSION.encode()
_CONTENT_TYPE = CONTENT_TYPE.encode()


def message_headers(row: Mapping[str, Any]) -> list[tuple[str, bytes]]:
    """The CloudEvents binary-mode headers of an outbox row: what :func:`encode` writes for
    the same envelope, without building the SDK's event (the relay's hot path)."""
    time = row["occurred_at"].isoformat()
    if time.endswith("+00:00"):
        time = time[:-6] + "Z"
    headers = [
        ("ce_specversion", _SPECVERSION),
        ("ce_id", str(row["event_id"]).encode()),
        ("ce_source", row["source"].encode()),
        ("ce_type", row["event_type"].encode()),
        ("ce_time", time.encode()),
        ("ce_subject", row["aggregate_id"].encode()),
        ("content-type", _CONTENT_TYPE),
        ("ce_partnerid", row["partner_id"].encode()),
    ]
    if row["dataschema"]:
        headers.append(("ce_dataschema", row["dataschema"].encode()))
    sequence = row.get("sequence")
    if sequence is not None:
        headers.append(("ce_sequence", format_sequence(sequence).encode()))
    return headers
