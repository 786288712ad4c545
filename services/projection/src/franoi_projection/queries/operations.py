"""The consumer's own figures: events processed, consumers reporting, dead letters."""

from __future__ import annotations

from typing import Any

import asyncpg


async def consumer_status(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM processed_events) AS events_processed,"
        " (SELECT max(processed_at) FROM processed_events) AS last_processed_at,"
        " (SELECT count(*) FROM dead_letters) AS dead_letters"
    )
    return dict(row) if row else {}


async def consumer_reports(conn: asyncpg.Connection, live_s: float) -> list[dict[str, Any]]:
    """The consumers that reported within ``live_s`` seconds, oldest first."""
    rows = await conn.fetch(
        "SELECT instance_id, group_id, started_at, reported_at,"
        " processed AS processed_since_start, duplicates AS duplicates_since_start,"
        " dead_lettered AS dead_lettered_since_start, assigned_partitions, last_error"
        " FROM consumer_reports"
        " WHERE reported_at > clock_timestamp() - make_interval(secs => $1)"
        " ORDER BY started_at, instance_id",
        live_s,
    )
    return [dict(r) for r in rows]


async def dead_letters(conn: asyncpg.Connection, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, topic, kafka_partition, kafka_offset, event_id, event_type, reason,"
        " dead_lettered_at FROM dead_letters ORDER BY id DESC LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    return [dict(r) for r in rows]
