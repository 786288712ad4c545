"""The data-quality run on the projection's tables: the facts read for a partner or the
whole network (:mod:`franoi_projection.domain.quality.facts`), every rule applied, and each
partner's flags replaced by the run's (``quality_flags``, migration 012).

A partner's run reads its own records only, except the contacts of the persons it hired
(at any partner: a hire preceded by a contact elsewhere is not flagged), which never leave
the run: a flag names the partner's own records.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import asyncpg
from franoi_common.kafka import BackgroundWorker, Stall

from franoi_projection.domain import quality
from franoi_projection.domain.indicators import CATALOGUE
from franoi_projection.domain.quality import facts as f
from franoi_projection.domain.quality.rules import ENTRY_ZONE, LATE_DAYS
from franoi_projection.domain.reporting import flag_days, flag_key

log = logging.getLogger(__name__)

OUTLIER_INDICATORS = tuple(
    i.id for i in CATALOGUE if i.network and not (i.stock or i.is_rate or i.is_score)
)
"""The figures judged for outliers: every network indicator that is a monthly flow."""

_QUERIES: dict[str, str] = {
    "partners": "SELECT partner_id, axes, active_since FROM partners WHERE {mine}",
    "persons": "SELECT partner_id, person_id::text, person_ref, registered_on"
    " FROM cases_persons WHERE {mine}",
    "housing_requests": "SELECT partner_id, request_id::text, person_ref, need AS kind,"
    " submitted_on, closed_on FROM housing_requests WHERE {mine}",
    "hosting_requests": "SELECT partner_id, request_id::text, person_ref, kind, submitted_on,"
    " closed_on FROM hosting_requests WHERE {mine}",
    "placements": "SELECT partner_id, placement_id::text, person_ref, started_on,"
    " planned_end_on, ended_on FROM housing_placements WHERE {mine}",
    "stays": "SELECT partner_id, stay_id::text, person_ref, started_on, planned_end_on,"
    " ended_on FROM hosting_stays WHERE {mine}",
    "visits": "SELECT partner_id, visit_id::text, stay_id::text, visited_on"
    " FROM hosting_visits WHERE {mine}",
    "internships": "SELECT partner_id, internship_id::text, person_ref, started_on,"
    " planned_end_on, ended_on, outcome FROM employment_internships WHERE {mine}",
    "hires": "SELECT partner_id, hire_id::text, person_ref, started_on, ends_on, ended_on"
    " FROM employment_hires WHERE {mine}",
    # Only the contacts the rules use: those of hired persons, up to the hire's start.
    "contacts": "SELECT c.partner_id, c.axis, c.person_ref, min(c.on_date) AS on_date"
    " FROM journey_records c WHERE c.kind = 'contact' AND c.on_date IS NOT NULL"
    " AND c.person_ref IN (SELECT person_ref FROM employment_hires WHERE {mine})"
    " GROUP BY c.partner_id, c.axis, c.person_ref",
    # Dimension 'all' holds one row per indicator, partner and month (its key is '').
    "figures": "SELECT partner_id, indicator_id, month, n::float8 AS value"
    " FROM indicator_counts WHERE dimension = 'all' AND indicator_id = ANY($2::text[])"
    " AND {mine}",
    # Only the entries that may be late: entered more than LATE_DAYS calendar days after
    # their day (a working day is a calendar day too); the rule judges working days.
    "entries": "SELECT partner_id, event_type, record_id, dated_on, entered_at"
    " FROM event_entries WHERE {mine} AND (entered_at AT TIME ZONE $3)::date - dated_on > $2",
}
"""What the rules read; ``{mine}`` is the scope: one partner's rows (by the tables'
partner index) or, for the network, every row."""

_SCOPES = {True: "partner_id = $1", False: "$1::text IS NULL"}


async def read_facts(conn: asyncpg.Connection, partner_id: str | None) -> quality.Facts:
    """The facts of one partner (``None``: of the network), read in one snapshot."""
    rows: dict[str, list[Any]] = {}
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for name, text in _QUERIES.items():
            sql = text.format(mine=_SCOPES[partner_id is not None])
            args: Sequence[Any] = (partner_id,)
            if name == "figures":
                args = (partner_id, list(OUTLIER_INDICATORS))
            elif name == "entries":
                args = (partner_id, LATE_DAYS, ENTRY_ZONE.key)
            rows[name] = await conn.fetch(sql, *args)
    return quality.Facts(
        partners=tuple(
            f.Partner(r["partner_id"], frozenset(r["axes"]), r["active_since"])
            for r in rows["partners"]
        ),
        persons=tuple(f.Person(*r) for r in rows["persons"]),
        requests=tuple(
            f.Request(r[0], axis, *r[1:])
            for axis in ("housing", "hosting")
            for r in rows[f"{axis}_requests"]
        ),
        placements=tuple(f.Placement(*r) for r in rows["placements"]),
        stays=tuple(f.Stay(*r) for r in rows["stays"]),
        visits=tuple(f.Visit(*r) for r in rows["visits"]),
        internships=tuple(f.Internship(*r) for r in rows["internships"]),
        hires=tuple(f.Hire(*r) for r in rows["hires"]),
        contacts=tuple(f.Contact(*r) for r in rows["contacts"]),
        figures=tuple(f.MonthlyFigure(*r) for r in rows["figures"]),
        entries=tuple(f.Entry(*r) for r in rows["entries"]),
    )


def _flag_row(flag: quality.Flag) -> tuple[Any, ...]:
    first_on, last_on = flag_days(flag)
    # the days' names are the rules' own words: no quoting needed
    dates = "{" + ", ".join([f'"{name}": "{day}"' for name, day in flag.dates]) + "}"
    return (
        flag.partner_id,
        flag_key(flag),
        flag.rule_id,
        flag.subject,
        list(flag.record_ids),
        dates,
        first_on,
        last_on,
        flag.value,
    )


def _flag_rows(
    facts: quality.Facts, today: dt.date, checked: frozenset[str]
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The run's flags as rows of ``quality_flags``, by partner and key."""
    flags = quality.run(facts, today)
    return {row[:2]: row for row in map(_flag_row, flags) if row[0] in checked}


