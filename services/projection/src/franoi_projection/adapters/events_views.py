"""Queries over the community-events read models: the partner-by-month view.

Every figure is counted from the facts (events held, series closed, accesses
recorded); no person is listed. What each figure counts:

* ``events_held`` / ``events_held_by_kind``: community events held in the month
  (a lab session is an event of its lab's kind); ``events_cancelled`` likewise;
* ``participants``, ``beneficiaries``, ``volunteers``: attendances at the events
  held in the month (a person at two events counts twice);
* ``lab_sessions_held`` and ``lab_session_participants``: lab sessions held in the
  month and their attendances;
* ``labs_active``: labs with at least one session held in the month (a series
  counts once; a lab held once without a series is a lab of its own) — not
  additive over months, as a series spans several;
* ``labs_completed`` and ``lab_distinct_participants``: lab series closed in the
  month with their distinct participants (recorded at closing), plus labs held
  once without a series, whose participants are distinct — additive over months:
  the key-numbers table's "laboratori ... con N partecipanti";
* ``hubs_open``: hubs open on at least one day of the month;
* ``accesses``, ``accesses_by_topic``, ``accesses_referred``,
  ``accesses_referred_by_topic``: walk-in accesses recorded for days of the month
  (anonymous and known persons together), and how many were referred to a desk;
  ``persons_known``: distinct ``person_ref`` among them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

_EVENTS_MONTHLY = """
WITH months AS (
    SELECT m::date AS month_start, (m + interval '1 month')::date AS next_month
    FROM generate_series($1::date, $2::date, interval '1 month') AS m
),
grid AS (
    SELECT p.partner_id, p.region, months.month_start, months.next_month
    FROM partners p CROSS JOIN months
    WHERE ($3::text IS NULL OR p.partner_id = $3) AND ($4::text IS NULL OR p.region = $4)
),
held AS (
    SELECT g.partner_id, g.month_start, e.kind, e.lab_series_id, e.community_event_id,
           e.participants, e.beneficiaries, e.volunteers,
           e.kind IN ('socialisation_lab', 'community_lab') AS is_lab
    FROM grid g JOIN events_community_events e
      ON e.partner_id = g.partner_id AND e.status = 'held'
     AND e.held_on >= g.month_start AND e.held_on < g.next_month
),
held_totals AS (
    SELECT partner_id, month_start,
           count(*) AS events_held,
           sum(participants) AS participants,
           sum(beneficiaries) AS beneficiaries,
           sum(volunteers) AS volunteers,
           count(*) FILTER (WHERE is_lab) AS lab_sessions_held,
           coalesce(sum(participants) FILTER (WHERE is_lab), 0) AS lab_session_participants,
           count(DISTINCT coalesce(lab_series_id, community_event_id)) FILTER (WHERE is_lab)
               AS labs_active,
           count(*) FILTER (WHERE is_lab AND lab_series_id IS NULL) AS single_labs,
           coalesce(sum(participants) FILTER (WHERE is_lab AND lab_series_id IS NULL), 0)
               AS single_lab_participants
    FROM held GROUP BY partner_id, month_start
),
held_by_kind AS (
    SELECT partner_id, month_start, jsonb_object_agg(kind, n) AS events_held_by_kind
    FROM (SELECT partner_id, month_start, kind, count(*) AS n
          FROM held GROUP BY partner_id, month_start, kind) k
    GROUP BY partner_id, month_start
),
accesses AS (
    SELECT g.partner_id, g.month_start, a.topic, a.referred, a.accesses
    FROM grid g JOIN events_access_counts a
      ON a.partner_id = g.partner_id
     AND a.accessed_on >= g.month_start AND a.accessed_on < g.next_month
),
access_totals AS (
    SELECT partner_id, month_start,
           sum(accesses) AS accesses,
           coalesce(sum(accesses) FILTER (WHERE referred), 0) AS accesses_referred
    FROM accesses GROUP BY partner_id, month_start
),
access_by_topic AS (
    SELECT partner_id, month_start,
           jsonb_object_agg(topic, n) AS accesses_by_topic,
           jsonb_object_agg(topic, referred) AS accesses_referred_by_topic
    FROM (SELECT partner_id, month_start, topic, sum(accesses) AS n,
                 coalesce(sum(accesses) FILTER (WHERE referred), 0) AS referred
          FROM accesses GROUP BY partner_id, month_start, topic) t
    GROUP BY partner_id, month_start
)
SELECT
    g.partner_id,
    g.region,
    to_char(g.month_start, 'YYYY-MM') AS month,
    coalesce(h.events_held, 0) AS events_held,
    coalesce(k.events_held_by_kind, '{}'::jsonb) AS events_held_by_kind,
    (SELECT count(*) FROM events_community_events e
      WHERE e.partner_id = g.partner_id AND e.status = 'cancelled'
        AND e.cancelled_on >= g.month_start AND e.cancelled_on < g.next_month
    ) AS events_cancelled,
    coalesce(h.participants, 0) AS participants,
    coalesce(h.beneficiaries, 0) AS beneficiaries,
    coalesce(h.volunteers, 0) AS volunteers,
    coalesce(h.lab_sessions_held, 0) AS lab_sessions_held,
    coalesce(h.lab_session_participants, 0) AS lab_session_participants,
    coalesce(h.labs_active, 0) AS labs_active,
    coalesce(h.single_labs, 0) + s.series_closed AS labs_completed,
    coalesce(h.single_lab_participants, 0) + s.series_participants
        AS lab_distinct_participants,
    (SELECT count(*) FROM events_hubs hub
      WHERE hub.partner_id = g.partner_id AND hub.opened_on < g.next_month
        AND (hub.closed_on IS NULL OR hub.closed_on >= g.month_start)
    ) AS hubs_open,
    coalesce(a.accesses, 0) AS accesses,
    coalesce(t.accesses_by_topic, '{}'::jsonb) AS accesses_by_topic,
    coalesce(a.accesses_referred, 0) AS accesses_referred,
    coalesce(t.accesses_referred_by_topic, '{}'::jsonb) AS accesses_referred_by_topic,
    (SELECT count(DISTINCT ap.person_ref) FROM events_access_persons ap
      WHERE ap.partner_id = g.partner_id
        AND ap.accessed_on >= g.month_start AND ap.accessed_on < g.next_month
    ) AS persons_known
FROM grid g
LEFT JOIN held_totals h ON h.partner_id = g.partner_id AND h.month_start = g.month_start
LEFT JOIN held_by_kind k ON k.partner_id = g.partner_id AND k.month_start = g.month_start
LEFT JOIN access_totals a ON a.partner_id = g.partner_id AND a.month_start = g.month_start
LEFT JOIN access_by_topic t ON t.partner_id = g.partner_id AND t.month_start = g.month_start
CROSS JOIN LATERAL (
    SELECT count(*) AS series_closed, coalesce(sum(ls.distinct_participants), 0)
               AS series_participants
    FROM events_lab_series ls
    WHERE ls.partner_id = g.partner_id
      AND ls.closed_on >= g.month_start AND ls.closed_on < g.next_month
) s
ORDER BY g.partner_id, g.month_start
"""


async def events_monthly(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    """The community figures per partner and month, from ``first`` to ``last`` (first days)."""
    rows = await conn.fetch(_EVENTS_MONTHLY, first, last, partner_id, region)
    return [dict(r) for r in rows]
