"""The facts the data-quality rules read: plain records mirroring the projection's fact
tables (migrations 001-006), holding only the columns the rules need.

``person_ref`` is the network's pseudonym of a person: the rules use it to relate a
person's records, and it never leaves them (a flag names records by their own ids).
Dates are the days the partner recorded; ``None`` is a step that has not happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
