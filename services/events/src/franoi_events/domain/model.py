"""Community aggregates: hubs, lab series, community events and walk-in access batches.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and
records what happened as events of the contract (:mod:`franoi_contracts.events`); the
service layer persists the aggregates and moves their events to the outbox. A method
that succeeds changes state and records exactly one event (changing a hub's name or
opening hours, which are kept in this service only, records none); a method that fails raises
an :class:`EventsError` and changes nothing. A terminal transition repeated with
the same data (a client retrying "this event was held, 14 came") succeeds and
records nothing, so retries are safe; with other data it is refused.

Invariants:

* counts are non-negative and bounded; beneficiaries + volunteers ≤ participants
  (for one event and for a lab series' distinct figures);
* only a scheduled community event can be held or cancelled, and only once;
  it is held on or after its date and not in the future;
* a hub takes accesses and hosts events only between its opening date and its
  closing date; it cannot close before an access or event already recorded there;
* a lab series closes once, after its last session and with no session still
  scheduled; its distinct participants are at least those of its largest session
  and at most the sum over its sessions (each person came at least once).

Distinct participants of a lab series: the sessions record who came each time
(participants per session); how many *different* people came over the whole
series is only known from the lab's sign-in sheet, so it is recorded once, when
the series closes (:meth:`LabSeries.close`), and bounded by the sessions' figures.
A lab held once, without a series, is its own series: its participants are distinct.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from franoi_common.domain import Aggregate, Checks, Fields, creates
from franoi_common.errors import Conflict, DomainError, refusals
from franoi_contracts import events as contract
from franoi_contracts.events import (
    MAX_KNOWN_PERSONS,
    AccessCount,
    AccessTopic,
    AnonymousAccesses,
    CancellationReason,
    CommunityEventKind,
    DurationMinutes,
    HubKind,
    KnownPersonAccess,
    Participants,
)
from franoi_contracts.events import CoOrganisers as CoOrganiserCount

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LABEL = 160
MAX_OPENING_SLOTS = 28


# --- errors ------------------------------------------------------------------------------


class EventsError(DomainError, code="events_error"):
    """A command the events domain refuses; ``str(error)`` is a message for people."""


class HubNotOpen(Conflict, EventsError, code="hub_not_open", title="Hub not open on that day"):
    """The hub was not open (not yet opened, or closed) on the date of the command."""


InvalidTransition, InvalidDates, InvalidValue = refusals(EventsError)
_checks = Checks(InvalidValue, InvalidDates, InvalidTransition)


def _check_label(name: str, value: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= MAX_LABEL or _CONTROL.search(text):
        raise InvalidValue(f"{name} must be 1 to {MAX_LABEL} printable characters")
    return text


def _check_municipality(code: str) -> None:
    _checks.municipality_code(code)


class _Place(TypedDict):
    hub_id: UUID | None
    municipality_code: str


def _place(hub: Hub | None, municipality_code: str | None, on: dt.date, what: str) -> _Place:
    """Where ``what`` takes place from ``on``: at ``hub`` (open that day; a municipality
    given must be the hub's) or in ``municipality_code``, as the ``hub_id`` and
    ``municipality_code`` of its record."""
    if hub is not None:
        if municipality_code not in (None, hub.municipality_code):
            raise InvalidValue("the municipality is not the hub's")
        hub.check_open_on(on, what)
        return {"hub_id": hub.hub_id, "municipality_code": hub.municipality_code}
    if municipality_code is None:
        raise InvalidValue(f"{what} takes place at a hub or in a municipality")
    _check_municipality(municipality_code)
    return {"hub_id": None, "municipality_code": municipality_code}


def _check_not_future(day: dt.date, today: dt.date, what: str) -> None:
    if day > today:
        raise InvalidDates(f"{what} ({day}) is in the future")


@dataclass(frozen=True)
class Attendance:
    """Who came: participants, of whom beneficiaries (service users) and volunteers."""

    participants: int
    beneficiaries: int
    volunteers: int

    def __post_init__(self) -> None:
        for name, count in vars(self).items():
            _checks.within(name, count, Participants)
        if self.beneficiaries + self.volunteers > self.participants:
            raise InvalidValue(
                f"beneficiaries ({self.beneficiaries}) + volunteers ({self.volunteers}) "
                f"cannot exceed participants ({self.participants})"
            )


# --- hubs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningSlot:
    """A weekly opening slot: ISO weekday (1 = Monday) and local times."""

    weekday: int
    opens: dt.time
    closes: dt.time

    def __post_init__(self) -> None:
        _checks.range("weekday", self.weekday, 1, 7)
        if self.opens >= self.closes:
            raise InvalidValue("an opening slot closes after it opens")


def _check_opening_hours(slots: Sequence[OpeningSlot]) -> tuple[OpeningSlot, ...]:
    if len(slots) > MAX_OPENING_SLOTS:
        raise InvalidValue(f"at most {MAX_OPENING_SLOTS} opening slots")
    ordered = tuple(sorted(slots, key=lambda s: (s.weekday, s.opens)))
    for before, after in itertools.pairwise(ordered):
        if before.weekday == after.weekday and after.opens < before.closes:
            raise InvalidValue(f"opening slots overlap on weekday {before.weekday}")
    return ordered


@dataclass(eq=False)
class Hub(Aggregate):
    """A place where the community meets and asks: an "OP Cafè", a help desk.

    Its name and opening hours are public labels kept in this service only.
    """

    hub_id: UUID
    name: str
    municipality_code: str
    kind: HubKind
    opened_on: dt.date
    opening_hours: tuple[OpeningSlot, ...] = ()
    closed_on: dt.date | None = None

    @classmethod
    @creates(contract.HubOpened)
    def open(
        cls,
        hub_id: UUID,
        name: str,
        municipality_code: str,
        kind: HubKind,
        opened_on: dt.date,
        opening_hours: Sequence[OpeningSlot] = (),
    ) -> Fields:
        """Record a newly opened hub."""
        label = _check_label("name", name)
        _check_municipality(municipality_code)
        return {"name": label, "opening_hours": _check_opening_hours(opening_hours)}

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    def is_open_on(self, day: dt.date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day <= self.closed_on)

    def check_open_on(self, day: dt.date, what: str) -> None:
        """Raise :class:`HubNotOpen` unless the hub is open on ``day``."""
        if day < self.opened_on:
            raise HubNotOpen(f"{what} on {day}: the hub opened on {self.opened_on}")
        if self.closed_on is not None and day > self.closed_on:
            raise HubNotOpen(f"{what} on {day}: the hub closed on {self.closed_on}")

    def describe(
        self, *, name: str | None = None, opening_hours: Sequence[OpeningSlot] | None = None
    ) -> None:
        """Change the name or the opening hours (``None`` keeps them); no event: neither is
        published."""
        new_name = self.name if name is None else _check_label("name", name)
        new_hours = (
            self.opening_hours if opening_hours is None else _check_opening_hours(opening_hours)
        )
        self.name, self.opening_hours = new_name, new_hours

    def close(self, on: dt.date, last_activity_on: dt.date | None = None) -> None:
        """Close the hub (once). ``last_activity_on`` is the latest date of an access or a
        community event the repository found at the hub: the hub cannot close before it."""
        if self.closed_on == on:
            return
        _checks.allowed(self.closed_on is None, f"the hub already closed on {self.closed_on}")
        _checks.not_before(on, self.opened_on, "a hub cannot close before it opened")
        if last_activity_on is not None and last_activity_on > on:
            raise InvalidDates(
                f"the hub has accesses or events up to {last_activity_on}: it cannot close on {on}"
            )
        self.closed_on = on
        self.record_event(contract.HubClosed)

    def record_accesses(
        self,
        access_batch_id: UUID,
        accessed_on: dt.date,
        anonymous: Iterable[AnonymousAccesses],
        known_persons: Iterable[KnownPersonAccess],
        today: dt.date,
    ) -> AccessBatch:
        """Record a day's walk-in accesses at this hub, as one batch."""
        _check_not_future(accessed_on, today, "the day of the accesses")
        self.check_open_on(accessed_on, "accesses")
        return AccessBatch.record(
            access_batch_id, self.hub_id, accessed_on, list(anonymous), list(known_persons)
        )


# --- walk-in accesses --------------------------------------------------------------------


@dataclass(eq=False)
class AccessBatch(Aggregate):
    """One day's walk-in accesses at a hub: anonymous counts by topic and referred flag,
    and accesses by known persons (one per person and topic). Created by
    :meth:`Hub.record_accesses`."""

    access_batch_id: UUID
    hub_id: UUID
    accessed_on: dt.date
    anonymous: tuple[AnonymousAccesses, ...]
    known_persons: tuple[KnownPersonAccess, ...]

    @classmethod
    @creates(contract.AccessBatchRecorded)
    def record(
        cls,
        access_batch_id: UUID,
        hub_id: UUID,
        accessed_on: dt.date,
        anonymous: Sequence[AnonymousAccesses],
        known_persons: Sequence[KnownPersonAccess],
    ) -> Fields:
        keys = [(line.topic, line.referred) for line in anonymous]
        if len(set(keys)) != len(keys):
            raise InvalidValue("one anonymous count per topic and referred flag")
        for line in anonymous:
            _checks.within("accesses", line.accesses, AccessCount)
        if len(known_persons) > MAX_KNOWN_PERSONS:
            raise InvalidValue(f"at most {MAX_KNOWN_PERSONS} known persons in one batch")
        for person in known_persons:
            _checks.person_ref(person.person_ref)
        pairs = [(p.person_ref, p.topic) for p in known_persons]
        if len(set(pairs)) != len(pairs):
            raise InvalidValue("a known person appears once per topic in a batch")
        ordered = tuple(
            sorted(anonymous, key=lambda a: (list(AccessTopic).index(a.topic), a.referred))
        )
        return {"anonymous": ordered, "known_persons": tuple(known_persons)}

    @property
    def total(self) -> int:
        return sum(line.accesses for line in self.anonymous) + len(self.known_persons)

    def totals(self) -> dict[tuple[AccessTopic, bool], int]:
        """Accesses by (topic, referred), anonymous and known together."""
        totals: dict[tuple[AccessTopic, bool], int] = {}
        for line in self.anonymous:
            key = (line.topic, line.referred)
            totals[key] = totals.get(key, 0) + line.accesses
        for person in self.known_persons:
            key = (person.topic, person.referred)
            totals[key] = totals.get(key, 0) + 1
        return totals

    def same_content(self, other: AccessBatch) -> bool:
        """Whether ``other`` records exactly the same accesses (a retried request)."""
        return (
            self.hub_id == other.hub_id
            and self.accessed_on == other.accessed_on
            and set(self.anonymous) == set(other.anonymous)
            and set(self.known_persons) == set(other.known_persons)
        )


# --- community events --------------------------------------------------------------------


class CommunityEventStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CoOrganisers:
    """Organisations co-organising an event with the partner, counted by kind (never named:
    an association is an organisation, but the count is all the network needs)."""

    associations: int = 0
    public_bodies: int = 0
    companies: int = 0
    others: int = 0

    def __post_init__(self) -> None:
        for name in ("associations", "public_bodies", "companies", "others"):
            _checks.within(f"co-organising {name}", getattr(self, name), CoOrganiserCount)

    @property
    def total(self) -> int:
        return self.associations + self.public_bodies + self.companies + self.others


@dataclass(eq=False)
class CommunityEvent(Aggregate):
    """A socialisation or community lab (session), public event, info session or festival:
    scheduled, then held with its attendance or cancelled with a reason.

    Its title is a public label kept in this service only.
    """

    community_event_id: UUID
    kind: CommunityEventKind
    title: str
    municipality_code: str
    starts_on: dt.date
    duration_minutes: int
    hub_id: UUID | None = None
    lab_series_id: UUID | None = None
    co_organisers: CoOrganisers = CoOrganisers()
    status: CommunityEventStatus = CommunityEventStatus.SCHEDULED
    held_on: dt.date | None = None
    attendance: Attendance | None = None
    cancelled_on: dt.date | None = None
    cancellation_reason: CancellationReason | None = None

    @classmethod
    def schedule(
        cls,
        community_event_id: UUID,
        kind: CommunityEventKind,
        title: str,
        starts_on: dt.date,
        duration_minutes: int,
        *,
        hub: Hub | None = None,
        municipality_code: str | None = None,
        series: LabSeries | None = None,
        co_organisers: CoOrganisers = CoOrganisers(),
    ) -> CommunityEvent:
        """Schedule an event at a hub or in a municipality. A lab session may belong to a
        series: it is of the series' kind and takes place where the series does (the
        series' hub, which must be given, or its municipality)."""
        label = _check_label("title", title)
        _checks.within("duration_minutes", duration_minutes, DurationMinutes)
        if series is not None:
            series.check_can_add_session(kind, starts_on)
            if series.hub_id is not None:
                if hub is None or hub.hub_id != series.hub_id:
                    raise InvalidValue("a session takes place at its series' hub")
            elif hub is not None or municipality_code not in (None, series.municipality_code):
                raise InvalidValue("a session takes place in its series' municipality")
            else:
                municipality_code = series.municipality_code
        event = cls(
            community_event_id=community_event_id,
            kind=kind,
            title=label,
            **_place(hub, municipality_code, starts_on, "an event"),
            starts_on=starts_on,
            duration_minutes=duration_minutes,
            lab_series_id=None if series is None else series.lab_series_id,
            co_organisers=co_organisers,
        )
        event.record_event(
            contract.CommunityEventScheduled,
            **{f"co_organising_{org}": n for org, n in vars(co_organisers).items()},
        )
        if series is not None:
            series.sessions.append(event)
        return event

    @property
    def is_scheduled(self) -> bool:
        return self.status is CommunityEventStatus.SCHEDULED

    def _check_scheduled(self) -> None:
        _checks.allowed(self.is_scheduled, f"the event is already {self.status.value}")

    def hold(
        self, held_on: dt.date, attendance: Attendance, today: dt.date, hub: Hub | None = None
    ) -> None:
        """Record that the event took place (on its date, or later if postponed) and who came.
        ``hub`` is the event's hub, when it has one: it must be open that day."""
        if self.held_on == held_on and self.attendance == attendance:
            return
        self._check_scheduled()
        _checks.not_before(held_on, self.starts_on, "an event cannot be held before its date")
        _check_not_future(held_on, today, "the day the event was held")
        if hub is not None:
            if hub.hub_id != self.hub_id:
                raise InvalidValue("that is not the event's hub")
            hub.check_open_on(held_on, "an event")
        self.status, self.held_on, self.attendance = CommunityEventStatus.HELD, held_on, attendance
        self.record_event(contract.CommunityEventHeld, **vars(attendance))

    def cancel(self, on: dt.date, reason: CancellationReason, today: dt.date) -> None:
        """Cancel a scheduled event (the decision is recorded on ``on``, not in the future)."""
        if self.cancelled_on == on and self.cancellation_reason is reason:
            return
        self._check_scheduled()
        _check_not_future(on, today, "the day of the cancellation")
        self.status, self.cancelled_on = CommunityEventStatus.CANCELLED, on
        self.cancellation_reason = reason
        self.record_event(contract.CommunityEventCancelled, reason=reason)


# --- lab series --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesFigures:
    """A lab series' series-level figures, recorded when it closes."""

    sessions_held: int
    distinct: Attendance


@dataclass(eq=False)
class LabSeries(Aggregate):
    """A socialisation or community lab run as a series of sessions (each one a
    :class:`CommunityEvent` of the same kind). The repository loads its sessions."""

    lab_series_id: UUID
    kind: CommunityEventKind
    title: str
    municipality_code: str
    started_on: dt.date
    hub_id: UUID | None = None
    closed_on: dt.date | None = None
    figures: SeriesFigures | None = None
    sessions: list[CommunityEvent] = field(default_factory=list)

    @classmethod
    @creates(contract.LabSeriesStarted)
    def start(
        cls,
        lab_series_id: UUID,
        kind: CommunityEventKind,
        title: str,
        started_on: dt.date,
        *,
        hub: Hub | None = None,
        municipality_code: str | None = None,
    ) -> Fields:
        """Start a lab series at a hub or in a municipality."""
        if not kind.is_lab:
            raise InvalidValue("a lab series is a socialisation lab or a community lab")
        label = _check_label("title", title)
        return {"title": label, **_place(hub, municipality_code, started_on, "a lab series")}

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    def _check_open(self) -> None:
        _checks.allowed(self.closed_on is None, f"the lab series closed on {self.closed_on}")

    def check_can_add_session(self, kind: CommunityEventKind, starts_on: dt.date) -> None:
        self._check_open()
        if kind is not self.kind:
            raise InvalidValue(f"a session of this series is a {self.kind.value}")
        _checks.not_before(starts_on, self.started_on, "a session cannot be before its series")

    @property
    def held_sessions(self) -> list[CommunityEvent]:
        return [s for s in self.sessions if s.status is CommunityEventStatus.HELD]

    def close(self, on: dt.date, distinct: Attendance, today: dt.date) -> None:
        """Close the series with its distinct participants (each person counted once over the
        series), of whom beneficiaries and volunteers."""
        if self.closed_on == on and self.figures is not None and self.figures.distinct == distinct:
            return
        self._check_open()
        _checks.not_before(on, self.started_on, "a lab series cannot close before it started")
        _check_not_future(on, today, "the day the series closed")
        if any(s.is_scheduled for s in self.sessions):
            raise InvalidTransition(
                "the series has sessions still scheduled: hold or cancel them first"
            )
        held = self.held_sessions
        last = max((s.held_on for s in held if s.held_on is not None), default=None)
        if last is not None and on < last:
            raise InvalidDates(f"the series had a session on {last}: it cannot close on {on}")
        attendances = [s.attendance for s in held if s.attendance is not None]
        for name in ("participants", "beneficiaries", "volunteers"):
            figures = [getattr(a, name) for a in attendances]
            value = getattr(distinct, name)
            largest, total = max(figures, default=0), sum(figures)
            if value < largest:
                raise InvalidValue(
                    f"distinct {name} ({value}) cannot be fewer than in one session ({largest})"
                )
            if value > total:
                raise InvalidValue(
                    f"distinct {name} ({value}) cannot be more than the sessions' total ({total})"
                )
        figures_now = SeriesFigures(sessions_held=len(held), distinct=distinct)
        self.closed_on, self.figures = on, figures_now
        self.record_event(
            contract.LabSeriesClosed,
            sessions_held=len(held),
            **{f"distinct_{name}": n for name, n in vars(distinct).items()},
        )
