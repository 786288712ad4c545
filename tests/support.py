"""Test harness: real PostgreSQL and Kafka, services running on loopback ports."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from franoi_common.auth import mint_token
from franoi_common.db import create_pool
from franoi_common.envelope import envelope_of
from franoi_common.service import ServiceDefinition
from franoi_common.settings import (
    AuthSettings,
    KafkaSettings,
    PartnerServiceSettings,
    ProjectionSettings,
)
from franoi_contracts.base import DomainEvent, event_class
from franoi_devenv.services import RunningService, running

__all__ = ["RunningService", "envelope_of", "running"]

AUTH = AuthSettings()


def token(partner_id: str, *roles: str) -> str:
    return mint_token(
        AUTH, subject="test-user", partner_id=partner_id, roles=roles or ["social_worker"]
    )


_HANDED_OUT: set[str] = set()
"""The partner ids :func:`fresh_partners` gave in this session."""


def fresh_partners(count: int, avoid: Collection[str] = ()) -> list[str]:
    """Partner ids (p100 to p999) that no other test of this session was given, drawn at
    random: the tests share one broker, and two tests drawing the same id would read each
    other's records on its topics (a lag test's bare ``{}`` once reached an erasure test
    that way)."""
    free = [f"p{n}" for n in range(100, 1000) if f"p{n}" not in _HANDED_OUT | set(avoid)]
    chosen = random.sample(free, count)
    _HANDED_OUT.update(chosen)
    return chosen


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


def partner_service_settings(
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
        topic_pattern=rf"franoi\.({alternatives})\.(cases|housing|employment|hosting|events|referrals)\.v1",
        **overrides,
    )


T = TypeVar("T")


def set_wise_batches(items: Iterable[T], event_of: Callable[[T], DomainEvent]) -> Iterator[list[T]]:
    """Consecutive runs of ``items`` whose events are of one type with at most one event per
    aggregate: the groups a batching consumer applies set-wise, in order."""
    batch: list[T] = []
    for item in items:
        event = event_of(item)
        if batch and (
            type(event) is not type(event_of(batch[0]))
            or event.aggregate_id in {event_of(b).aggregate_id for b in batch}
        ):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


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


# --- a domain service's API under test, with its outbox ----------------------------------

Expected = Sequence[tuple[str, str | None]]
"""Events a command appends: (``entity.what`` short type, aggregate id or None = the
id named by the event's key in the response)."""


@dataclass
class OutboxApi:
    """One partner's client of a domain service (the relay off). :meth:`call` checks the
    status, that a refusal is an RFC 9457 problem, and that exactly the ``events`` expected
    were appended to the outbox (type, aggregate, partner, topic, source, schema, not yet
    sent) with data that validates against the event's model; a refused command appends
    nothing. Every event appended is kept in ``sent``."""

    DOMAIN: ClassVar[str] = ""
    DEFAULT_ROLES: ClassVar[tuple[str, ...]] = ()

    service: RunningService
    db: asyncpg.Connection
    partner: str
    roles: tuple[str, ...] = ()
    sent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return auth_header(self.partner, *(self.roles or self.DEFAULT_ROLES))

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int,
        events: Expected = (),
        params: dict[str, Any] | None = None,
    ) -> Any:
        since = await self.db.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        response = await self.service.client.request(
            method, path, json=body, params=params, headers=self.headers
        )
        assert response.status_code == status, f"{method} {path}: {response.text}"
        payload = response.json()
        if status >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert payload["status"] == status and payload["title"] and payload["detail"]
        await self.check_events(since, events, payload)
        return payload

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params or None, status=200)

    async def check_events(self, since: int, expected: Expected, payload: Any) -> list[Any]:
        rows = await self.db.fetch("SELECT * FROM outbox WHERE id > $1 ORDER BY id", since)
        want = []
        for short, aggregate in expected:
            event_type = f"it.franoi.{self.DOMAIN}.{short}.v1"
            cls = event_class(event_type)
            assert cls is not None, event_type
            want.append((event_type, str(aggregate or payload[cls.KEY])))
        assert [(r["event_type"], r["aggregate_id"]) for r in rows] == want
        for row in rows:
            cls = event_class(row["event_type"])
            assert cls is not None
            event = cls.model_validate(row["data"])
            assert event.aggregate_id == row["aggregate_id"]
            assert row["partner_id"] == self.partner
            assert row["topic"] == f"franoi.{self.partner}.{self.DOMAIN}.v1"
            assert row["source"] == f"/partners/{self.partner}/{self.DOMAIN}"
            assert row["dataschema"].endswith(f"/{row['event_type']}.json")
            assert row["sent_at"] is None
            self.check_event(row)
        assert len({r["event_id"] for r in rows}) == len(rows)
        data = [r["data"] for r in rows]
        self.sent.extend(data)
        return data

    def check_event(self, row: asyncpg.Record) -> None:
        """More checks a service's tests make on each appended event."""


