"""The topics' retention, read back from a real broker.

A partner's housing service and the projection start with ``FRANOI_KAFKA_CREATE_TOPICS``
(as the development network does) and create their topics: the partner's domain topic,
the erasure worker's dead-letter topic, the projection's dead-letter topic. The broker's
own description of each topic (admin ``describe_configs``) gives the retention
``docs/privacy.md`` states (:mod:`franoi_common.retention`), not the broker's default.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from franoi_common.erasure import dead_letter_topic
from franoi_common.kafka import started
from franoi_common.retention import (
    DEAD_LETTER_RETENTION_MS,
    DOMAIN_TOPIC_RETENTION_MS,
    retention_ms,
)
from franoi_common.settings import topic_for
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    RunningService,
    fresh_partners,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)


def test_the_privacy_notice_states_the_retention_the_code_applies() -> None:
    privacy = (Path(__file__).parents[1] / "docs" / "privacy.md").read_text(encoding="utf-8")
    deploy = (Path(__file__).parents[1] / "docs" / "deploy.md").read_text(encoding="utf-8")
    for doc in (privacy, deploy):
        assert f"retention.ms={DOMAIN_TOPIC_RETENTION_MS}" in doc
        assert f"retention.ms={DEAD_LETTER_RETENTION_MS}" in doc
        assert not re.search(r"retention\.ms=-1\b", doc), "no topic is kept forever"


async def described(bootstrap: str, topics: list[str]) -> dict[str, dict[str, str]]:
    admin = await started(AIOKafkaAdminClient(bootstrap_servers=bootstrap))
    try:
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
        )
    finally:
        await admin.close()
    configs: dict[str, dict[str, str]] = {}
    for answer in answers:
        for error_code, _, _, name, entries in answer.resources:
            assert error_code == 0, f"describe_configs {name}: error {error_code}"
            configs[name] = {entry[0]: entry[1] for entry in entries}
    return configs


async def test_the_services_create_their_topics_with_the_stated_retention(
    databases, kafka_bootstrap, kafka_idempotent, tmp_path
) -> None:
    (partner,) = fresh_partners(1)
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING, partner_service_settings(await databases.create("housing"), kafka, [partner])
    )
    projection = RunningService(
        PROJECTION,
        projection_settings(
            await databases.create("projection"),
            kafka,
            [partner],
            dead_letter_topic=f"franoi.consortium{partner}.deadletter.v1",
        ),
    )
    topics = [
        topic_for(partner, "housing"),
        dead_letter_topic("housing", [partner]),
        projection.settings.dead_letter_topic,  # type: ignore[attr-defined]
    ]
    async with running(housing, projection):
        configs = await described(kafka_bootstrap, topics)
    assert {t: configs[t]["retention.ms"] for t in topics} == {
        topics[0]: str(DOMAIN_TOPIC_RETENTION_MS),
        topics[1]: str(DEAD_LETTER_RETENTION_MS),
        topics[2]: str(DEAD_LETTER_RETENTION_MS),
    }
    assert {configs[t]["cleanup.policy"] for t in topics} == {"delete"}
    assert [retention_ms(t) for t in topics] == [
        DOMAIN_TOPIC_RETENTION_MS,
        DEAD_LETTER_RETENTION_MS,
        DEAD_LETTER_RETENTION_MS,
    ]
