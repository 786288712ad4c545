"""Queries over the network read models."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from franoi_projection.adapters.monthly import fetch_monthly, monthly_query

_HOUSING_MONTHLY = monthly_query(
    """
    (SELECT count(*) FROM housing_requests r
      WHERE r.partner_id = g.partner_id
        AND r.submitted_on >= g.month_start AND r.submitted_on < g.next_month
    ) AS requests_submitted,
    (SELECT count(*) FROM housing_requests r
      WHERE r.partner_id = g.partner_id AND r.status = 'satisfied'
        AND r.closed_on >= g.month_start AND r.closed_on < g.next_month
    ) AS requests_satisfied,
    (SELECT count(*) FROM housing_requests r
      WHERE r.partner_id = g.partner_id AND r.status = 'unsatisfied'
        AND r.closed_on >= g.month_start AND r.closed_on < g.next_month
    ) AS requests_unsatisfied,
    (SELECT count(*) FROM housing_placements pl
      WHERE pl.partner_id = g.partner_id
        AND pl.started_on >= g.month_start AND pl.started_on < g.next_month
    ) AS placements_started,
    (SELECT count(*) FROM housing_placements pl
      WHERE pl.partner_id = g.partner_id AND pl.started_on < g.next_month
        AND (pl.ended_on IS NULL OR pl.ended_on >= g.month_start)
    ) AS active_placements,
    (SELECT count(DISTINCT pl.person_ref) FROM housing_placements pl
      WHERE pl.partner_id = g.partner_id AND pl.started_on < g.next_month
        AND (pl.ended_on IS NULL OR pl.ended_on >= g.month_start)
    ) AS persons_housed,
    (SELECT coalesce(sum(u.beds), 0) FROM housing_units u
      WHERE u.partner_id = g.partner_id AND u.available_from < g.next_month
        AND (u.withdrawn_on IS NULL OR u.withdrawn_on >= g.next_month)
    ) - (SELECT coalesce(sum(pl.household_size), 0) FROM housing_placements pl
      WHERE pl.partner_id = g.partner_id AND pl.started_on < g.next_month
        AND (pl.ended_on IS NULL OR pl.ended_on >= g.next_month)
    ) AS beds_available,
    (SELECT coalesce(jsonb_object_agg(x.exit_outcome, x.n), '{}'::jsonb) FROM (
        SELECT pl.exit_outcome, count(*) AS n FROM housing_placements pl
        WHERE pl.partner_id = g.partner_id
          AND pl.ended_on >= g.month_start AND pl.ended_on < g.next_month
        GROUP BY pl.exit_outcome) x
    ) AS exits_by_outcome
""",
)


AXES = ("housing", "employment", "hosting", "events", "cases")
KINDS = ("cooperative", "association", "foundation", "public_body", "other")


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    region: str
    province: str
    kind: str = "other"
    axes: tuple[str, ...] = ()
    active_since: dt.date | None = None


def _partner(row: dict[str, str]) -> Partner:
    axes = tuple(a for a in (row.get("axes") or "").split(";") if a)
    since = row.get("active_since") or None
    return Partner(
        partner_id=row["partner_id"],
        name=row["name"],
        region=row["region"],
        province=row["province"],
        kind=row.get("kind") or "other",
        axes=axes,
        active_since=dt.date.fromisoformat(since) if since else None,
    )


def read_directory(path: str | None) -> list[Partner]:
    """The partner directory CSV (partner_id, name, kind, region, province, axes separated
    by ``;``, active_since); the example if unset. The last three columns are optional."""
    if path is None:
        text = (Path(__file__).parent.parent / "partners.example.csv").read_text()
    else:
        text = Path(path).read_text()
    partners = [_partner(row) for row in csv.DictReader(io.StringIO(text))]
    if not partners:
        raise ValueError("the partner directory is empty")
    for partner in partners:
        if partner.kind not in KINDS or not set(partner.axes) <= set(AXES):
            raise ValueError(f"partner {partner.partner_id}: unknown kind or axis")
    return partners


async def load_directory(pool: asyncpg.Pool, partners: list[Partner]) -> None:
    """Adds the file's partners that the directory does not hold yet: after the first
    start the directory is managed through the API, and the file never overwrites it."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO partners (partner_id, name, region, province, kind, axes, active_since)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (partner_id) DO NOTHING",
            [
                (p.partner_id, p.name, p.region, p.province, p.kind, list(p.axes), p.active_since)
                for p in partners
            ],
        )


async def partners(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT partner_id, name, region, province FROM partners ORDER BY partner_id"
    )
    return [dict(r) for r in rows]


async def housing_monthly(
    conn: asyncpg.Connection,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> list[dict[str, Any]]:
    return await fetch_monthly(conn, _HOUSING_MONTHLY, first, last, partner_id, region)


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
