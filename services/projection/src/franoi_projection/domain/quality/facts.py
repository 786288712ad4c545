"""The facts the data-quality rules read: plain records mirroring the projection's fact
tables (migrations 001-006), holding only the columns the rules need.

``person_ref`` is the network's pseudonym of a person: the rules use it to relate a
person's records, and it never leaves them (a flag names records by their own ids).
Dates are the days the partner recorded; ``None`` is a step that has not happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple


class Partner(NamedTuple):
    """A partner as the directory lists it (``partners``)."""

    partner_id: str
    axes: frozenset[str]
    active_since: dt.date | None = None


class Person(NamedTuple):
    """A person a partner registered (``cases_persons``)."""

    partner_id: str
    person_id: str
    person_ref: str
    registered_on: dt.date


class Request(NamedTuple):
    """A housing or family-axis request (``housing_requests``, ``hosting_requests``).
    ``kind`` is what it asks for: the need of a housing request, the kind of a hosting
    one."""

    partner_id: str
    axis: str
    request_id: str
    person_ref: str
    kind: str
    submitted_on: dt.date
    closed_on: dt.date | None = None


class Placement(NamedTuple):
    """A household placed in a unit (``housing_placements``)."""

    partner_id: str
    placement_id: str
    person_ref: str
    started_on: dt.date
    planned_end_on: dt.date | None = None
    ended_on: dt.date | None = None


class Stay(NamedTuple):
    """A guest hosted by a family (``hosting_stays``)."""

    partner_id: str
    stay_id: str
    person_ref: str
    started_on: dt.date
    planned_end_on: dt.date
    ended_on: dt.date | None = None


class Visit(NamedTuple):
    """A monitoring visit to a stay (``hosting_visits``)."""

    partner_id: str
    visit_id: str
    stay_id: str
    visited_on: dt.date


class Internship(NamedTuple):
    """An internship (``employment_internships``); its outcome is recorded on or after its
    end."""

    partner_id: str
    internship_id: str
    person_ref: str
    started_on: dt.date
    planned_end_on: dt.date
    ended_on: dt.date | None = None
    outcome: str | None = None


class Hire(NamedTuple):
    """A job (``employment_hires``): ``ends_on`` the contract's planned end, ``ended_on``
    the day it did end."""

    partner_id: str
    hire_id: str
    person_ref: str
    started_on: dt.date
    ends_on: dt.date | None = None
    ended_on: dt.date | None = None


class Contact(NamedTuple):
    """A dated record that opens or continues a person's contact with a partner on an
    axis: the ``contact`` steps of ``journey_records`` (registrations, plans, requests,
    placements, consultations, group activities, courses, internships, stays, accesses)."""

    partner_id: str
    axis: str
    person_ref: str
    on: dt.date


class MonthlyFigure(NamedTuple):
    """An indicator's value for a partner and month (``indicator_counts``, dimension
    ``all``); ``month`` is the month's first day."""

    partner_id: str
    indicator_id: str
    month: dt.date
    value: float


class Entry(NamedTuple):
    """When a record's event was entered: the record's own date (the day the thing
    happened) and the envelope's time (when the partner's service recorded it)."""

    partner_id: str
    table: str
    record_id: str
    dated_on: dt.date
    entered_at: dt.datetime


@dataclass(frozen=True)
class Facts:
    """Everything the rules read, for one run (a partner or the whole network)."""

    partners: tuple[Partner, ...] = ()
    persons: tuple[Person, ...] = ()
    requests: tuple[Request, ...] = ()
    placements: tuple[Placement, ...] = ()
    stays: tuple[Stay, ...] = ()
    visits: tuple[Visit, ...] = ()
    internships: tuple[Internship, ...] = ()
    hires: tuple[Hire, ...] = ()
    contacts: tuple[Contact, ...] = ()
    figures: tuple[MonthlyFigure, ...] = ()
    entries: tuple[Entry, ...] = ()

    @cached_property
    def records(self) -> list[DatedRecord]:
        """Every record of the facts, dated: what most rules read (made once per facts,
        so that the rules of one run share it and two runs never do)."""
        return list(_each_record(self))


class DatedRecord(NamedTuple):
    """One record of any fact table, its dates named as in the table."""

    table: str
    axis: str
    partner_id: str
    record_id: str
    person_ref: str | None
    start: tuple[str, dt.date]
    ends: tuple[tuple[str, dt.date | None], ...] = ()
    happened: tuple[tuple[str, dt.date | None], ...] = ()
    """The dates of steps that took place (not planned ones), the start included."""


def _each_record(facts: Facts) -> Iterator[DatedRecord]:
    for p in facts.persons:
        start = ("registered_on", p.registered_on)
        yield DatedRecord(
            "cases_persons", "cases", p.partner_id, p.person_id, None, start, (), (start,)
        )
    for r in facts.requests:
        start = ("submitted_on", r.submitted_on)
        closed = ("closed_on", r.closed_on)
        yield DatedRecord(
            f"{r.axis}_requests",
            r.axis,
            r.partner_id,
            r.request_id,
            r.person_ref,
            start,
            (closed,),
            (start, closed),
        )
    for pl in facts.placements:
        planned = ("planned_end_on", pl.planned_end_on)
        yield _span("housing_placements", pl.placement_id, pl, planned, pl.ended_on)
    for s in facts.stays:
        yield _span("hosting_stays", s.stay_id, s, ("planned_end_on", s.planned_end_on), s.ended_on)
    for v in facts.visits:
        start = ("visited_on", v.visited_on)
        yield DatedRecord(
            "hosting_visits", "hosting", v.partner_id, v.visit_id, None, start, (), (start,)
        )
    for i in facts.internships:
        planned = ("planned_end_on", i.planned_end_on)
        yield _span("employment_internships", i.internship_id, i, planned, i.ended_on)
    for h in facts.hires:
        yield _span("employment_hires", h.hire_id, h, ("ends_on", h.ends_on), h.ended_on)


def _span(
    table: str,
    record_id: str,
    record: Placement | Stay | Internship | Hire,
    planned_end: tuple[str, dt.date | None],
    ended_on: dt.date | None,
) -> DatedRecord:
    """A record that starts, is planned to end and ends (its table named axis_things)."""
    start, ended = ("started_on", record.started_on), ("ended_on", ended_on)
    return DatedRecord(
        table,
        table.split("_", 1)[0],
        record.partner_id,
        record_id,
        record.person_ref,
        start,
        (planned_end, ended),
        (start, ended),
    )
