"""Phase 4: replay of the topics into a fresh consumer group, twice.

Into a new, empty projection database (a rebuild, as ``franoi-projection rebuild`` does it:
its records per poll, the journeys recomputed once at the end, counted) and into the
projection's own database (redelivery: every event a duplicate, skipped).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
from franoi_common.consumer import IdempotentConsumer
from franoi_common.db import create_pool
from franoi_common.migrations import migrate_url
from franoi_common.projector import ProjectionHandler
from franoi_common.settings import ProjectionSettings
from franoi_projection.adapters.directory_file import read_directory
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.projectors.handler import HANDLER, REBUILD_HANDLER
from franoi_projection.projectors.journeys import REFRESH
from franoi_projection.queries.directory import load_directory
from franoi_projection.rebuild import RebuildOptions

from franoi_benchmarks.databases import Server
from franoi_benchmarks.pipeline.stack import Stack
from franoi_benchmarks.stats import progress


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
    settings = ProjectionSettings(env="development", database_url=database_url, kafka=stack.kafka)
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


async def phase_replay(stack: Stack, server: Server) -> dict[str, Any]:
    projection = await asyncpg.connect(stack.projection_db)
    try:  # every event on the topics was applied once (the checks above say so)
        total = int(await projection.fetchval("SELECT count(*) FROM processed_events"))
    finally:
        await projection.close()
    rebuild_db = await server.create("projection_rebuild")
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
