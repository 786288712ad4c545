"""The running pipeline the phases measure: where its parts are, how they are reached.

Housing for partner p01 (relay in its process) and the projection (consumer in its process),
wired as in production: their real apps built by their composition roots with default
settings, but for the broker's address, ``idempotent_producer`` (on for Apache Kafka; Tansu
does not support it), ``create_topics=true`` and ``metadata_max_age_ms=500``; logs at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from franoi_common.settings import KafkaSettings, topic_for
from franoi_devenv.kafka import free_port

from franoi_benchmarks import cpu
from franoi_benchmarks.serving import Mode, Spec, serving
from franoi_benchmarks.stats import progress

PARTNER = "p01"
TOPIC = topic_for(PARTNER, "housing")
PLACEMENT_STARTED = "it.franoi.housing.placement.started.v1"
BEDS_PER_UNIT = 50
PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}


def ts(value: dt.datetime) -> float:
    return value.timestamp()


@dataclass
class Stack:
    """Where the running pipeline can be reached."""

    admin_url: str
    bootstrap: str
    broker: str
    kafka: KafkaSettings
    housing_db: str
    projection_db: str
    housing_url: str = ""
    projection_url: str = ""
    postgres_pid: int = 0
    broker_pid: int = 0
    children: dict[str, int] = field(default_factory=dict)
    projection_consumer: Any = None
    """The projection's consumer when it runs in this process (it can be paused)."""

    def cpu_snapshot(self) -> dict[str, float]:
        """CPU seconds used so far by each part of the pipeline."""
        groups: dict[str, list[int]] = {"benchmark process": [os.getpid()]}
        for kind, pid in self.children.items():
            groups[f"{kind} service"] = [pid]
        if self.postgres_pid:
            groups["postgresql"] = [self.postgres_pid, *cpu.children_of(self.postgres_pid)]
        if self.broker_pid:
            groups["broker"] = [self.broker_pid]
        return cpu.snapshot(groups)


def kafka_settings(bootstrap: str, idempotent: bool) -> KafkaSettings:
    return KafkaSettings(
        bootstrap=bootstrap,
        idempotent_producer=idempotent,
        create_topics=True,
        metadata_max_age_ms=500,
    )


def environment(kafka: KafkaSettings, database_url: str, partner: str = "") -> dict[str, str]:
    """A service's ``FRANOI_*`` settings (the broker's as ``kafka`` says)."""
    env = {
        "FRANOI_ENV": "development",
        "FRANOI_LOG_LEVEL": "WARNING",
        "FRANOI_DATABASE_URL": database_url,
    }
    if partner:
        env["FRANOI_PARTNER_ID"] = partner
    for name, value in kafka.model_dump(include=kafka.model_fields_set).items():
        env[f"FRANOI_KAFKA_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    return env


@contextlib.asynccontextmanager
async def services(stack: Stack, mode: Mode) -> AsyncIterator[None]:
    """The projection, then housing (p01), in this process or each in its own."""
    projection = environment(stack.kafka, stack.projection_db)
    housing = environment(stack.kafka, stack.housing_db, PARTNER)
    groups = [
        [Spec("projection", "projection", projection, free_port())],
        [Spec("housing", "housing", housing, free_port())],
    ]
    async with serving(mode, groups) as served:
        stack.housing_url, stack.projection_url = served["housing"].url, served["projection"].url
        stack.children = {name: s.pid for name, s in served.items() if s.pid}
        in_process = served["projection"].service
        if in_process is not None:
            stack.projection_consumer = in_process.wiring.workers["consume"]
        yield
        progress("stopping the services")


@dataclass
class Clients:
    housing: httpx.AsyncClient
    projection: httpx.AsyncClient
    worker: dict[str, str]
    analyst: dict[str, str]

    async def command(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.housing.request(method, path, json=body, headers=self.worker)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    async def month(self) -> dict[str, Any]:
        month = dt.date.today().strftime("%Y-%m")
        response = await self.projection.get(
            "/v1/housing/monthly",
            params={"partner_id": PARTNER, "from": month, "to": month},
            headers=self.analyst,
        )
        response.raise_for_status()
        row: dict[str, Any] = response.json()["rows"][0]
        return row

    async def events_processed(self) -> int:
        response = await self.projection.get("/v1/consumer/status", headers=self.analyst)
        response.raise_for_status()
        return int(response.json()["events_processed"])


def unit_body(unit_id: uuid.UUID | None = None, beds: int = BEDS_PER_UNIT) -> dict[str, Any]:
    body: dict[str, Any] = {
        "municipality_code": "F205",
        "beds": beds,
        "monthly_rent_eur": 420,
        "rent_regime": "agreed",
        "provider": "private_owner",
        "available_from": (dt.date.today() - dt.timedelta(days=40)).isoformat(),
    }
    if unit_id is not None:
        body["unit_id"] = str(unit_id)
    return body


def request_body(k: int, prefix: str) -> dict[str, Any]:
    """A housing request submitted for a new person (``prefix`` and ``k`` name them)."""
    return {
        **PERSON,
        "person_identifier": f"{prefix}{k:07d}",
        "household_size": 1 + k % 4,
        "need": "exit_from_reception",
        "submitted_on": dt.date.today().isoformat(),
    }


async def wait_for(
    check: Callable[[], Awaitable[bool]], timeout_s: float, interval_s: float, what: str
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {timeout_s:.0f}s")
        await asyncio.sleep(interval_s)


async def wait_processed(clients: Clients, target: int, timeout_s: float, what: str) -> None:
    async def done() -> bool:
        return await clients.events_processed() >= target

    await wait_for(done, timeout_s, 0.05, what)
