"""The transactional outbox and its relay.

``Outbox.append`` writes a command's domain events into the ``outbox`` table
inside the caller's transaction, so an event exists if and only if the business
change committed. The ``OutboxRelay`` publishes unsent rows to the partner's
topic (``franoi.<partner_id>.<domain>.v1``), keyed by aggregate id, with
``acks=all``, then marks them sent.

Order: rows are published in id order. A row is only claimed when no earlier
unsent row of the same aggregate is held by another relay, so several relay
replicas (``FOR UPDATE SKIP LOCKED``) never reorder one aggregate's events.
Within a command the aggregate row is locked first, so one aggregate's outbox
ids follow its commit order.

Wake-up: after a commit the unit of work calls ``OutboxSignal.notify``; that
wakes an in-process relay at once and sends at most one ``NOTIFY`` per
interval to relays in other processes (never one per write, never inside the
business transaction). A relay also polls, so a lost notification only delays.

If the broker is unreachable, commands still commit; the relay retries with
backoff and drains the backlog in order when the broker returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import trace

from franoi_common.envelope import Envelope, encode, source_for
from franoi_common.events import DomainEvent
from franoi_common.kafka import BackgroundWorker, ensure_topics, make_producer, started
from franoi_common.settings import KafkaSettings, topic_for
from franoi_common.telemetry import context_from_headers, current_trace_headers, tracer

log = logging.getLogger(__name__)
__all__ = ["Outbox", "OutboxRelay", "OutboxSignal", "ensure_topics", "make_producer"]
NOTIFY_CHANNEL = "franoi_outbox"

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
       o.dataschema, o.occurred_at, o.data::text AS data, o.trace::text AS trace
FROM outbox o
JOIN claimed c ON c.id = o.id
WHERE NOT EXISTS (
    SELECT 1 FROM outbox earlier
    WHERE earlier.aggregate_id = c.aggregate_id
      AND earlier.sent_at IS NULL
      AND earlier.id < c.id
      AND earlier.id NOT IN (SELECT id FROM claimed)
)
ORDER BY o.id
"""


class Outbox:
    """Appends a partner service's domain events to its outbox table."""

    def __init__(self, domain: str, schema_base_url: str) -> None:
        self.domain = domain
        self._schema_base_url = schema_base_url.rstrip("/")

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
        now = dt.datetime.now(dt.UTC)
        trace_headers = current_trace_headers()
        ids = [uuid.uuid4() for _ in events]
        await conn.executemany(
            "INSERT INTO outbox (event_id, partner_id, topic, aggregate_id, event_type, source,"
            " dataschema, occurred_at, data, trace)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)",
            [
                (
                    event_id,
                    partner_id,
                    topic_for(partner_id, self.domain),
                    event.aggregate_id,
                    event.TYPE,
                    source_for(partner_id, self.domain),
                    f"{self._schema_base_url}/{event.schema_name()}.json",
                    now,
                    event.data(),
                    trace_headers,
                )
                for event_id, event in zip(ids, events, strict=True)
            ],
        )
        return ids


class OutboxSignal:
    """Coalesced wake-up of relays after commits (in-process event + rate-limited NOTIFY)."""

    def __init__(self, pool: asyncpg.Pool | None, min_interval_s: float = 0.02) -> None:
        self._pool = pool
        self._min_interval_s = min_interval_s
        self.local = asyncio.Event()
        self._remote_pending = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        self.local.set()
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
            except (asyncpg.PostgresError, OSError) as exc:
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
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._pool = pool
        self._kafka = kafka
        self._client_id = client_id
        self._signal = signal or OutboxSignal(None)
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._producer: AIOKafkaProducer | None = None
        self._listener: asyncpg.Connection | None = None
        self._tracer = tracer("franoi.outbox")
        self.published = 0
        self.last_error: str | None = None

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
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None

    async def _listen(self) -> None:
        if self._listener is not None:
            if not self._listener.is_closed():
                return
            with contextlib.suppress(Exception):
                await self._pool.release(self._listener)
            self._listener = None
        try:
            conn = await self._pool.acquire()
        except (asyncpg.PostgresError, OSError):
            return
        # A dedicated connection held out of the pool for LISTEN, released at stop.
        self._listener = conn
        await conn.add_listener(NOTIFY_CHANNEL, self._wake)

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
                self._signal.local.clear()
                sent = await self.publish_batch(producer)
                self.last_error = None
                backoff = 0.1
                if sent >= self._batch_size:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._signal.local.wait(), self._poll_interval_s)
            except asyncio.CancelledError:
                raise
            except (KafkaError, asyncpg.PostgresError, OSError, TimeoutError) as exc:
                self.last_error = type(exc).__name__
                log.warning(
                    "outbox relay cannot publish; retrying",
                    extra={"error": type(exc).__name__, "retry_in_s": backoff},
                )
                if isinstance(exc, KafkaError | TimeoutError):
                    await self._close_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Claim, publish and mark one batch; returns how many rows were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            futures = []
            for row in rows:
                envelope = Envelope(
                    id=str(row["event_id"]),
                    source=row["source"],
                    type=row["event_type"],
                    time=row["occurred_at"],
                    subject=row["aggregate_id"],
                    partnerid=row["partner_id"],
                    data=json.loads(row["data"]),
                    dataschema=row["dataschema"],
                )
                parent = context_from_headers(json.loads(row["trace"]))
                with self._tracer.start_as_current_span(
                    f"{row['topic']} publish",
                    context=parent,
                    kind=trace.SpanKind.PRODUCER,
                    attributes={
                        "messaging.system": "kafka",
                        "messaging.destination.name": row["topic"],
                        "messaging.message.id": envelope.id,
                        "cloudevents.event_type": envelope.type,
                    },
                ):
                    envelope = Envelope(**{**envelope.__dict__, "trace": current_trace_headers()})
                    headers, value = encode(envelope)
                    futures.append(
                        await producer.send(
                            row["topic"], value=value, key=envelope.key, headers=headers
                        )
                    )
            await asyncio.gather(*futures)
            await conn.execute(
                "UPDATE outbox SET sent_at = clock_timestamp() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
        self.published += len(rows)
        return len(rows)
