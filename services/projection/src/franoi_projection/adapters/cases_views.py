"""Queries over the cases read models: the network's headline figures on individual plans.

Counts come from the facts (registrations, plans and their outcomes); no person is
listed, and persons are counted only as distinct ``person_ref``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

_CASES_MONTHLY = """
WITH months AS (
    SELECT m::date AS month_start, (m + interval '1 month')::date AS next_month
    FROM generate_series($1::date, $2::date, interval '1 month') AS m
),
grid AS (
    SELECT p.partner_id, p.region, months.month_start, months.next_month
    FROM partners p CROSS JOIN months
    WHERE ($3::text IS NULL OR p.partner_id = $3) AND ($4::text IS NULL OR p.region = $4)
)
SELECT
    g.partner_id,
    g.region,
    to_char(g.month_start, 'YYYY-MM') AS month,
    (SELECT count(*) FROM cases_persons r
      WHERE r.partner_id = g.partner_id
        AND r.registered_on >= g.month_start AND r.registered_on < g.next_month
    ) AS persons_registered,
    (SELECT count(*) FROM cases_plans pl
      WHERE pl.partner_id = g.partner_id
        AND pl.opened_on >= g.month_start AND pl.opened_on < g.next_month
    ) AS plans_opened,
    (SELECT count(*) FROM cases_plans pl
      WHERE pl.partner_id = g.partner_id AND pl.opened_on < g.next_month
        AND (pl.closed_on IS NULL OR pl.closed_on >= g.month_start)
    ) AS active_plans,
    (SELECT count(*) FROM cases_plans pl
      WHERE pl.partner_id = g.partner_id
        AND pl.closed_on >= g.month_start AND pl.closed_on < g.next_month
    ) AS plans_closed,
    (SELECT coalesce(jsonb_object_agg(x.outcome, x.n), '{}'::jsonb) FROM (
        SELECT pl.outcome, count(*) AS n FROM cases_plans pl
        WHERE pl.partner_id = g.partner_id
          AND pl.closed_on >= g.month_start AND pl.closed_on < g.next_month
        GROUP BY pl.outcome) x
    ) AS closed_by_outcome,
    (SELECT count(DISTINCT pl.person_ref) FROM cases_plans pl
      WHERE pl.partner_id = g.partner_id AND pl.outcome = 'completed_autonomy_reached'
        AND pl.closed_on >= g.month_start AND pl.closed_on < g.next_month
    ) AS autonomy_reached
FROM grid g
ORDER BY g.partner_id, g.month_start
"""


async def cases_monthly(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    """Per partner and month: persons registered, plans opened, plans active during the
    month, plans closed (in all and by outcome), persons whose plan ended with autonomy."""
    rows = await conn.fetch(_CASES_MONTHLY, first, last, partner_id, region)
    return [dict(r) for r in rows]
