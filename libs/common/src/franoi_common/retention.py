"""How long the network's topics keep events: the one place the retention is set.

``docs/privacy.md`` ("Retention of the domain topics") states it; every topic creator
applies it: the services' own topic creation in development (:func:`topic_config` through
``franoi_common.kafka.ensure_topics``), the development broker's default, Compose's
``deploy/kafka/create-topics.sh`` and the chart's Strimzi ``KafkaTopic`` resources (their
values are checked against these constants by ``tests/deploy``).
"""

from __future__ import annotations

DAY_MS = 24 * 60 * 60 * 1000

DOMAIN_TOPIC_RETENTION_DAYS = 396
"""13 months (one reporting year plus a month to produce its reports)."""
DOMAIN_TOPIC_RETENTION_MS = DOMAIN_TOPIC_RETENTION_DAYS * DAY_MS
"""``retention.ms`` of every ``franoi.<partner>.<domain>.v1`` topic: 34,214,400,000."""

DEAD_LETTER_RETENTION_DAYS = 30
DEAD_LETTER_RETENTION_MS = DEAD_LETTER_RETENTION_DAYS * DAY_MS
"""``retention.ms`` of every dead-letter topic (``*.deadletter.v1``): 2,592,000,000."""

DEAD_LETTER_SUFFIX = "deadletter.v1"


def is_dead_letter(topic: str) -> bool:
    """The projection's ``franoi.consortium.deadletter.v1`` and the erasure workers'
    ``franoi.<partner>.<domain>.deadletter.v1``."""
    return topic.endswith(DEAD_LETTER_SUFFIX)


def retention_ms(topic: str) -> int:
    """The retention a topic of the network is created with."""
    return DEAD_LETTER_RETENTION_MS if is_dead_letter(topic) else DOMAIN_TOPIC_RETENTION_MS


def topic_config(topic: str) -> dict[str, str]:
    """The Kafka configuration a topic is created with: time-bounded, never compacted."""
    return {"cleanup.policy": "delete", "retention.ms": str(retention_ms(topic))}
