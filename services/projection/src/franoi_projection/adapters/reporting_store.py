"""Reporting periods in the projection's database: the periods, each partner's step in a
version, the history of every step, the flags of a period, and the figures an approved
version fixed (migration 012).

The figures of a version are fixed by storing, in the transaction that approves its last
partner, every partner's sums of the monthly counters for the period
(:func:`franoi_projection.queries.counters.totals_by_partner`): the network's, a region's
and a partner's figures are added up from them exactly as the live views add up the live
counters, so a report read from them gives the same numbers, to the unit, forever.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from franoi_common.errors import AlreadyExists, NotFound

from franoi_projection.domain import reporting as r
from franoi_projection.domain.indicators import CATALOGUE, Text
from franoi_projection.queries import counters

SNAPSHOT_INDICATORS = tuple(dict.fromkeys(p for i in CATALOGUE if i.network for p in i.parts))
"""Every counter a network figure is computed from."""

Sums = dict[str, dict[str, tuple[int, int]]]


@dataclass(frozen=True)
class Fixed:
    """An approved version's figures: every partner's region and sums."""

    version: int
    approved_at: dt.datetime
    approved_by: str
    regions: dict[str, str]
    sums: Sums
    reopened_at: dt.datetime | None
    reopen_comment: str | None


@dataclass(frozen=True)
class PartnerStep:
    state: r.State
    comment: str | None
    changed_at: dt.datetime


def _period(row: asyncpg.Record) -> r.Period:
    return r.Period(
        row["period_id"],
        Text(row["label_it"], row["label_en"]),
        row["first_month"],
        row["last_month"],
        row["deadline"],
        row["version"],
    )


_PERIOD = "SELECT period_id, label_it, label_en, first_month, last_month, deadline, version"


async def create_period(conn: asyncpg.Connection, period: r.Period, by: str) -> bool:
    """Defines ``period``; False when the same period was defined already (a repeat)."""
    async with conn.transaction():
        row = await conn.fetchrow(
            _PERIOD + " FROM reporting_periods WHERE period_id = $1 FOR UPDATE", period.period_id
        )
        if row is not None:
            same = _period(row)
            if (same.label, same.first_month, same.last_month, same.deadline) != (
                period.label,
                period.first_month,
                period.last_month,
                period.deadline,
            ):
                raise AlreadyExists(f"period {period.period_id} is defined otherwise")
            return False
        await conn.execute(
            "INSERT INTO reporting_periods (period_id, label_it, label_en, first_month,"
            " last_month, deadline, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            period.period_id,
            period.label.it,
            period.label.en,
            period.first_month,
            period.last_month,
            period.deadline,
            by,
        )
    return True


async def periods(conn: asyncpg.Connection) -> list[r.Period]:
    rows = await conn.fetch(_PERIOD + " FROM reporting_periods ORDER BY first_month, period_id")
    return [_period(row) for row in rows]


async def period(conn: asyncpg.Connection, period_id: str, *, lock: bool = False) -> r.Period:
    sql = _PERIOD + " FROM reporting_periods WHERE period_id = $1" + (" FOR UPDATE" if lock else "")
    row = await conn.fetchrow(sql, period_id)
    if row is None:
        raise NotFound(f"no reporting period {period_id}")
    return _period(row)


period_of = period
"""The same, for the functions whose own variable is named ``period``."""


async def reporting_partners(conn: asyncpg.Connection, period: r.Period) -> list[str]:
    rows = await conn.fetch("SELECT partner_id, active_since FROM partners")
    return r.partners_reporting(((x["partner_id"], x["active_since"]) for x in rows), period)


async def steps(conn: asyncpg.Connection, period: r.Period) -> dict[str, PartnerStep]:
    rows = await conn.fetch(
        "SELECT partner_id, state, comment, changed_at FROM reporting_states"
        " WHERE period_id = $1 AND version = $2",
        period.period_id,
        period.version,
    )
    return {
        x["partner_id"]: PartnerStep(r.State(x["state"]), x["comment"], x["changed_at"])
        for x in rows
    }


_OPEN_FLAGS = (
    " FROM quality_flags q WHERE q.first_on <= $2 AND q.last_on >= $1"
    " AND ($3::text IS NULL OR q.partner_id = $3)"
    " AND NOT EXISTS (SELECT 1 FROM quality_explanations x"
    " WHERE x.partner_id = q.partner_id AND x.flag_key = q.flag_key)"
)


_COUNTED_BY = {"partner": "q.partner_id", "rule": "q.rule_id"}


async def open_flags(
    conn: asyncpg.Connection,
    period: r.Period,
    partner_id: str | None,
    by: Literal["partner", "rule"] = "partner",
) -> dict[str, int]:
    """Partner (or rule) → flags of the period not explained."""
    rows = await conn.fetch(
        f"SELECT {_COUNTED_BY[by]} AS k, count(*) AS n" + _OPEN_FLAGS + " GROUP BY 1",
        period.first_day,
        period.last_day,
        partner_id,
    )
    return {x["k"]: int(x["n"]) for x in rows}


async def flags(
    conn: asyncpg.Connection, period: r.Period, partner_id: str, explained: bool
) -> list[asyncpg.Record]:
    """A partner's flags of the period, with their explanation when they have one."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT q.flag_key, q.rule_id, q.subject, q.record_ids, q.dates, q.value,"
        " x.comment AS explanation, x.explained_at FROM quality_flags q"
        " LEFT JOIN quality_explanations x"
        " ON x.partner_id = q.partner_id AND x.flag_key = q.flag_key"
        " WHERE q.partner_id = $3 AND q.first_on <= $2 AND q.last_on >= $1"
        " AND (x.flag_key IS NULL OR $4)"
        " ORDER BY q.rule_id, q.first_on, q.flag_key",
        period.first_day,
        period.last_day,
        partner_id,
        explained,
    )
    return rows


