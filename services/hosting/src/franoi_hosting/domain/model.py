"""Family hosting's vocabulary (its refusals, statuses and value rules) and the aggregates
a host family deals with: family-axis requests, matches, stays and their monitoring visits.
Host families themselves, which hold the capacity rule, are in :mod:`.families`.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and records what
happened as events of the contract (:mod:`franoi_contracts.hosting`); the service layer
persists the aggregates and moves their events to the outbox. A method that succeeds
changes state and records its events; a method that fails raises a :class:`HostingError`
and changes nothing. A final transition repeated with the same data (a client retrying
"end this stay") succeeds and records nothing, so retries are safe; with different data it
is refused.

Invariants:

Every rule is judged on the dates the records concern, not on today, so history is
recorded in any order:

* only approved, active families can be matched, on the match's day: proposing and
  accepting need the family approved by that day (a match before the approval is
  refused naming it) and neither withdrawn by then nor paused from that day or before
  (the current pause: a resumed one is not kept);
* a family never hosts more guests than its rooms (one guest per room), on the dates
  the stays concern: on each day of a stay, the family's other stays covering it and its
  accepted matches waiting to start (each from its acceptance on) leave it a room. A
  proposal holds no room (several people may be proposed to one family); acceptance
  takes one, so acceptance is where the limit is enforced, on its day: the stays covering
  it and the matches waiting by then (accepted that day or before) leave a room, and a
  proposal is refused when no room is free on its day. The rooms offered have no date:
  they hold on every day of the family's history, so they cannot be lowered below what
  its stays and waiting matches take on their busiest day, whenever it was;
* a family withdraws on a day no stay of it covers (nor a later one) and with no open
  match; once withdrawn it still takes a match dated before its withdrawal and a stay
  that ended by it (a stay of the past recorded afterwards);
* one stay at a time per person (a person's stays share no day, see
  :mod:`franoi_common.periods`), and at most one accepted match waiting to start per
  person (the repository passes the person's stays sharing a day with the new one and
  the person's accepted matches);
* a stay starts only from an accepted match of the same family; the match
  becomes ``started``;
* monitoring visits only during a stay: dated between its start and its end;
* a stay's outcome is set once, when it ends.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from franoi_common.domain import Aggregate, Checks, Entity, repeats
from franoi_common.errors import Conflict, DomainError, refusals
from franoi_common.periods import Period
from franoi_common.person_requests import PersonRequest, RequestEvents
from franoi_common.person_requests import RequestStatus as RequestStatus
from franoi_contracts import hosting as contract
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.hosting import (
    LOW_WELLBEING,
    MAX_LANGUAGES,
    DecidedBy,
    FamilyRequestKind,
    HouseholdSize,
    PlannedMonths,
    StayOutcome,
    UnsatisfiedReason,
    VisitFlag,
    Wellbeing,
)

# --- errors ------------------------------------------------------------------------------


class HostingError(DomainError, code="hosting_error"):
    """A command the hosting domain refuses; ``str(error)`` is a message for people."""


class CapacityExceeded(Conflict, HostingError, code="capacity_exceeded", title="No free room"):
    """The family has no free room: its stays and accepted matches fill its rooms."""


class FamilyNotAvailable(
    Conflict, HostingError, code="family_not_available", title="Family not available"
):
    """The family is not approved and active, so it cannot be matched."""


class PersonAlreadyHosted(
    Conflict, HostingError, code="person_already_hosted", title="Person already hosted"
):
    """The person already has an active stay, or an accepted match waiting to start."""


InvalidTransition, InvalidDates, InvalidValue = refusals(HostingError)
checks = Checks(InvalidValue, InvalidDates, InvalidTransition)


def check_languages(languages: Sequence[str]) -> list[str]:
    """The languages a family speaks: 1 to ``MAX_LANGUAGES`` ISO 639 codes, each once."""
    if not 1 <= len(languages) <= MAX_LANGUAGES:
        raise InvalidValue(f"give between 1 and {MAX_LANGUAGES} languages")
    for code in languages:
        checks.language(code)
    if len(set(languages)) != len(languages):
        raise InvalidValue("a language is listed twice")
    return list(languages)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


# --- statuses ----------------------------------------------------------------------------


class VettingStatus(StrEnum):
    APPLIED = "applied"
    ASSESSED = "assessed"
    APPROVED = "approved"
    REJECTED = "rejected"


class Availability(StrEnum):
    """After approval: whether the family takes new guests. Withdrawn is final."""

    ACTIVE = "active"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    """Accepted, its stay not started yet: holds one of the family's rooms."""
    DECLINED = "declined"
    CANCELLED = "cancelled"
    """Accepted, then called off before the stay started."""
    STARTED = "started"
    """Its stay has started (the stay now holds the room)."""


class StayStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


# --- family-axis requests ----------------------------------------------------------------


@dataclass(eq=False)
class FamilyRequest(PersonRequest):
    """A request for hosting in a family or for family support: open, then satisfied,
    unsatisfied or withdrawn (:class:`~franoi_common.person_requests.PersonRequest`). A
    hosting request is satisfied by its stay (:meth:`HostFamily.start_stay`), a
    family-support request directly."""

    kind: FamilyRequestKind
    stay_id: UUID | None = field(default=None, kw_only=True)
    unsatisfied_reason: UnsatisfiedReason | None = field(default=None, kw_only=True)

    EVENTS = RequestEvents.of(contract)
    CHECKS = checks
    HOUSEHOLD_SIZE = HouseholdSize

    @property
    def is_hosting(self) -> bool:
        return self.kind is FamilyRequestKind.HOSTING

    def satisfy(self, on: dt.date, stay_id: UUID | None = None) -> None:
        """Close the request as satisfied: a hosting request by a stay (see
        :meth:`HostFamily.start_stay`), a family-support request directly."""
        if not repeats(self, status=RequestStatus.SATISFIED, closed_on=on, stay_id=stay_id):
            if self.is_hosting and stay_id is None:
                raise InvalidTransition("a hosting request is satisfied by starting a hosting stay")
            if not self.is_hosting and stay_id is not None:
                raise InvalidValue("a family-support request is not satisfied by a hosting stay")
        self._satisfy(on, stay_id=stay_id)


# --- matches -----------------------------------------------------------------------------


@dataclass(eq=False)
class Match(Aggregate):
    """A family proposed to host a person: proposed, then accepted or declined.

    Created by :meth:`HostFamily.propose_match` and accepted by
    :meth:`HostFamily.accept_match`, which check the family's availability and rooms.
    """

    match_id: UUID
    family_id: UUID
    person_ref: str
    proposed_on: dt.date
    request_id: UUID | None = None
    status: MatchStatus = MatchStatus.PROPOSED
    accepted_on: dt.date | None = None
    declined_on: dt.date | None = None
    declined_by: DecidedBy | None = None
    cancelled_on: dt.date | None = None
    cancelled_by: DecidedBy | None = None
    stay_id: UUID | None = None

    @property
    def is_open(self) -> bool:
        """Proposed or accepted: still leading somewhere."""
        return self.status in (MatchStatus.PROPOSED, MatchStatus.ACCEPTED)

    @property
    def holds_room(self) -> bool:
        """Accepted and waiting for its stay to start."""
        return self.status is MatchStatus.ACCEPTED

    def described(self) -> str:
        """The match for a refusal: what it is, its id and its dates ("accepted match …
        waiting from 2019-06-01", "proposed match … from 2019-05-20")."""
        if self.holds_room:
            return f"accepted match {self.match_id} waiting from {self.accepted_on}"
        return f"{self.status.value} match {self.match_id} from {self.proposed_on}"

    def decline(self, on: dt.date, by: DecidedBy) -> None:
        """Decline a proposal (the guest, the family or the partner said no)."""
        if repeats(self, status=MatchStatus.DECLINED, declined_on=on, declined_by=by):
            return
        checks.allowed(
            self.status is MatchStatus.PROPOSED,
            f"only a proposed match can be declined ({self.status.value})",
        )
        checks.not_before(on, self.proposed_on, "a match cannot be declined before its proposal")
        self.status, self.declined_on, self.declined_by = MatchStatus.DECLINED, on, by
        self.record_event(contract.MatchDeclined)

    def cancel(self, on: dt.date, by: DecidedBy) -> None:
        """Call off an accepted match before its stay starts: the room is free again."""
        if repeats(self, status=MatchStatus.CANCELLED, cancelled_on=on, cancelled_by=by):
            return
        if self.status is not MatchStatus.ACCEPTED:
            raise InvalidTransition(
                f"only an accepted match whose stay has not started can be cancelled "
                f"({self.status.value})"
            )
        checks.not_before(on, self.accepted_on, "a match cannot be cancelled before acceptance")
        self.status, self.cancelled_on, self.cancelled_by = MatchStatus.CANCELLED, on, by
        self.record_event(contract.MatchCancelled)