class _CollectorPause:
    """The cyclic garbage collector paused while a run builds its facts and flags: they are
    hundreds of thousands of objects that all live until the run ends, and each of the
    collector's full passes, triggered as they grow, would walk every one of them again.
    Nothing of a run makes cycles. Runs start and end on the event loop's thread; the
    collector resumes (if it ran before) when the last run under way ends."""

    def __init__(self) -> None:
        self._runs = 0
        self._resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self._runs == 0:
            self._resume = gc.isenabled()
            gc.disable()
        self._runs += 1
        try:
            yield
        finally:
            self._runs -= 1
            if self._runs == 0 and self._resume:
                gc.enable()


_collector_paused = _CollectorPause()


async def run_quality(
    conn: asyncpg.Connection, partner_id: str | None, today: dt.date
) -> dict[str, int]:
    """Every rule over a partner's (or every partner's) facts as of ``today``; each
    checked partner's flags replaced by this run's (only the flags that changed are
    written: most of a run's flags were raised by the run before). Partner → how many
    flags."""
    with _collector_paused():
        facts = await read_facts(conn, partner_id)
        checked = [p.partner_id for p in facts.partners]
        # The rules take seconds over a network's history: in a thread of their own, so
        # that the serving process goes on answering meanwhile.
        rows = await asyncio.to_thread(_flag_rows, facts, today, frozenset(checked))
    counts = dict.fromkeys(checked, 0)
    for partner, _ in rows:
        counts[partner] += 1
    async with conn.transaction():
        kept = await conn.fetch(
            "SELECT partner_id, flag_key, value FROM quality_flags"
            " WHERE partner_id = ANY($1::text[]) FOR UPDATE",
            checked,
        )
        gone = []
        for r in kept:
            key = (r["partner_id"], r["flag_key"])
            row = rows.get(key)
            if row is None or row[-1] != r["value"]:
                gone.append(key)  # not raised any more, or raised with another value
            else:
                del rows[key]  # raised again as it was: kept

        await conn.execute(
            "DELETE FROM quality_flags WHERE (partner_id, flag_key) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p for p, _ in gone],
            [k for _, k in gone],
        )
        await conn.copy_records_to_table(
            "quality_flags",
            records=list(rows.values()),
            columns=[
                "partner_id",
                "flag_key",
                "rule_id",
                "subject",
                "record_ids",
                "dates",
                "first_on",
                "last_on",
                "value",
            ],
        )
        await conn.executemany(
            "INSERT INTO quality_runs (partner_id, checked_on, ran_at, flags)"
            " VALUES ($1, $2, now(), $3) ON CONFLICT (partner_id) DO UPDATE"
            " SET checked_on = excluded.checked_on, ran_at = excluded.ran_at,"
            " flags = excluded.flags",
            [(p, today, n) for p, n in counts.items()],
        )
    return counts


QUALITY_LOCK = 7_125_025
"""The advisory lock one serving process holds while it runs the network's checks."""
LONGEST_RUN_S = 1800.0
"""A scheduled run taking longer than this is a stalled loop."""


async def run_if_due(pool: asyncpg.Pool, interval_s: float, today: dt.date) -> bool:
    """The network's checks, when a partner's flags are older than ``interval_s`` (or were
    never computed) and no other process is running them. Whether it ran."""
    async with pool.acquire() as conn:
        due = await conn.fetchval(
            "SELECT coalesce(bool_or(r.ran_at IS NULL"
            " OR r.ran_at < now() - make_interval(secs => $1)), false)"
            " FROM partners p LEFT JOIN quality_runs r USING (partner_id)",
            interval_s,
        )
        if not due or not await conn.fetchval("SELECT pg_try_advisory_lock($1)", QUALITY_LOCK):
            return False
        try:
            await run_quality(conn, None, today)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", QUALITY_LOCK)
    return True


class ScheduledChecks(BackgroundWorker):
    """Runs the network's data-quality checks every ``interval_s`` in one serving process
    at a time (an advisory lock), so the consortium's status of every partner is never
    older than that; looks every ``poll_s``."""

    def __init__(self, pool: asyncpg.Pool, interval_s: float, poll_s: float = 30.0) -> None:
        self._pool = pool
        self._interval_s = interval_s
        self._poll_s = poll_s
        self._running_since: float | None = None
        self.runs = 0

    async def _run(self) -> None:
        while True:
            self._running_since = time.monotonic()
            try:
                if await run_if_due(self._pool, self._interval_s, dt.datetime.now(dt.UTC).date()):
                    self.runs += 1
            except Exception as exc:  # database away: tried again at the next poll
                self.failed(exc)
                log.warning("scheduled quality checks failed", extra={"error": type(exc).__name__})
            else:
                self.progressed()
            finally:
                self._running_since = None
            await asyncio.sleep(self._poll_s)

    def stalled(self) -> Stall | None:
        """A run under way is not a frozen loop, unless it has run for ``LONGEST_RUN_S``."""
        started = self._running_since
        if started is not None and time.monotonic() - started < LONGEST_RUN_S:
            return None
        return super().stalled()

    async def _close(self) -> None:
        return None
