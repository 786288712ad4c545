"""The subscriber: the network's topics through FastStream, each event once and in order.

:func:`subscribe` adds to a FastStream ``KafkaBroker`` a subscriber that

- reads the topics of the chosen domains and partners (``franoi.<partner>.<domain>.v1``,
  by pattern, so a partner that joins later is read too) in the integrator's own consumer
  group, from the oldest event kept when the group is new;
- reads each record into its contract model (:func:`franoi_integrator_kit.reading.read`);
- drops repeats and stale redeliveries by the aggregate's sequence
  (:mod:`franoi_integrator_kit.sequences`) and hands every other event to the handler;
- commits the record's offset only after the handler returned and the sequence was
  remembered. When the handler raises, the record is read again (after ``retry_delay_s``)
  and nothing later on its partition is handled before it: the integrator keeps its own
  offsets, and loses nothing.

A crash between the handler's return and the store's ``remember`` hands the event over
once more: a handler whose effects must happen once keeps the sequence store in its own
transaction (a :class:`~franoi_integrator_kit.sequences.SequenceStore` on its database).
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from franoi_contracts.wire import topic_pattern

from franoi_integrator_kit.reading import NotAnEvent, Received, read
from franoi_integrator_kit.sequences import Outcome, SequenceStore, judge

log = logging.getLogger("franoi_integrator_kit")

Handler = Callable[[Received], Awaitable[None]]
"""What the integrator does with an event; raising means "not done, give it again"."""

InvalidHandler = Callable[[str, int, int, NotAnEvent], Awaitable[None]]
"""Called with (topic, partition, offset, reason) for a record that is not an event of the
contract (e.g. a type of a newer contract); returning skips it, raising stops there."""


async def _log_invalid(topic: str, partition: int, offset: int, reason: NotAnEvent) -> None:
    log.warning("skipped a record of %s[%d] at %d: %s", topic, partition, offset, reason)


class NetworkReader:
    """Hands ``handler`` each event of the records it takes once, in order."""

    def __init__(
        self,
        handler: Handler,
        store: SequenceStore,
        *,
        on_invalid: InvalidHandler = _log_invalid,
        retry_delay_s: float = 1.0,
    ) -> None:
        self._handler = handler
        self._store = store
        self._on_invalid = on_invalid
        self._retry_delay_s = retry_delay_s
        self.outcomes: Counter[Outcome] = Counter()
        """How many records had each outcome (for the integrator's metrics)."""

    async def take(
        self,
        topic: str,
        partition: int,
        offset: int,
        headers: Iterable[tuple[str, bytes]],
        value: bytes | None,
    ) -> Outcome:
        """Read one record and hand its event over unless it was handled already."""
        try:
            received = read(topic, partition, offset, headers, value)
        except NotAnEvent as reason:
            await self._on_invalid(topic, partition, offset, reason)
            self.outcomes[Outcome.INVALID] += 1
            return Outcome.INVALID
        outcome = judge(
            received.sequence, await self._store.last(received.source, received.aggregate_id)
        )
        if outcome in (Outcome.DUPLICATE, Outcome.STALE):
            log.debug(
                "dropped a %s delivery of %s %s (sequence %s)",
                outcome,
                received.event_type,
                received.aggregate_id,
                received.sequence,
            )
        else:
            try:
                await self._handler(received)
            except Exception:
                log.exception("the handler failed on %s; it gets it again", received.event_id)
                await asyncio.sleep(self._retry_delay_s)
                raise
            if received.sequence is not None:
                await self._store.remember(
                    received.source, received.aggregate_id, received.sequence
                )
        self.outcomes[outcome] += 1
        return outcome


def subscribe(
    broker: KafkaBroker,
    handler: Handler,
    *,
    group_id: str,
    store: SequenceStore,
    domains: Iterable[str] | None = None,
    partners: Iterable[str] | None = None,
    on_invalid: InvalidHandler = _log_invalid,
    retry_delay_s: float = 1.0,
) -> NetworkReader:
    """Subscribe ``handler`` on ``broker`` to the events of ``domains`` (all when None) of
    ``partners`` (all when None), in the consumer group ``group_id`` (the integrator's
    own: its committed offsets are where a restart goes on). Returns the reader, whose
    ``outcomes`` count what happened."""
    reader = NetworkReader(handler, store, on_invalid=on_invalid, retry_delay_s=retry_delay_s)
    subscriber = broker.subscriber(
        pattern=topic_pattern(domains, partners),
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )

    @subscriber
    async def on_record(message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple)  # one record at a time, never a batch
        await reader.take(
            record.topic, record.partition, record.offset, record.headers, record.value
        )

    return reader
