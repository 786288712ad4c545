"""Consumer lag per topic: how many events the projection has not applied yet.

The consumer does not expose its lag, so this asks the broker directly: the consumer
group's committed offsets (admin client) against each partition's end offset (a consumer
without a group). A partition the group never committed counts from its first offset.
Answers are cached for a few seconds, so a scraper or a readiness probe does not open
Kafka connections on every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from franoi_common.kafka import started
from franoi_common.settings import KafkaSettings

CACHE_S = 5.0
BEHIND_LIMIT = 10_000
"""More events than this waiting on one topic makes the readiness check report it."""


class ConsumerBehind(Exception):
    """The projection is far behind the partners' topics (shown on /readyz)."""


class LagNotReported(Exception):
    """The broker cannot report offsets (the memory-only development broker)."""


@dataclass(frozen=True)
class Lag:
    by_topic: dict[str, int]
    measured_at: float

    @property
    def total(self) -> int:
        return sum(self.by_topic.values())


class LagProbe:
    def __init__(self, kafka: KafkaSettings, group_id: str, topic_pattern: str) -> None:
        self._kafka = kafka
        self._group_id = group_id
        self._pattern = re.compile(topic_pattern)
        self._last: Lag | None = None
        self._lock = asyncio.Lock()

    async def lag(self) -> Lag:
        async with self._lock:
            if self._last is None or time.monotonic() - self._last.measured_at > CACHE_S:
                self._last = Lag(await self._measure(), time.monotonic())
            return self._last

    async def _measure(self) -> dict[str, int]:
        if not self._kafka.reports_group_offsets:
            raise LagNotReported("this broker does not report consumer offsets (development)")
        options = self._kafka.client_options()
        admin = await started(AIOKafkaAdminClient(**options))
        reader = await started(AIOKafkaConsumer(enable_auto_commit=False, **options))
        try:
            topics = sorted(t for t in await admin.list_topics() if self._pattern.fullmatch(t))
            described = await admin.describe_topics(topics) if topics else []
            partitions = [
                TopicPartition(d["topic"], p["partition"])
                for d in described
                for p in d["partitions"]
            ]
            if not partitions:
                return {}
            committed = await admin.list_consumer_group_offsets(self._group_id)
            ends = await reader.end_offsets(partitions)
            starts = await reader.beginning_offsets(partitions)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
            with contextlib.suppress(Exception):
                await reader.stop()
        lag: dict[str, int] = dict.fromkeys(topics, 0)
        for tp in partitions:
            done = committed.get(tp)
            position = done.offset if done is not None and done.offset >= 0 else starts[tp]
            lag[tp.topic] += max(0, ends[tp] - position)
        return lag

    async def metrics(self) -> list[str]:
        """``/metrics``: the lag per topic (Prometheus text format)."""
        return exposition(await self.lag())

    async def check(self) -> None:
        """Readiness (informational): fails when a topic has too many events waiting."""
        lag = await self.lag()
        if any(n > BEHIND_LIMIT for n in lag.by_topic.values()):
            raise ConsumerBehind(f"{lag.total} events waiting")


def exposition(lag: Lag) -> list[str]:
    """The Prometheus text format of the lag (topic names carry no personal data)."""
    lines = [
        "# HELP franoi_projection_consumer_lag Events on the topic not yet applied.",
        "# TYPE franoi_projection_consumer_lag gauge",
    ]
    lines += [
        f'franoi_projection_consumer_lag{{topic="{topic}"}} {n}'
        for topic, n in sorted(lag.by_topic.items())
    ]
    return lines
