"""Phase 3: a standing backlog, drained by the relay run on its own.

A second partner's housing service accepts requests with its relay stopped, as during a
broker outage; then the relay, built by the housing composition root as ``franoi-housing
relay`` runs it, drains the outbox while the projection is paused (as the raw produce baseline
runs alone), and the projection applies the full topic after: relay and projection events/s.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from typing import Any

import asyncpg
from franoi_common.auth import mint_token
from franoi_common.db import create_pool
from franoi_common.settings import AuthSettings, PartnerServiceSettings, topic_for
from franoi_devenv.services import RunningService, running
from franoi_housing.bootstrap import DEFINITION as HOUSING

from franoi_benchmarks.cpu import usage
from franoi_benchmarks.databases import Server
from franoi_benchmarks.pipeline.latency import kafka_create_times
from franoi_benchmarks.pipeline.stack import (
    Clients,
    Stack,
    request_body,
    ts,
    wait_for,
    wait_processed,
)
from franoi_benchmarks.serving import SERVE_OPTIONS
from franoi_benchmarks.stats import progress

BACKLOG_PARTNER = "p02"


async def phase_backlog(
    stack: Stack, server: Server, clients: Clients, commands: int, concurrency: int
) -> dict[str, Any]:
    """A second partner's housing service runs without its relay (as during a broker outage)
    and accepts ``commands`` requests; then the relay, run on its own as ``franoi-housing
    relay`` does, drains the standing backlog and the projection applies it."""
    database = await server.create(f"housing_{BACKLOG_PARTNER}")
    settings = PartnerServiceSettings(
        env="development",
        partner_id=BACKLOG_PARTNER,
        database_url=database,
        kafka=stack.kafka,
        relay_enabled=False,
    )
    service = RunningService(HOUSING, settings, **SERVE_OPTIONS)
    token = mint_token(
        AuthSettings(), subject="bench", partner_id=BACKLOG_PARTNER, roles=["social_worker"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    counter = itertools.count()

    async def client() -> None:
        while (k := next(counter)) < commands:
            body = request_body(k, "BENCHBACKLOG")
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
        cpu_before = stack.cpu_snapshot()
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
                    relay_cpu = usage(cpu_before, stack.cpu_snapshot(), relay_s)
                finally:
                    await resume()
                progress("backlog: projection started on the full topic")
                cpu_before = stack.cpu_snapshot()
                started = time.perf_counter()
            await wait_processed(clients, before + commands, 300, "backlog reaches the projection")
        finally:
            await relay.stop()
        cpu = usage(cpu_before, stack.cpu_snapshot(), time.perf_counter() - started)
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
