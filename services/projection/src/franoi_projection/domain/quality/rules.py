"""The data-quality rules' checks: pure functions of the facts and the day of the run."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from enum import StrEnum
from zoneinfo import ZoneInfo

from franoi_projection.domain.indicators.model import Text
from franoi_projection.domain.months import add_months
from franoi_projection.domain.quality.calendar import working_days_after
from franoi_projection.domain.quality.facts import DatedRecord, Entry, Facts
from franoi_projection.domain.quality.model import Flag

REQUEST_OPEN_DAYS = 180
"""A request still open this many days after it was submitted is flagged."""
VISIT_INTERVAL_DAYS = 60
"""A stay under way goes at most this many days without a monitoring visit."""
OUTCOME_GRACE_DAYS = 30
"""An internship's outcome is recorded on or after its end: flagged this many days after."""
OUTLIER_Z = 3.5
"""A monthly figure is an outlier when its robust z-score is beyond this (Iglewicz and
Hoaglin's threshold)."""
OUTLIER_HISTORY_MONTHS = 24
"""The months before a figure that make its partner's history."""
OUTLIER_MIN_HISTORY = 6
"""A figure is judged only against at least this many months of history."""
DEADLINE_DAYS = 3
LATE_DAYS = 5
"""The SAI rules' deadlines to record an event, in working days after it."""
ENTRY_ZONE = ZoneInfo("Europe/Rome")
"""The day an event was entered is the day in Italy."""

_MAD_SCALE = 0.6745
"""Makes the median absolute deviation comparable to a standard deviation (normal data)."""
_MEAN_AD_SCALE = 1.253314
"""The same for the mean absolute deviation, used when the median one is zero."""


def _flag(
    rule_id: str, r: DatedRecord, *dates: tuple[str, dt.date], value: float | None = None
) -> Flag:
    return Flag(rule_id, r.partner_id, r.table, (r.record_id,), tuple(dates), value)


def end_before_start(facts: Facts, today: dt.date) -> list[Flag]:
    return [
        _flag("end_before_start", r, r.start, (name, end))
        for r in facts.records
        for name, end in r.ends
        if end is not None and end < r.start[1]
    ]


def future_date(facts: Facts, today: dt.date) -> list[Flag]:
    return [
        _flag("future_date", r, (name, day))
        for r in facts.records
        for name, day in r.happened
        if day is not None and day > today
    ]


def before_registration(facts: Facts, today: dt.date) -> list[Flag]:
    registered: dict[tuple[str, str], dt.date] = {}
    for p in facts.persons:
        key = (p.partner_id, p.person_ref)
        registered[key] = min(registered.get(key, p.registered_on), p.registered_on)
    flags = []
    for r in facts.records:
        if r.person_ref is None:
            continue
        on = registered.get((r.partner_id, r.person_ref))
        if on is not None and r.start[1] < on:
            flags.append(_flag("before_registration", r, r.start, ("registered_on", on)))
    return flags


def before_partner_joined(facts: Facts, today: dt.date) -> list[Flag]:
    since = {p.partner_id: p.active_since for p in facts.partners if p.active_since}
    return [
        _flag("before_partner_joined", r, r.start, ("active_since", since[r.partner_id]))
        for r in facts.records
        if r.partner_id in since and r.start[1] < since[r.partner_id]
    ]


def axis_not_listed(facts: Facts, today: dt.date) -> list[Flag]:
    axes = {p.partner_id: p.axes for p in facts.partners}
    return [
        _flag("axis_not_listed", r, r.start)
        for r in facts.records
        if r.partner_id in axes and r.axis not in axes[r.partner_id]
    ]


def past_planned_end(facts: Facts, today: dt.date) -> list[Flag]:
    return [
        _flag("past_planned_end", r, r.start, (name, end))
        for r in facts.records
        if r.table in ("housing_placements", "hosting_stays") and dict(r.ends)["ended_on"] is None
        for name, end in r.ends
        if name == "planned_end_on" and end is not None and end < today
    ]


