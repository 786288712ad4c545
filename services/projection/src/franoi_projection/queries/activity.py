"""What the partners recorded, per month and axis (``partner_activity``): the reporting
completeness and the count of events applied that the live updates follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from franoi_projection.queries.directory import PARTNER_COLUMNS


async def completeness(
    conn: asyncpg.Connection, first: dt.date, last: dt.date, region: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The partners in scope (with their last event time) and their activity rows."""
    partners = await conn.fetch(
        f"SELECT {PARTNER_COLUMNS},"  # noqa: S608
        " (SELECT max(a.last_event_at) FROM partner_activity a"
        "  WHERE a.partner_id = p.partner_id) AS last_event_at"
        " FROM partners p WHERE ($1::text IS NULL OR region = $1) ORDER BY partner_id",
        region,
    )
    activity = await conn.fetch(
        "SELECT a.partner_id, a.month, a.axis, a.events FROM partner_activity a"
        " JOIN partners p ON p.partner_id = a.partner_id"
        " WHERE a.month BETWEEN $1 AND $2 AND ($3::text IS NULL OR p.region = $3)",
        first,
        last,
        region,
    )
    return [dict(r) for r in partners], [dict(r) for r in activity]


async def events_processed(conn: asyncpg.Connection) -> int:
    """How many events the projection has applied (from the small activity table)."""
    return int(await conn.fetchval("SELECT coalesce(sum(events), 0) FROM partner_activity"))
