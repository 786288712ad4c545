"""Queries over the employment read models: counts from the facts, never a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

_EMPLOYMENT_MONTHLY = """
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
    (SELECT count(*) FROM employment_consultations c
      WHERE c.partner_id = g.partner_id
        AND c.held_on >= g.month_start AND c.held_on < g.next_month
    ) AS consultations,
    (SELECT coalesce(jsonb_object_agg(x.topic, x.n), '{}'::jsonb) FROM (
        SELECT c.topic, count(*) AS n FROM employment_consultations c
        WHERE c.partner_id = g.partner_id
          AND c.held_on >= g.month_start AND c.held_on < g.next_month
        GROUP BY c.topic) x
    ) AS consultations_by_topic,
    (SELECT count(DISTINCT c.person_ref) FROM employment_consultations c
      WHERE c.partner_id = g.partner_id
        AND c.held_on >= g.month_start AND c.held_on < g.next_month
    ) AS persons_consulted,
    (SELECT coalesce(jsonb_object_agg(x.kind, x.n), '{}'::jsonb) FROM (
        SELECT a.kind, count(*) AS n FROM employment_group_activities a
        WHERE a.partner_id = g.partner_id AND a.status = 'held'
          AND a.held_on >= g.month_start AND a.held_on < g.next_month
        GROUP BY a.kind) x
    ) AS group_activities_held_by_kind,
    (SELECT coalesce(jsonb_object_agg(x.kind, x.n), '{}'::jsonb) FROM (
        SELECT a.kind, sum(a.registered_attendees + a.anonymous_attendees) AS n
        FROM employment_group_activities a
        WHERE a.partner_id = g.partner_id AND a.status = 'held'
          AND a.held_on >= g.month_start AND a.held_on < g.next_month
        GROUP BY a.kind) x
    ) AS participants_by_kind,
    (SELECT count(*) FROM employment_enrolments e
      WHERE e.partner_id = g.partner_id
        AND e.starts_on >= g.month_start AND e.starts_on < g.next_month
    ) AS training_enrolments,
    (SELECT count(*) FROM employment_enrolments e
      WHERE e.partner_id = g.partner_id AND e.status = 'completed'
        AND e.closed_on >= g.month_start AND e.closed_on < g.next_month
    ) AS training_completions,
    (SELECT count(*) FROM employment_enrolments e
      WHERE e.partner_id = g.partner_id AND e.status = 'dropped'
        AND e.closed_on >= g.month_start AND e.closed_on < g.next_month
    ) AS training_dropouts,
    (SELECT count(*) FROM employment_internships i
      WHERE i.partner_id = g.partner_id
        AND i.started_on >= g.month_start AND i.started_on < g.next_month
    ) AS internships_started,
    (SELECT coalesce(jsonb_object_agg(x.outcome, x.n), '{}'::jsonb) FROM (
        SELECT coalesce(i.outcome, 'pending') AS outcome, count(*) AS n
        FROM employment_internships i
        WHERE i.partner_id = g.partner_id
          AND i.ended_on >= g.month_start AND i.ended_on < g.next_month
        GROUP BY 1) x
    ) AS internships_ended_by_outcome,
    (SELECT count(*) FROM employment_hires h
      WHERE h.partner_id = g.partner_id
        AND h.started_on >= g.month_start AND h.started_on < g.next_month
    ) AS hires,
    (SELECT coalesce(jsonb_object_agg(x.contract_type, x.n), '{}'::jsonb) FROM (
        SELECT h.contract_type, count(*) AS n FROM employment_hires h
        WHERE h.partner_id = g.partner_id
          AND h.started_on >= g.month_start AND h.started_on < g.next_month
        GROUP BY h.contract_type) x
    ) AS hires_by_contract_type,
    (SELECT count(*) FROM employment_hires h
      WHERE h.partner_id = g.partner_id AND h.internship_id IS NOT NULL
        AND h.started_on >= g.month_start AND h.started_on < g.next_month
    ) AS hires_after_internship,
    (SELECT count(DISTINCT h.person_ref) FROM employment_hires h
      WHERE h.partner_id = g.partner_id
        AND h.started_on >= g.month_start AND h.started_on < g.next_month
    ) AS persons_hired
FROM grid g
ORDER BY g.partner_id, g.month_start
"""


async def employment_monthly(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    """One row per partner and month from ``first`` to ``last`` (first days of months)."""
    rows = await conn.fetch(_EMPLOYMENT_MONTHLY, first, last, partner_id, region)
    return [dict(r) for r in rows]
