"""Sums of the monthly counters (``indicator_counts``): every figure of the network is read
this way, never by scanning the facts (tens of thousands of rows for the whole network over
five years).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg

from franoi_projection.domain.indicators import By
from franoi_projection.domain.views import MonthlySums, Sums

SCOPE = (
    " AND ($3::text IS NULL OR c.partner_id = $3)"
    " AND ($4::text IS NULL OR c.partner_id IN"
    " (SELECT partner_id FROM partners WHERE region = $4))"
)
"""The answer's scope: a partner (``$3``) or a region (``$4``), else the network."""


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
        " WHERE c.dimension = 'all' AND c.month <= $2" + SCOPE + " GROUP BY c.indicator_id",
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
        + SCOPE
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
        " AND c.month <= $2 AND ($1::date IS NULL OR c.month >= $1)" + SCOPE + " GROUP BY 1, 2",
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


async def by_partner_and_month(
    conn: asyncpg.Connection,
    indicator_ids: Sequence[str],
    splits: Sequence[tuple[str, str]],
    stocks: Sequence[str],
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    """Per indicator, dimension (``all``, or a split ``(indicator id, dimension)``), key,
    partner and month: the month's sum, from ``first`` to ``last``. A stock's months before
    ``first`` come added up as the month before it, the start of its running sum."""
    rows = await conn.fetch(
        "SELECT c.indicator_id, c.dimension, c.key, c.partner_id,"  # noqa: S608
        " greatest(c.month, ($1::date - interval '1 month')::date) AS month, sum(c.n) AS n"
        " FROM indicator_counts c"
        " WHERE c.indicator_id = ANY($5::text[]) AND c.month <= $2"
        " AND (c.month >= $1 OR c.indicator_id = ANY($6::text[]))"
        " AND (c.dimension = 'all' OR (c.indicator_id, c.dimension) IN"
        " (SELECT i, d FROM unnest($7::text[], $8::text[]) AS s(i, d)))"
        + SCOPE
        + " GROUP BY 1, 2, 3, 4, 5",
        first,
        last,
        partner_id,
        region,
        list(indicator_ids),
        list(stocks),
        [i for i, _ in splits],
        [d for _, d in splits],
    )
    return [dict(r) for r in rows]
