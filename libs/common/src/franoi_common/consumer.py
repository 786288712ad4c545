"""The idempotent consumer.

Each event is applied in one database transaction that also records its
``(ce_source, ce_id)`` in ``processed_events``; a redelivered event finds its
row and changes nothing. Kafka offsets are committed explicitly, only after the
database commit of every event before them (auto-commit is off), so nothing
acknowledged is ever lost: a crash between the two means redelivery, which the
record makes harmless.

A message that cannot be decoded or processed goes to the dead-letter topic
with the reason in ``dlq_*`` headers (and a row in ``dead_letters``) and
consumption continues. A transient failure (database or broker unreachable) is
retried with backoff and never dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from pydantic import ValidationError

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
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.OperatorInterventionError,  # admin shutdown, cancelled by the server
    asyncpg.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.TransactionRollbackError,  # serialization failure, deadlock
    OSError,
    TimeoutError,
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


@dataclass(frozen=True)
class Delivery:
    """Where an event came from in Kafka."""

    topic: str
    partition: int
    offset: int


Handler = Callable[[asyncpg.Connection, Envelope, Delivery], Awaitable[None]]
"""Applies one event inside the consumer's transaction; raises Unprocessable to dead-letter."""


class IdempotentConsumer(BackgroundWorker):
    def __init__(
        self,
        pool: asyncpg.Pool,
        kafka: KafkaSettings,
        *,
        group_id: str,
        topic_pattern: str,
        dead_letter_topic: str,
        handler: Handler,
        client_id: str,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._pool = pool
        self._kafka = kafka
        self._group_id = group_id
        self._pattern = topic_pattern
        self._dlq_topic = dead_letter_topic
        self._handler = handler
        self._client_id = client_id
        self._max_backoff_s = max_backoff_s
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._tracer = tracer("franoi.consumer")
        self.max_attempts = 3
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.assigned: set[TopicPartition] = set()
        self.last_error: str | None = None

    async def _close(self) -> None:
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
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                self.assigned = set(consumer.assignment())
                for tp, records in batches.items():
                    for record in records:
                        await self._process(record)
                    with contextlib.suppress(CommitFailedError):
                        # After a rebalance the new owner re-reads; the record makes that harmless.
                        await consumer.commit({tp: records[-1].offset + 1})
                self.last_error = None
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker lost, or anything unforeseen: start over
                self.last_error = type(exc).__name__
                log.warning(
                    "consumer interrupted; reconnecting (uncommitted records are redelivered)",
                    extra={"error": type(exc).__name__, "retry_in_s": backoff},
                    exc_info=not isinstance(exc, KafkaError | OSError),
                )
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Apply one record, or dead-letter it; retry transient failures until done."""
        delivery = Delivery(record.topic, record.partition, record.offset)
        try:
            envelope = decode(record.headers or (), record.value)
            check_topic(envelope, record.topic)
        except EnvelopeError as exc:
            await self._dead_letter(record, str(exc), None)
            return
        backoff = 0.1
        failures = 0
        while True:
            try:
                await self._apply(envelope, delivery)
                return
            except Unprocessable as exc:
                await self._dead_letter(record, str(exc), envelope)
                return
            except TRANSIENT_DATABASE_ERRORS as exc:
                log.warning(
                    "database unavailable; retrying event",
                    extra={"error": type(exc).__name__, "event_id": envelope.id},
                )
            except Exception as exc:  # a failure the handler did not foresee
                failures += 1
                log.exception(
                    "event processing failed",
                    extra={"event_id": envelope.id, "attempt": failures},
                )
                if failures >= self.max_attempts:
                    await self._dead_letter(
                        record,
                        f"processing failed {failures} times: {type(exc).__name__}",
                        envelope,
                    )
                    return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff_s)

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

    async def _apply(self, envelope: Envelope, delivery: Delivery) -> None:
        with self._tracer.start_as_current_span(
            f"{delivery.topic} process",
            context=context_from_headers(envelope.trace),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": delivery.topic,
                "messaging.message.id": envelope.id,
                "messaging.kafka.offset": delivery.offset,
                "cloudevents.event_type": envelope.type,
            },
        ):
            async with self._connection() as conn, conn.transaction():
                first_time = await conn.fetchval(
                    "INSERT INTO processed_events"
                    " (source, event_id, event_type, topic, kafka_partition, kafka_offset)"
                    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
                    envelope.source,
                    envelope.id,
                    envelope.type,
                    delivery.topic,
                    delivery.partition,
                    delivery.offset,
                )
                if not first_time:
                    self.duplicates += 1
                    return
                try:
                    await self._handler(conn, envelope, delivery)
                except ValidationError as exc:
                    raise Unprocessable(
                        f"{envelope.type} data invalid: {describe_validation_error(exc)}"
                    ) from exc
            self.processed += 1

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: str, envelope: Envelope | None
    ) -> None:
        headers: list[tuple[str, bytes]] = list(record.headers or ())
        headers += [
            ("dlq_reason", reason.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self._group_id.encode()),
        ]
        backoff = 0.1
        while True:
            try:
                assert self._producer is not None
                await self._producer.send_and_wait(
                    self._dlq_topic, value=record.value, key=record.key, headers=headers
                )
                async with self._connection() as conn:
                    await conn.execute(
                        "INSERT INTO dead_letters"
                        " (topic, kafka_partition, kafka_offset, event_id, event_type, reason)"
                        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        record.topic,
                        record.partition,
                        record.offset,
                        envelope.id if envelope else None,
                        envelope.type if envelope else None,
                        reason,
                    )
                break
            except (KafkaError, asyncpg.PostgresError, *TRANSIENT_DATABASE_ERRORS) as exc:
                log.warning(
                    "dead-letter publish failed; retrying",
                    extra={"error": type(exc).__name__},
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
        self.dead_lettered += 1
        log.warning(
            "event dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason,
            },
        )


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
