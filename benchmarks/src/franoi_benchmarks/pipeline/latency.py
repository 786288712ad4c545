"""Phase 1: latency, one placement at a time.

Commit to projection (server timestamps: housing's ``outbox.created_at`` against the
projection's ``processed_events.processed_at``, both ``clock_timestamp()`` on the same
PostgreSQL server), API to API (HTTP 201 until the read API shows the new count), the HTTP
command, and a breakdown by stage using the Kafka record's CreateTime.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
import uuid
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from franoi_benchmarks.pipeline.stack import (
    BEDS_PER_UNIT,
    PARTNER,
    PERSON,
    PLACEMENT_STARTED,
    TOPIC,
    Clients,
    Stack,
    ts,
    unit_body,
    wait_processed,
)
from franoi_benchmarks.stats import progress, summary

API_SAMPLES = 20
API_POLL_S = 0.002
GATE_POLL_S = 0.005


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
