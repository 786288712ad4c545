"""Test harness: real PostgreSQL and Kafka, services running on loopback ports."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from franoi_common.auth import mint_token
from franoi_common.settings import (
    AuthSettings,
    KafkaSettings,
    PartnerServiceSettings,
    ProjectionSettings,
)
from franoi_devenv.services import RunningService, running

__all__ = ["RunningService", "running"]

AUTH = AuthSettings()


def token(partner_id: str, *roles: str) -> str:
    return mint_token(
        AUTH, subject="test-user", partner_id=partner_id, roles=roles or ["social_worker"]
    )


def auth_header(partner_id: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(partner_id, *roles)}"}


ANALYST = {"Authorization": f"Bearer {token('consortium', 'consortium_analyst')}"}


def kafka_settings(bootstrap: str, idempotent: bool, **overrides: Any) -> KafkaSettings:
    values: dict[str, Any] = {
        "bootstrap": bootstrap,
        "idempotent_producer": idempotent,
        "create_topics": True,
        "metadata_max_age_ms": 500,
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 500,
    }
    values.update(overrides)
    return KafkaSettings(**values)


@dataclass
class Databases:
    """Creates one fresh database per service instance on the test server."""

    admin_url: str

    async def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return _with_database(self.admin_url, name)


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def housing_settings(
    database_url: str, kafka: KafkaSettings, partners: Iterable[str], **overrides: Any
) -> PartnerServiceSettings:
    return PartnerServiceSettings(
        env="test",
        database_url=database_url,
        partner_id=",".join(partners),
        kafka=kafka,
        relay_poll_interval_s=0.5,
        **overrides,
    )


def projection_settings(
    database_url: str, kafka: KafkaSettings, partners: Iterable[str], **overrides: Any
) -> ProjectionSettings:
    alternatives = "|".join(partners)
    return ProjectionSettings(
        env="test",
        database_url=database_url,
        kafka=kafka,
        consumer_group=f"projection-test-{uuid.uuid4().hex[:8]}",
        topic_pattern=rf"franoi\.({alternatives})\.(cases|housing|employment|hosting|events)\.v1",
        **overrides,
    )


async def eventually(check: Any, timeout_s: float = 30.0, interval_s: float = 0.05) -> Any:
    """Poll ``check`` (async, returns a truthy value when done) until it passes."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last: Any = None
    while True:
        last = await check()
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s (last: {last!r})")
        await asyncio.sleep(interval_s)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
