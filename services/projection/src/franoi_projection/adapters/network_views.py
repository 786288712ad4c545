"""Queries of the network views: the partner directory and sums of ``indicator_counts``.

Every figure is a sum over the monthly counters (tens of thousands of rows for the whole
network over five years), never a scan of the facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg

from franoi_projection.domain.indicators import By
from franoi_projection.domain.views import MonthlySums, Sums

PARTNER_COLUMNS = "partner_id, name, kind, region, province, axes, active_since"

_SCOPE = (
    " AND ($3::text IS NULL OR c.partner_id = $3)"
    " AND ($4::text IS NULL OR c.partner_id IN"
    " (SELECT partner_id FROM partners WHERE region = $4))"
)


async def directory(
    conn: asyncpg.Connection, partner_id: str | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {PARTNER_COLUMNS} FROM partners"  # noqa: S608
        " WHERE ($1::text IS NULL OR partner_id = $1) AND ($2::text IS NULL OR region = $2)"
        " ORDER BY partner_id",
        partner_id,
        region,
    )
    return [dict(r) for r in rows]


async def partner(conn: asyncpg.Connection, partner_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {PARTNER_COLUMNS} FROM partners WHERE partner_id = $1",  # noqa: S608
        partner_id,
    )
    return dict(row) if row else None


async def insert_partner(conn: asyncpg.Connection, values: dict[str, Any]) -> bool:
    """False when the id is taken."""
    inserted = await conn.fetchval(
        "INSERT INTO partners (partner_id, name, kind, region, province, axes, active_since)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (partner_id) DO NOTHING"
        " RETURNING true",
        values["partner_id"],
        values["name"],
        values["kind"],
        values["region"],
        values["province"],
        values["axes"],
        values["active_since"],
    )
    return bool(inserted)


async def update_partner(conn: asyncpg.Connection, values: dict[str, Any]) -> bool:
    """False when there is no such partner."""
    updated = await conn.fetchval(
        "UPDATE partners SET name = $2, kind = $3, region = $4, province = $5, axes = $6,"
        " active_since = $7 WHERE partner_id = $1 RETURNING true",
        values["partner_id"],
        values["name"],
        values["kind"],
        values["region"],
        values["province"],
        values["axes"],
        values["active_since"],
    )
    return bool(updated)


async def totals(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> dict[str, tuple[int, int]]:
    """Indicator id → (sum over the period, sum over every month up to its end)."""
    rows = await conn.fetch(
        "SELECT c.indicator_id, coalesce(sum(c.n) FILTER (WHERE c.month >= $1), 0) AS flow,"  # noqa: S608
        " sum(c.n) AS through_end FROM indicator_counts c"
        " WHERE c.dimension = 'all' AND c.month <= $2" + _SCOPE + " GROUP BY c.indicator_id",
        first,
        last,
        partner_id,
        region,
    )
    return {r["indicator_id"]: (int(r["flow"]), int(r["through_end"])) for r in rows}


async def totals_by_partner(
    conn: asyncpg.Connection, first: dt.date, last: dt.date, indicator_ids: Sequence[str]
) -> tuple[dict[str, str], dict[str, dict[str, tuple[int, int]]]]:
    """Every partner's region, and per partner: indicator id → (sum over the period, sum
    over every month up to its end) — the whole hierarchy an outside answer is part of."""
    regions = {
        r["partner_id"]: r["region"]
        for r in await conn.fetch("SELECT partner_id, region FROM partners")
    }
    rows = await conn.fetch(
        "SELECT c.partner_id, c.indicator_id,"
        " coalesce(sum(c.n) FILTER (WHERE c.month >= $1), 0) AS flow,"
        " sum(c.n) AS through_end FROM indicator_counts c"
        " WHERE c.dimension = 'all' AND c.month <= $2 AND c.indicator_id = ANY($3::text[])"
        " GROUP BY 1, 2",
        first,
        last,
        list(indicator_ids),
    )
    sums: dict[str, dict[str, tuple[int, int]]] = {p: {} for p in regions}
    for r in rows:
        if r["partner_id"] in sums:
            sums[r["partner_id"]][r["indicator_id"]] = (int(r["flow"]), int(r["through_end"]))
    return regions, sums


_GROUP = {
    By.PARTNER: ("all", "c.partner_id"),
    By.REGION: ("all", "(SELECT region FROM partners p WHERE p.partner_id = c.partner_id)"),
    By.SEX: ("sex", "c.key"),
    By.AGE_BAND: ("age_band", "c.key"),
    By.PROTECTION_STATUS: ("protection_status", "c.key"),
}


async def breakdown(
    conn: asyncpg.Connection,
    indicator_ids: Sequence[str],
    by: By,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> dict[str, Sums]:
    """Indicator id → its sums per key of ``by`` (not month)."""
    dimension, key = _GROUP[by]
    rows = await conn.fetch(
        f"SELECT c.indicator_id, {key} AS key,"  # noqa: S608
        " coalesce(sum(c.n) FILTER (WHERE c.month >= $1), 0) AS flow,"
        " sum(c.n) AS through_end FROM indicator_counts c"
        " WHERE c.dimension = $5 AND c.indicator_id = ANY($6::text[]) AND c.month <= $2"
        + _SCOPE
        + " GROUP BY 1, 2",
        first,
        last,
        partner_id,
        region,
        dimension,
        list(indicator_ids),
    )
    flows: dict[str, dict[str, int]] = defaultdict(dict)
    stocks: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        flows[r["indicator_id"]][r["key"]] = int(r["flow"])
        stocks[r["indicator_id"]][r["key"]] = int(r["through_end"])
    return {i: Sums(flows[i], stocks[i]) for i in indicator_ids}


async def monthly(
    conn: asyncpg.Connection,
    indicator_ids: Sequence[str],
    last: dt.date,
    partner_id: str | None,
    region: str | None,
    since: dt.date | None,
) -> MonthlySums:
    """Indicator id → month → sum, for every month up to ``last`` (from ``since`` if given:
    flows need only the period, stocks their whole history)."""
    rows = await conn.fetch(
        "SELECT c.indicator_id, c.month, sum(c.n) AS n FROM indicator_counts c"  # noqa: S608
        " WHERE c.dimension = 'all' AND c.indicator_id = ANY($5::text[])"
        " AND c.month <= $2 AND ($1::date IS NULL OR c.month >= $1)" + _SCOPE + " GROUP BY 1, 2",
        since,
        last,
        partner_id,
        region,
        list(indicator_ids),
    )
    result: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for r in rows:
        result[r["indicator_id"]][r["month"]] = int(r["n"])
    return result


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
