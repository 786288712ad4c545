"""The outcome rules of the pseudonymous journeys, as plain code.

A journey is every dated record of one ``person_ref`` at every partner and on every axis
(a :class:`Step`). :func:`outcomes` says what the journey contributes to the outcome
indicators; migration 009's ``journey_contributions`` computes the same in SQL for the
projection's counters, and the tests hold the two to each other. The catalogue
(``domain/indicators.py``, ``docs/indicators.md``) says the rules in words.

Also here: the median of a distribution of days (time from first contact to first hire,
kept as counts per number of days) and the order of the axes in a journey's summary.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CONTACT = "contact"
    HIRE = "hire"
    PLAN_CLOSED = "plan_closed"
    PLACEMENT_ENDED = "placement_ended"
    INTERNSHIP_ENDED = "internship_ended"
    STAY_ENDED = "stay_ended"
    REQUEST = "request"
    """A housing request (``detail``: its need); also a contact, recorded as one too."""


AXES: tuple[str, ...] = ("cases", "employment", "events", "hosting", "housing")
"""The axes a journey can touch, in the order of their summary key ('+'-joined)."""

AUTONOMOUS_HOUSING_EXITS: frozenset[str] = frozenset({"autonomous_rent", "public_housing"})
STAY_AUTONOMY = "completed_with_autonomy"
PLAN_AUTONOMY = "completed_autonomy_reached"
BACK_TO_RECEPTION = "back_to_reception"
EXIT_FROM_RECEPTION = "exit_from_reception"
IN_WORK_AFTER_MONTHS = 6
RECEPTION_WINDOWS: tuple[int, ...] = (6, 12)


@dataclass(frozen=True)
class Step:
    """One dated record of a journey (``until``: a hire's end or planned end)."""

    partner_id: str
    axis: str
    kind: Kind
    on: dt.date
    until: dt.date | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One person's contribution to an indicator: 1 in ``month`` at ``partner_id``;
    ``dimension``/``key``: 'all'/'' or a summary's ('axes', 'days')."""

    indicator_id: str
    partner_id: str
    month: dt.date
    dimension: str = "all"
    key: str = ""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, at the end of a shorter month (as PostgreSQL does)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _earliest(candidates: Iterable[tuple[dt.date, str]]) -> tuple[dt.date, str] | None:
    """The earliest (day, partner); on equal days the lowest partner id."""
    return min(candidates, default=None)


def is_exit_to_autonomy(step: Step) -> bool:
    return (step.kind is Kind.PLACEMENT_ENDED and step.detail in AUTONOMOUS_HOUSING_EXITS) or (
        step.kind is Kind.STAY_ENDED and step.detail == STAY_AUTONOMY
    )


def in_work(hires: Iterable[Step], day: dt.date) -> bool:
    """A hire started by ``day`` and not ended before it."""
    return any(h.on <= day and (h.until is None or h.until >= day) for h in hires)


def outcomes(steps: Iterable[Step]) -> list[Outcome]:
    """What one person's journey contributes to the outcome indicators."""
    journey = list(steps)
    result: list[Outcome] = []
    hires = [s for s in journey if s.kind is Kind.HIRE]

    first_contact = _earliest((s.on, s.partner_id) for s in journey if s.kind is Kind.CONTACT)
    if first_contact is not None:
        contact_on, contact_partner = first_contact
        touched = "+".join(sorted({s.axis for s in journey}))
        result += [
            Outcome("journeys_first_contacts", contact_partner, month_of(contact_on)),
            Outcome(
                "journeys_first_contacts", contact_partner, month_of(contact_on), "axes", touched
            ),
        ]
        first_hire = _earliest((h.on, h.partner_id) for h in hires if h.on >= contact_on)
        if first_hire is not None:
            hired_on, hire_partner = first_hire
            days = str((hired_on - contact_on).days)
            result += [
                Outcome("journeys_first_hires", hire_partner, month_of(hired_on)),
                Outcome("journeys_first_hires", hire_partner, month_of(hired_on), "days", days),
            ]

    exits = [s for s in journey if is_exit_to_autonomy(s)]
    reached = [
        (s.on, s.partner_id)
        for s in journey
        if s.kind is Kind.PLAN_CLOSED and s.detail == PLAN_AUTONOMY
    ]
    for x in exits:
        for h in hires:
            if h.until is None or h.until >= x.on:
                reached.append((h.on, h.partner_id) if h.on > x.on else (x.on, x.partner_id))
    autonomy = _earliest(reached)
    if autonomy is not None:
        result.append(Outcome("journeys_autonomy_reached", autonomy[1], month_of(autonomy[0])))

    ended = _earliest(
        (s.on, s.partner_id) for s in journey if s.kind in (Kind.INTERNSHIP_ENDED, Kind.STAY_ENDED)
    )
    if ended is not None:
        check_on = add_months(ended[0], IN_WORK_AFTER_MONTHS)
        result.append(Outcome("journeys_followed_6_months", ended[1], month_of(check_on)))
        if in_work(hires, check_on):
            result.append(Outcome("journeys_in_work_6_months", ended[1], month_of(check_on)))

    first_exit = _earliest((x.on, x.partner_id) for x in exits)
    if first_exit is not None:
        exit_on, exit_partner = first_exit
        returns = [
            s.on
            for s in journey
            if (s.kind is Kind.PLACEMENT_ENDED and s.detail == BACK_TO_RECEPTION)
            or (s.kind is Kind.REQUEST and s.detail == EXIT_FROM_RECEPTION)
        ]
        for months in RECEPTION_WINDOWS:
            closes_on = add_months(exit_on, months)
            month = month_of(closes_on)
            result.append(
                Outcome(f"journeys_exits_to_autonomy_{months}_months", exit_partner, month)
            )
            if any(exit_on < r <= closes_on for r in returns):
                result.append(
                    Outcome(f"journeys_back_in_reception_{months}_months", exit_partner, month)
                )
    return result


def median_days(distribution: Mapping[int, int]) -> float | None:
    """The median of a distribution given as days → persons (None when empty): the middle
    value, or the mean of the two middle values for an even count."""
    total = sum(distribution.values())
    if total <= 0:
        return None
    ordered = sorted((days, n) for days, n in distribution.items() if n > 0)

    def at(position: int) -> int:
        seen = 0
        for days, n in ordered:
            seen += n
            if seen > position:
                return days
        raise AssertionError("position beyond the distribution")

    low, high = at((total - 1) // 2), at(total // 2)
    return (low + high) / 2


def axes_of(key: str) -> list[str]:
    """The axes of a summary key ('employment+housing' → ['employment', 'housing'])."""
    return [a for a in key.split("+") if a]