async def explain(
    conn: asyncpg.Connection, partner_id: str, key: str, comment: str, by: str
) -> None:
    """Marks a flag of the partner explained (a repeat replaces the comment)."""
    rule_id = await conn.fetchval(
        "SELECT rule_id FROM quality_flags WHERE partner_id = $1 AND flag_key = $2",
        partner_id,
        key,
    )
    if rule_id is None:
        raise NotFound(f"no flag {key}")
    await conn.execute(
        "INSERT INTO quality_explanations (partner_id, flag_key, rule_id, comment, explained_by)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (partner_id, flag_key) DO UPDATE"
        " SET comment = excluded.comment, explained_by = excluded.explained_by,"
        " explained_at = now()",
        partner_id,
        key,
        rule_id,
        comment,
        by,
    )


async def _history(
    conn: asyncpg.Connection,
    period: r.Period,
    partner_id: str | None,
    action: r.Action,
    comment: str | None,
    by: str,
) -> None:
    await conn.execute(
        "INSERT INTO reporting_history (period_id, version, partner_id, action, comment, done_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        period.period_id,
        period.version,
        partner_id,
        action.value,
        comment,
        by,
    )


async def take_step(
    conn: asyncpg.Connection,
    period_id: str,
    partner_id: str,
    action: r.Action,
    comment: str | None,
    by: str,
) -> tuple[r.State, bool]:
    """A partner's submission, or the consortium's approval or return of it; the approval
    of the last partner fixes the version's figures in the same transaction. The partner's
    state, and whether the version is approved now."""
    async with conn.transaction():
        period = await period_of(conn, period_id, lock=True)
        partners = await reporting_partners(conn, period)
        if partner_id not in partners:
            raise NotFound(f"partner {partner_id} does not report in period {period_id}")
        states = {p: s.state for p, s in (await steps(conn, period)).items()}
        approved = r.version_approved(partners, states)
        state = r.step(action, states.get(partner_id), approved)
        await conn.execute(
            "INSERT INTO reporting_states (period_id, version, partner_id, state, comment,"
            " changed_by) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (period_id, version, partner_id) DO UPDATE SET state = excluded.state,"
            " comment = excluded.comment, changed_by = excluded.changed_by, changed_at = now()",
            period.period_id,
            period.version,
            partner_id,
            state.value,
            comment,
            by,
        )
        await _history(conn, period, partner_id, action, comment, by)
        states[partner_id] = state
        approved = r.version_approved(partners, states)
        if approved:
            await _fix(conn, period, by)
    return state, approved