def stay_without_visit(facts: Facts, today: dt.date) -> list[Flag]:
    """Every gap of more than :data:`VISIT_INTERVAL_DAYS` in a stay's monitoring: from its
    start to the first visit, between visits, from the last visit to its end (or today)."""
    visits: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for v in facts.visits:
        visits[(v.partner_id, v.stay_id)].append(v.visited_on)
    flags = []
    for s in facts.stays:
        end = min(s.ended_on or today, today)
        days = [d for d in sorted(visits[(s.partner_id, s.stay_id)]) if s.started_on <= d <= end]
        marks = [("started_on", s.started_on)] + [("visited_on", d) for d in days]
        marks.append(("ended_on" if s.ended_on and s.ended_on <= today else "today", end))
        for (a_name, a), (b_name, b) in itertools.pairwise(marks):
            if (b - a).days > VISIT_INTERVAL_DAYS:
                flags.append(
                    Flag(
                        "stay_without_visit",
                        s.partner_id,
                        "hosting_stays",
                        (s.stay_id,),
                        ((a_name, a), (b_name, b)),
                        float((b - a).days),
                    )
                )
    return flags


def internship_without_outcome(facts: Facts, today: dt.date) -> list[Flag]:
    return [
        Flag(
            "internship_without_outcome",
            i.partner_id,
            "employment_internships",
            (i.internship_id,),
            (("ended_on", i.ended_on),),
            float((today - i.ended_on).days),
        )
        for i in facts.internships
        if i.ended_on is not None
        and i.outcome is None
        and (today - i.ended_on).days > OUTCOME_GRACE_DAYS
    ]


def request_open_too_long(facts: Facts, today: dt.date) -> list[Flag]:
    return [
        Flag(
            "request_open_too_long",
            r.partner_id,
            f"{r.axis}_requests",
            (r.request_id,),
            (("submitted_on", r.submitted_on),),
            float((today - r.submitted_on).days),
        )
        for r in facts.requests
        if r.closed_on is None and (today - r.submitted_on).days > REQUEST_OPEN_DAYS
    ]


def duplicate_open_requests(facts: Facts, today: dt.date) -> list[Flag]:
    """Within one partner (a flag never shows a partner another's records)."""
    groups = defaultdict(list)
    for r in facts.requests:
        if r.closed_on is None:
            groups[(r.partner_id, r.axis, r.kind, r.person_ref)].append(r)
    flags = []
    for (partner_id, axis, _, _), same in sorted(groups.items()):
        if len(same) > 1:
            same.sort(key=lambda r: (r.submitted_on, r.request_id))
            flags.append(
                Flag(
                    "duplicate_open_requests",
                    partner_id,
                    f"{axis}_requests",
                    tuple(r.request_id for r in same),
                    tuple(("submitted_on", r.submitted_on) for r in same),
                )
            )
    return flags


def hire_without_contact(facts: Facts, today: dt.date) -> list[Flag]:
    """A contact at any partner, on any axis, on or before the hire's start."""
    first: dict[str, dt.date] = {}
    for c in facts.contacts:
        first[c.person_ref] = min(first.get(c.person_ref, c.on), c.on)
    return [
        Flag(
            "hire_without_contact",
            h.partner_id,
            "employment_hires",
            (h.hire_id,),
            (("started_on", h.started_on),),
        )
        for h in facts.hires
        if h.person_ref not in first or first[h.person_ref] > h.started_on
    ]


def robust_z(value: float, history: list[float]) -> float | None:
    """How far ``value`` is from ``history``'s median, in robust standard deviations
    (median absolute deviation; the mean one when that is zero). None when the history
    does not vary at all: nothing to measure against."""
    median = statistics.median(history)
    deviations = [abs(x - median) for x in history]
    mad = statistics.median(deviations)
    if mad > 0:
        return _MAD_SCALE * (value - median) / mad
    mean_ad = statistics.fmean(deviations)
    if mean_ad > 0:
        return (value - median) / (_MEAN_AD_SCALE * mean_ad)
    return None


