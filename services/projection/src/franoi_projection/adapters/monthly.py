"""The partner-by-month grid every network view counts its figures over.

A view names its figures as SQL expressions over ``g`` (one partner and one month:
``g.partner_id``, ``g.region``, ``g.month_start``, ``g.next_month``); :func:`monthly_query`
puts them in the grid of the partners (optionally one partner or one region) and the
months from ``$1`` to ``$2``, one row per partner and month, and :func:`fetch_monthly`
runs it. Every figure is counted from the facts; no person is listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

_GRID = """
WITH months AS (
    SELECT m::date AS month_start, (m + interval '1 month')::date AS next_month
    FROM generate_series($1::date, $2::date, interval '1 month') AS m
),
grid AS (
    SELECT p.partner_id, p.region, months.month_start, months.next_month
    FROM partners p CROSS JOIN months
    WHERE ($3::text IS NULL OR p.partner_id = $3) AND ($4::text IS NULL OR p.region = $4)
)"""


def monthly_query(figures: str, *, ctes: str = "", joins: str = "") -> str:
    """The query of a partner-by-month view: ``figures`` are its select-list entries after
    partner, region and month; ``ctes`` more ``name AS (...)`` entries of the WITH clause
    (after ``months`` and ``grid``); ``joins`` what the rows join to ``grid g``.

    Parameters: ``$1`` first month, ``$2`` last month (first days), ``$3`` partner or
    NULL, ``$4`` region or NULL.
    """
    with_clause = _GRID + (",\n" + ctes.strip("\n") if ctes else "")
    return (
        f"{with_clause}\n"
        "SELECT\n"
        "    g.partner_id,\n"
        "    g.region,\n"
        "    to_char(g.month_start, 'YYYY-MM') AS month,\n"
        f"{figures.strip(chr(10))}\n"
        "FROM grid g\n"
        f"{joins.strip(chr(10)) + chr(10) if joins else ''}"
        "ORDER BY g.partner_id, g.month_start\n"
    )


async def fetch_monthly(
    conn: asyncpg.Connection,
    query: str,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    """The rows of a :func:`monthly_query`, one per partner and month."""
    return [dict(r) for r in await conn.fetch(query, first, last, partner_id, region)]