async def _fix(conn: asyncpg.Connection, period: r.Period, by: str) -> None:
    regions, sums = await counters.totals_by_partner(
        conn, period.first_month, period.last_month, SNAPSHOT_INDICATORS
    )
    await conn.execute(
        "INSERT INTO reporting_versions (period_id, version, approved_at, approved_by, regions,"
        " sums) VALUES ($1, $2, now(), $3, $4::jsonb, $5::jsonb)",
        period.period_id,
        period.version,
        by,
        json.dumps(regions),
        json.dumps(sums),
    )


async def reopen(conn: asyncpg.Connection, period_id: str, comment: str, by: str) -> int:
    """The next version of an approved period; the approved one kept. The new version."""
    async with conn.transaction():
        period = await period_of(conn, period_id, lock=True)
        r.reopenable(await fixed(conn, period.period_id, period.version) is not None)
        await conn.execute(
            "UPDATE reporting_versions SET reopened_at = now(), reopened_by = $3,"
            " reopen_comment = $4 WHERE period_id = $1 AND version = $2",
            period.period_id,
            period.version,
            by,
            comment,
        )
        await _history(conn, period, None, r.Action.REOPEN, comment, by)
        await conn.execute(
            "UPDATE reporting_periods SET version = version + 1 WHERE period_id = $1",
            period.period_id,
        )
    return period.version + 1


async def approved_versions(
    conn: asyncpg.Connection, period_id: str | None = None
) -> dict[str, list[int]]:
    """Period → its approved versions, oldest first (one period's, or every period's)."""
    rows = await conn.fetch(
        "SELECT period_id, version FROM reporting_versions"
        " WHERE $1::text IS NULL OR period_id = $1 ORDER BY period_id, version",
        period_id,
    )
    out: dict[str, list[int]] = {}
    for row in rows:
        out.setdefault(row["period_id"], []).append(row["version"])
    return out


def _sums(value: Any) -> Sums:
    data = json.loads(value) if isinstance(value, str) else value
    return {p: {i: (int(v[0]), int(v[1])) for i, v in s.items()} for p, s in data.items()}


async def fixed(conn: asyncpg.Connection, period_id: str, version: int) -> Fixed | None:
    row = await conn.fetchrow(
        "SELECT version, approved_at, approved_by, regions, sums, reopened_at, reopen_comment"
        " FROM reporting_versions WHERE period_id = $1 AND version = $2",
        period_id,
        version,
    )
    if row is None:
        return None
    regions = row["regions"]
    return Fixed(
        row["version"],
        row["approved_at"],
        row["approved_by"],
        json.loads(regions) if isinstance(regions, str) else regions,
        _sums(row["sums"]),
        row["reopened_at"],
        row["reopen_comment"],
    )


async def late_entries(
    conn: asyncpg.Connection, period: r.Period, since: dt.datetime
) -> dict[str, list[asyncpg.Record]]:
    """Per partner, the records entered after ``since`` that say something happened in the
    period: what the approved figures could not hold."""
    rows = await conn.fetch(
        "SELECT partner_id, event_type, record_id, dated_on, entered_at FROM event_entries"
        " WHERE dated_on BETWEEN $1 AND $2 AND entered_at > $3"
        " ORDER BY partner_id, entered_at, event_id",
        period.first_day,
        period.last_day,
        since,
    )
    out: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        out.setdefault(row["partner_id"], []).append(row)
    return out


async def history(conn: asyncpg.Connection, period_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT version, partner_id, action, comment, done_at FROM reporting_history"
        " WHERE period_id = $1 ORDER BY step_id",
        period_id,
    )
    return rows
