"""Queries over the family-hosting read models: the partner-by-month view.

Every figure is counted from the facts (families, requests, matches, stays,
visits) for one partner and one calendar month; no person or family is listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

MIN_STAYS_FOR_WELLBEING = 5
"""Average wellbeing is shown only for a cell with visits to at least this many stays."""

_HOSTING_MONTHLY = """
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
    (SELECT count(*) FROM hosting_families f
      WHERE f.partner_id = g.partner_id
        AND f.applied_on >= g.month_start AND f.applied_on < g.next_month
    ) AS families_applied,
    (SELECT count(*) FROM hosting_families f
      WHERE f.partner_id = g.partner_id
        AND f.approved_on >= g.month_start AND f.approved_on < g.next_month
    ) AS families_approved,
    (SELECT count(*) FROM hosting_families f
      WHERE f.partner_id = g.partner_id AND f.approved_on < g.next_month
        AND (f.withdrawn_on IS NULL OR f.withdrawn_on >= g.next_month)
        AND NOT EXISTS (
            SELECT 1 FROM hosting_family_pauses fp
            WHERE fp.partner_id = f.partner_id AND fp.family_id = f.family_id
              AND fp.paused_on < g.next_month
              AND (fp.resumed_on IS NULL OR fp.resumed_on >= g.next_month))
    ) AS families_active,
    (SELECT count(*) FROM hosting_requests r
      WHERE r.partner_id = g.partner_id
        AND r.submitted_on >= g.month_start AND r.submitted_on < g.next_month
    ) AS requests_submitted,
    (SELECT count(*) FROM hosting_requests r
      WHERE r.partner_id = g.partner_id AND r.status = 'satisfied'
        AND r.submitted_on >= g.month_start AND r.submitted_on < g.next_month
    ) AS requests_submitted_satisfied,
    (SELECT coalesce(jsonb_object_agg(x.kind, x.n), '{}'::jsonb) FROM (
        SELECT r.kind, count(*) AS n FROM hosting_requests r
        WHERE r.partner_id = g.partner_id
          AND r.submitted_on >= g.month_start AND r.submitted_on < g.next_month
        GROUP BY r.kind) x
    ) AS requests_submitted_by_kind,
    (SELECT count(*) FROM hosting_requests r
      WHERE r.partner_id = g.partner_id AND r.status = 'satisfied'
        AND r.closed_on >= g.month_start AND r.closed_on < g.next_month
    ) AS requests_satisfied,
    (SELECT count(*) FROM hosting_requests r
      WHERE r.partner_id = g.partner_id AND r.status = 'unsatisfied'
        AND r.closed_on >= g.month_start AND r.closed_on < g.next_month
    ) AS requests_unsatisfied,
    (SELECT count(*) FROM hosting_matches m
      WHERE m.partner_id = g.partner_id
        AND m.proposed_on >= g.month_start AND m.proposed_on < g.next_month
    ) AS matches_proposed,
    (SELECT count(*) FROM hosting_matches m
      WHERE m.partner_id = g.partner_id
        AND m.accepted_on >= g.month_start AND m.accepted_on < g.next_month
    ) AS matches_accepted,
    (SELECT count(*) FROM hosting_stays s
      WHERE s.partner_id = g.partner_id
        AND s.started_on >= g.month_start AND s.started_on < g.next_month
    ) AS stays_started,
    (SELECT count(*) FROM hosting_stays s
      WHERE s.partner_id = g.partner_id AND s.started_on < g.next_month
        AND (s.ended_on IS NULL OR s.ended_on >= g.month_start)
    ) AS stays_active,
    (SELECT coalesce(jsonb_object_agg(x.outcome, x.n), '{}'::jsonb) FROM (
        SELECT s.outcome, count(*) AS n FROM hosting_stays s
        WHERE s.partner_id = g.partner_id
          AND s.ended_on >= g.month_start AND s.ended_on < g.next_month
        GROUP BY s.outcome) x
    ) AS stays_ended_by_outcome,
    w.stays_visited,
    w.guest_wellbeing,
    w.family_wellbeing
FROM grid g
CROSS JOIN LATERAL (
    -- each stay visited in the month weighs once: its own mean, then the mean of those
    SELECT count(*) AS stays_visited,
           round(avg(v.guest), 2)::float8 AS guest_wellbeing,
           round(avg(v.family), 2)::float8 AS family_wellbeing
    FROM (
        SELECT avg(hv.guest_wellbeing) AS guest, avg(hv.family_wellbeing) AS family
        FROM hosting_visits hv
        WHERE hv.partner_id = g.partner_id
          AND hv.visited_on >= g.month_start AND hv.visited_on < g.next_month
        GROUP BY hv.stay_id) v
) w
ORDER BY g.partner_id, g.month_start
"""


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` to four decimals; ``None`` when nothing to divide."""
    return round(numerator / denominator, 4) if denominator else None


def shape_month(row: dict[str, Any]) -> dict[str, Any]:
    """One view row: the satisfaction rate with its numerator and denominator, and the
    average wellbeing only when at least five stays were visited in the cell."""
    out = dict(row)
    numerator = int(out.pop("requests_submitted_satisfied"))
    denominator = int(out["requests_submitted"])
    out["requests_satisfaction"] = {
        "numerator": numerator,
        "denominator": denominator,
        "rate": rate(numerator, denominator),
    }
    visited = int(out.pop("stays_visited"))
    guest, family = out.pop("guest_wellbeing"), out.pop("family_wellbeing")
    shown = visited >= MIN_STAYS_FOR_WELLBEING
    out["wellbeing"] = {
        "stays_visited": visited,
        "guest_average": guest if shown else None,
        "family_average": family if shown else None,
    }
    return out


async def hosting_monthly(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(_HOSTING_MONTHLY, first, last, partner_id, region)
    return [shape_month(dict(r)) for r in rows]