# --- monitoring visits and stays ---------------------------------------------------------


@dataclass(eq=False)
class MonitoringVisit(Entity):
    """A monitoring visit during a stay (recorded by :meth:`Stay.record_visit`)."""

    visit_id: UUID
    stay_id: UUID
    family_id: UUID
    visited_on: dt.date
    guest_wellbeing: int
    family_wellbeing: int
    flags: list[VisitFlag] = field(default_factory=list)

    @property
    def needs_follow_up(self) -> bool:
        """A flag, or a wellbeing score of 2 or less for the guest or the family."""
        return bool(self.flags) or min(self.guest_wellbeing, self.family_wellbeing) <= LOW_WELLBEING


@dataclass(eq=False)
class Stay(Period):
    """A guest living with a host family: active, then ended with an outcome.

    Created by :meth:`HostFamily.start_stay` from an accepted match.
    """

    stay_id: UUID
    match_id: UUID
    family_id: UUID
    person_ref: str
    started_on: dt.date
    planned_months: int
    planned_end_on: dt.date
    monthly_contribution_eur: int
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    request_id: UUID | None = None
    status: StayStatus = StayStatus.ACTIVE
    ended_on: dt.date | None = None
    outcome: StayOutcome | None = None
    last_visit_on: dt.date | None = None

    CHECKS = checks
    ACTIVE = StayStatus.ACTIVE

    def extend(self, planned_months: int, planned_end_on: dt.date | None = None) -> None:
        """Change the planned length of an active stay (the end defaults to start + months)."""
        self.check_active()
        checks.within("planned_months", planned_months, PlannedMonths)
        end = planned_end_on or add_months(self.started_on, planned_months)
        checks.not_before(end, self.started_on, "the planned end cannot be before the start")
        self.planned_months, self.planned_end_on = planned_months, end
        self.record_event(contract.StayExtended)

    def record_visit(
        self,
        visit_id: UUID,
        visited_on: dt.date,
        guest_wellbeing: int,
        family_wellbeing: int,
        flags: Sequence[VisitFlag] = (),
    ) -> MonitoringVisit:
        """Record a monitoring visit dated within the stay (from its start to its end).

        A visit may be recorded after the stay ended, if it took place during it.
        """
        checks.not_before(visited_on, self.started_on, "a visit cannot be before the stay")
        if self.ended_on is not None and visited_on > self.ended_on:
            raise InvalidDates(f"the stay ended on {self.ended_on}: a visit after it is not one")
        checks.within("guest_wellbeing", guest_wellbeing, Wellbeing)
        checks.within("family_wellbeing", family_wellbeing, Wellbeing)
        if len(set(flags)) != len(flags):
            raise InvalidValue("a flag is listed twice")
        visit = MonitoringVisit(
            visit_id,
            self.stay_id,
            self.family_id,
            visited_on,
            guest_wellbeing,
            family_wellbeing,
            list(flags),
        )
        if self.last_visit_on is None or visited_on >= self.last_visit_on:
            self.last_visit_on = visited_on
        self.record_event(contract.StayVisitRecorded, **vars(visit))
        return visit

    def end(self, on: dt.date, outcome: StayOutcome) -> None:
        """End an active stay with its outcome (once; not before its start or last visit)."""
        if repeats(self, status=StayStatus.ENDED, ended_on=on, outcome=outcome):
            return
        self.check_end(on)
        checks.not_before(on, self.last_visit_on, "a stay cannot end before its last visit")
        self.status, self.ended_on, self.outcome = StayStatus.ENDED, on, outcome
        self.record_event(contract.StayEnded)