A = TypeVar("A", bound=OutboxApi)


@dataclass
class Served(Generic[A]):
    """A domain service running for the tests, its database, and its partners' clients."""

    service: RunningService
    db: asyncpg.Connection
    api_type: type[A]
    tables: Sequence[str]

    def api(self, partner: str, *roles: str) -> A:
        return self.api_type(self.service, self.db, partner, roles)

    async def counts(self) -> dict[str, int]:
        return {t: await self.db.fetchval(f"SELECT count(*) FROM {t}") for t in self.tables}


@contextlib.asynccontextmanager
async def serving(
    definition: ServiceDefinition,
    settings: Any,
    api_type: type[A],
    tables: Sequence[str],
) -> AsyncIterator[Served[A]]:
    """Run ``definition`` under ``settings`` with a connection to its database (jsonb as
    Python values)."""
    service = RunningService(definition, settings)
    async with running(service):
        db = await asyncpg.connect(settings.database_url)
        await db.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        try:
            yield Served(service, db, api_type, tables)
        finally:
            await db.close()


def ids(page: dict[str, Any], key: str) -> list[str]:
    """The ``key`` of every item of a list answer."""
    return [item[key] for item in page["items"]]


# --- the projection, fed directly -------------------------------------------------------


@contextlib.asynccontextmanager
async def projection_only(
    databases: Databases, kafka: KafkaSettings, partners: Iterable[str]
) -> AsyncIterator[tuple[RunningService, asyncpg.Pool]]:
    """The projection's API on a fresh database, its consumer off, and a pool to feed it."""
    from franoi_projection.bootstrap import DEFINITION as PROJECTION

    settings = projection_settings(
        await databases.create("projection"), kafka, partners, consumer_enabled=False
    )
    service = RunningService(PROJECTION, settings)
    async with running(service):
        pool = await create_pool(settings.database_url)
        try:
            yield service, pool
        finally:
            await pool.close()


async def monthly_view(service: RunningService, domain: str, **params: str) -> dict[str, Any]:
    """The ``/v1/<domain>/monthly`` view as a consortium analyst reads it."""
    response = await service.client.get(f"/v1/{domain}/monthly", params=params, headers=ANALYST)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


BAD_VIEW_PARAMS: list[dict[str, str]] = [
    {"from": "2026-13"},
    {"from": "2026-05", "to": "2026-04"},
    {"from": "2000-01", "to": "2026-04"},
    {"partner_id": "x1"},
    {"region": "x" * 41},
]
"""Parameters a monthly view refuses (422): a bad month, an inverted or too long period, a
malformed partner, a too long region."""


async def run_command(*argv: str, env: dict[str, str]) -> tuple[int, str]:
    """Run a service command to its end (at most two minutes): its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def read_records(
    bootstrap: str,
    topics: Sequence[str],
    pick: Callable[[ConsumerRecord[bytes, bytes]], T | None],
    *,
    count: int | None = None,
    timeout_s: float = 30.0,
    **options: Any,
) -> list[T]:
    """The records of ``topics``, read from the beginning, that ``pick`` keeps (as what it
    answers for them; None: not kept): until ``count`` are kept or, without a count, until
    three polls in a row bring nothing; at most ``timeout_s``. ``options`` go to the
    consumer (a group id, a metadata age...)."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **options,
    )
    await consumer.start()
    kept: list[T] = []
    try:
        deadline, idle = time.monotonic() + timeout_s, 0
        while time.monotonic() < deadline and (idle < 3 if count is None else len(kept) < count):
            batches = await consumer.getmany(timeout_ms=500)
            fetched = [record for batch in batches.values() for record in batch]
            idle = 0 if fetched else idle + 1
            kept.extend(item for record in fetched if (item := pick(record)) is not None)
    finally:
        await consumer.stop()
    return kept
