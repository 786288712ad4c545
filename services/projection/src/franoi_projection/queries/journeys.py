"""Queries of the journeys' summary: sums of the journey rows of ``indicator_counts``
(dimension 'axes' of the first contacts, 'days' of the first hires), never a person."""

from __future__ import annotations

import datetime as dt

import asyncpg

from franoi_projection.queries.counters import SCOPE


async def _by_key(
    conn: asyncpg.Connection,
    dimension: str,
    indicator_id: str,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT c.key, sum(c.n) AS n FROM indicator_counts c"  # noqa: S608
        " WHERE c.dimension = $5 AND c.indicator_id = $6 AND c.month BETWEEN $1 AND $2"
        + SCOPE
        + " GROUP BY c.key HAVING sum(c.n) <> 0",
        first,
        last,
        partner_id,
        region,
        dimension,
        indicator_id,
    )
    return {r["key"]: int(r["n"]) for r in rows}


async def persons_by_axes(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> dict[str, int]:
    """Axes touched ('+'-joined) → persons whose first contact is in the period."""
    return await _by_key(conn, "axes", "journeys_first_contacts", first, last, partner_id, region)


async def days_to_first_hire(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> dict[int, int]:
    """Days from first contact → persons first hired in the period."""
    counts = await _by_key(conn, "days", "journeys_first_hires", first, last, partner_id, region)
    return {int(days): n for days, n in counts.items()}