def figure_outlier(facts: Facts, today: dt.date) -> list[Flag]:
    """Each complete month of a partner's figure against the months before it (a month
    without a figure counts as zero, from the partner's first month with one on)."""
    series: dict[tuple[str, str], dict[dt.date, float]] = defaultdict(dict)
    for f in facts.figures:
        series[(f.partner_id, f.indicator_id)][f.month] = f.value
    current = today.replace(day=1)
    flags = []
    for (partner_id, indicator_id), by_month in sorted(series.items()):
        months = _months(min(by_month), current)
        values = [by_month.get(m, 0.0) for m in months]
        for index in range(OUTLIER_MIN_HISTORY, len(months)):
            history = values[max(0, index - OUTLIER_HISTORY_MONTHS) : index]
            z = robust_z(values[index], history)
            if z is not None and abs(z) > OUTLIER_Z:
                flags.append(
                    Flag(
                        "figure_outlier",
                        partner_id,
                        indicator_id,
                        (),
                        (("month", months[index]),),
                        round(z, 2),
                    )
                )
    return flags


def _months(first: dt.date, before: dt.date) -> list[dt.date]:
    months, month = [], first
    while month < before:
        months.append(month)
        month = add_months(month, 1)
    return months


class Timeliness(StrEnum):
    """How soon after the day it happened an event was entered, in working days."""

    AHEAD = "ahead"
    WITHIN_3 = "within_3"
    WITHIN_5 = "within_5"
    LATE = "late"


TIMELINESS_LABELS: dict[Timeliness, Text] = {
    Timeliness.AHEAD: Text("Registrato prima del giorno", "Entered before the day"),
    Timeliness.WITHIN_3: Text("Entro 3 giorni lavorativi", "Within 3 working days"),
    Timeliness.WITHIN_5: Text("Entro 5 giorni lavorativi", "Within 5 working days"),
    Timeliness.LATE: Text("Oltre 5 giorni lavorativi", "After 5 working days"),
}


def entered_on(entry: Entry) -> dt.date:
    """The day, in Italy, the event was entered (a time without a zone is UTC, as the
    envelope's times are)."""
    entered_at = entry.entered_at
    if entered_at.tzinfo is None:
        entered_at = entered_at.replace(tzinfo=dt.UTC)
    return entered_at.astimezone(ENTRY_ZONE).date()


def entry_delay(entry: Entry) -> int:
    """Working days from the record's day to the day it was entered."""
    return working_days_after(entry.dated_on, entered_on(entry))


def timeliness_bucket(days: int) -> Timeliness:
    if days < 0:
        return Timeliness.AHEAD
    if days <= DEADLINE_DAYS:
        return Timeliness.WITHIN_3
    if days <= LATE_DAYS:
        return Timeliness.WITHIN_5
    return Timeliness.LATE


def timeliness(entries: tuple[Entry, ...]) -> dict[str, dict[Timeliness, int]]:
    """Per partner, how many entries fell in each bucket (every bucket listed)."""
    counts: dict[str, dict[Timeliness, int]] = {}
    for entry in entries:
        by_bucket = counts.setdefault(entry.partner_id, dict.fromkeys(Timeliness, 0))
        by_bucket[timeliness_bucket(entry_delay(entry))] += 1
    return counts


def late_entry(facts: Facts, today: dt.date) -> list[Flag]:
    flags = []
    for e in facts.entries:
        days = entry_delay(e)
        if timeliness_bucket(days) is Timeliness.LATE:
            flags.append(
                Flag(
                    "late_entry",
                    e.partner_id,
                    e.table,
                    (e.record_id,),
                    (("dated_on", e.dated_on), ("entered_on", entered_on(e))),
                    float(days),
                )
            )
    return flags
