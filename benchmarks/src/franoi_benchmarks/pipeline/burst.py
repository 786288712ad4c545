"""Phase 2: a burst of commands from concurrent clients.

Commands/s accepted, the outbox drained (relay events/s), the projection caught up (end to
end events/s), the largest backlogs, how far the projection trails the relay; then the
checks: every event applied once, each unit's beds equal on both sides, no dead letters.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from franoi_benchmarks.cpu import usage
from franoi_benchmarks.pipeline.stack import (
    BEDS_PER_UNIT,
    Clients,
    Stack,
    request_body,
    ts,
    unit_body,
    wait_processed,
)
from franoi_benchmarks.stats import progress, summary


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
                method, path, body = "POST", "/v1/requests", request_body(k, "BENCHBURST")
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
    cpu_before = stack.cpu_snapshot()
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
    cpu = usage(cpu_before, stack.cpu_snapshot(), time.perf_counter() - started)
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
