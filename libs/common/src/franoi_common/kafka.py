"""Kafka clients and background workers, configured in one place."""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from franoi_common.settings import KafkaSettings


class _Client(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


C = TypeVar("C", bound=_Client)


async def started(client: C) -> C:
    """Start a client; if starting fails, release what it opened and re-raise."""
    try:
        await client.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await client.stop()
        raise
    return client


PRODUCER_BATCH_BYTES = 256 * 1024
"""A record batch per partition of up to 256 KiB (the client's default is 16 KiB): a relay
claim's messages for one partition go in one request instead of several in a row. Measured
on a drain of 20,000 events: 60 % more events/s and half the relay's CPU per event. The
broker accepts batches up to 1 MiB (``message.max.bytes``), consumers fetch 1 MiB per
partition."""


def make_producer(kafka: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """The one producer configuration: acks=all, idempotent where the broker supports it,
    batches of up to :data:`PRODUCER_BATCH_BYTES`."""
    return AIOKafkaProducer(
        client_id=client_id,
        acks="all",
        enable_idempotence=kafka.idempotent_producer,
        request_timeout_ms=10000,
        linger_ms=5,
        max_batch_size=PRODUCER_BATCH_BYTES,
        **kafka.client_options(),
    )


async def ensure_topics(kafka: KafkaSettings, topics: Sequence[str]) -> None:
    """Create topics that do not exist yet (development; production provisions them)."""
    admin = await started(AIOKafkaAdminClient(**kafka.client_options()))
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(t, kafka.topic_partitions, 1) for t in missing])
    finally:
        await admin.close()


class BackgroundWorker(abc.ABC):
    """A loop running as an asyncio task between ``start`` and ``stop``."""

    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=type(self).__name__)

    async def stop(self) -> None:
        try:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        finally:
            self._task = None
            await self._close()

    @abc.abstractmethod
    async def _run(self) -> None: ...

    @abc.abstractmethod
    async def _close(self) -> None: ...
