"""Scale-out: commands/s and projection events/s, one replica and three, side by side.

Two networks of the fault suite (:mod:`franoi_benchmarks.faults.parts`), one after the
other, each on its own PostgreSQL servers and Apache Kafka broker, topics of six partitions,
every part a process of its own: first one housing API replica (its relay in its process)
and one projection consumer, then three of each (one consumer group). In each:

1. commands/s -- ``--clients`` concurrent clients register units and change their beds for
   ``--seconds``, each command to a replica at random: acknowledged commands per second,
   and their latency;
2. projection events/s -- the consumers stopped, a backlog of ``--seconds`` of commands
   written and published, the consumers started again: events applied per second, from
   the first to the last event the backlog brought (the database's own timestamps, so the
   consumers' start does not count).

The report sets the three-replica figures next to the one-replica ones as ratios. On a
machine of few cores, the replicas share them: the ratio says what adding replicas gives
there, not what it gives on machines of their own.

    franoi-bench scaleout [--seconds 30] [--clients 12] [--json]
    franoi-bench scaleout --quick
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.faults.checks import caught_up
from franoi_benchmarks.faults.parts import Network, Topology
from franoi_benchmarks.faults.run import worker_headers
from franoi_benchmarks.faults.traffic import Ledger, Writers
from franoi_benchmarks.stats import progress
from franoi_benchmarks.stats import summary as latency_summary

REPLICAS = (1, 3)


async def measure(replicas: int, seconds: float, clients: int, work: Path) -> dict[str, Any]:
    topology = Topology(
        brokers=1, partitions=6, apis=replicas, relay_in_api=True, relays=0, consumers=replicas
    )
    network = Network(topology, work / f"replicas-{replicas}")
    progress(f"{replicas} replica(s): starting")
    try:
        await network.start()
        rng = random.Random(replicas)  # noqa: S311 - which replica, not a secret
        ledger = Ledger()
        writers = Writers(network.api_urls, worker_headers(), ledger, clients, rng)
        progress(f"{replicas} replica(s): commands for {seconds:.0f} s")
        began = time.monotonic()
        writers.start()
        await asyncio.sleep(seconds)
        await writers.stop()
        elapsed = time.monotonic() - began
        commands = ledger.acknowledged
        latencies = latency_summary(ledger.latencies_ms)
        await caught_up(network, 300)

        progress(f"{replicas} replica(s): a backlog for the consumers")
        consumers = network.of_kind("consumer")
        for part in consumers:
            part.held = True
            await asyncio.to_thread(part.stop)
        backlog = Ledger()
        writers = Writers(network.api_urls, worker_headers(), backlog, clients, rng)
        writers.start()
        await asyncio.sleep(seconds)
        await writers.stop()
        conn = await network.database("projection")
        try:
            since = await conn.fetchval("SELECT clock_timestamp()")
            for part in consumers:
                part.held = False
                part.start()
            await caught_up(network, 600)
            row = await conn.fetchrow(
                "SELECT count(*) AS n, extract(epoch FROM max(processed_at) - min(processed_at))"
                " AS span FROM processed_events WHERE processed_at > $1",
                since,
            )
        finally:
            await conn.close()
        assert row is not None
        applied, span = int(row["n"]), float(row["span"] or 0.0)
        return {
            "replicas": replicas,
            "commands": commands,
            "commands_per_s": round(commands / elapsed, 1),
            "command_latency_ms": latencies,
            "backlog_events": applied,
            "events_per_s": round(applied / span, 1) if span else None,
            "memory_mib": {k: round(v / 1024, 1) for k, v in network.memory_kib().items()},
        }
    finally:
        progress(f"{replicas} replica(s): stopping")
        await network.close()


async def run(args: argparse.Namespace, _: str | None) -> Report:
    work = Path(tempfile.mkdtemp(prefix="franoi-scaleout-"))
    runs = [await measure(n, args.seconds, args.clients, work) for n in REPLICAS]
    one, three = runs
    return {
        "runs": runs,
        "ratios": {
            "commands_per_s": _ratio(three["commands_per_s"], one["commands_per_s"]),
            "events_per_s": _ratio(three["events_per_s"], one["events_per_s"]),
        },
        "seconds": args.seconds,
        "clients": args.clients,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def render(report: Report) -> str:
    one, three = report["runs"]
    ratios = report["ratios"]
    rows = [
        ("", "1 replica", "3 replicas", "ratio 3/1"),
        ("commands/s", one["commands_per_s"], three["commands_per_s"], ratios["commands_per_s"]),
        (
            "command p50/p95 ms",
            f"{one['command_latency_ms'].get('p50')}/{one['command_latency_ms'].get('p95')}",
            f"{three['command_latency_ms'].get('p50')}/{three['command_latency_ms'].get('p95')}",
            "",
        ),
        ("projection events/s", one["events_per_s"], three["events_per_s"], ratios["events_per_s"]),
        ("backlog events", one["backlog_events"], three["backlog_events"], ""),
    ]
    return "\n".join(f"{a:<22}{b!s:>14}{c!s:>14}{d!s:>12}" for a, b, c, d in rows)


BENCHMARK = Benchmark(
    name="scaleout",
    doc=__doc__ or "",
    options=[
        Option("seconds", 30.0, "seconds of commands in each phase", (2, 600), quick=8.0),
        Option("clients", 12, "concurrent clients", (1, 200), quick=6),
    ],
    run=run,
    render=render,
    timeout_s=1800,
)
