"""Family-hosting aggregates: host families, family-axis requests, matches, stays, visits.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and
records what happened in its ``events`` list; the service layer persists the
aggregates and moves their events to the outbox. A method that succeeds changes
state and records its events; a method that fails raises a :class:`HostingError`
and changes nothing. A final transition repeated with the same data (a client
retrying "end this stay") succeeds and records nothing, so retries are safe;
with different data it is refused.

Invariants:

* only approved, active families can be matched: proposing and accepting a
  match need the family approved and not paused or withdrawn;
* a family never hosts more guests than its rooms (one guest per room): its
  active stays plus its accepted matches whose stay has not started yet count
  against ``rooms_offered``. A proposal holds no room (several people may be
  proposed to one family); acceptance takes one, so acceptance is where the
  limit is enforced, and a proposal is refused when no room is free at all.
  A family cannot lower its rooms below the rooms taken;
* one active stay per person, and at most one accepted match waiting to start
  per person (the repository passes the person's active stays and accepted
  matches);
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

from franoi_common import errors
from franoi_common.domain import Checks, repeats
from franoi_common.errors import DomainError
from franoi_contracts.base import AgeBand, DomainEvent, ProtectionStatus, Sex
from franoi_contracts.hosting import (
    LOW_WELLBEING,
    MAX_CONTRIBUTION_EUR,
    MAX_HOUSEHOLD,
    MAX_LANGUAGES,
    MAX_PLANNED_MONTHS,
    MAX_ROOMS,
    MAX_WELLBEING,
    MIN_CONTRIBUTION_EUR,
    MIN_HOUSEHOLD,
    MIN_PLANNED_MONTHS,
    MIN_ROOMS,
    MIN_WELLBEING,
    DecidedBy,
    FamilyApplied,
    FamilyApproved,
    FamilyAssessed,
    FamilyPaused,
    FamilyRejected,
    FamilyRejectionReason,
    FamilyRequestKind,
    FamilyResumed,
    FamilyUpdated,
    FamilyWithdrawn,
    MatchAccepted,
    MatchCancelled,
    MatchDeclined,
    MatchProposed,
    RequestSatisfied,
    RequestSubmitted,
    RequestUnsatisfied,
    RequestWithdrawn,
    StayEnded,
    StayExtended,
    StayOutcome,
    StayStarted,
    StayVisitRecorded,
    UnsatisfiedReason,
    VisitFlag,
)

# --- errors ------------------------------------------------------------------------------


class HostingError(DomainError):
    """A command the hosting domain refuses; ``str(error)`` is a message for people."""

    code = "hosting_error"


class CapacityExceeded(HostingError):
    """The family has no free room: its stays and accepted matches fill its rooms."""

    status = 409
    code = "capacity_exceeded"
    title = "No free room"


class FamilyNotAvailable(HostingError):
    """The family is not approved and active, so it cannot be matched."""

    status = 409
    code = "family_not_available"
    title = "Family not available"


class PersonAlreadyHosted(HostingError):
    """The person already has an active stay, or an accepted match waiting to start."""

    status = 409
    code = "person_already_hosted"
    title = "Person already hosted"


class InvalidTransition(errors.InvalidTransition, HostingError):
    """The aggregate is not in a state that allows the command."""


class InvalidDates(errors.InvalidDates, HostingError):
    """The dates of the command are inconsistent."""


class InvalidValue(errors.InvalidValue, HostingError):
    """A value is out of its range or malformed."""


_checks = Checks(InvalidValue, InvalidDates)


def _check_languages(languages: Sequence[str]) -> list[str]:
    if not 1 <= len(languages) <= MAX_LANGUAGES:
        raise InvalidValue(f"give between 1 and {MAX_LANGUAGES} languages")
    for code in languages:
        _checks.language(code)
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


class RequestStatus(StrEnum):
    OPEN = "open"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
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
class FamilyRequest:
    """A request for hosting in a family or for family support."""

    request_id: UUID
    person_ref: str
    kind: FamilyRequestKind
    household_size: int
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    status: RequestStatus = RequestStatus.OPEN
    closed_on: dt.date | None = None
    stay_id: UUID | None = None
    unsatisfied_reason: UnsatisfiedReason | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FamilyRequest) and other.request_id == self.request_id

    def __hash__(self) -> int:
        return hash(self.request_id)

    @classmethod
    def submit(
        cls,
        request_id: UUID,
        person_ref: str,
        kind: FamilyRequestKind,
        household_size: int,
        submitted_on: dt.date,
        sex: Sex,
        age_band: AgeBand,
        protection_status: ProtectionStatus,
    ) -> FamilyRequest:
        """Record a new open request."""
        _checks.person_ref(person_ref)
        _checks.range("household_size", household_size, MIN_HOUSEHOLD, MAX_HOUSEHOLD)
        request = cls(
            request_id=request_id,
            person_ref=person_ref,
            kind=kind,
            household_size=household_size,
            submitted_on=submitted_on,
            sex=sex,
            age_band=age_band,
            protection_status=protection_status,
        )
        request.events.append(
            RequestSubmitted(
                request_id=request_id,
                person_ref=person_ref,
                kind=kind,
                household_size=household_size,
                submitted_on=submitted_on,
                sex=sex,
                age_band=age_band,
                protection_status=protection_status,
            )
        )
        return request

    @property
    def is_open(self) -> bool:
        return self.status is RequestStatus.OPEN

    @property
    def is_hosting(self) -> bool:
        return self.kind is FamilyRequestKind.HOSTING

    def check_can_close(self, on: dt.date) -> None:
        """Raise unless the request is open and ``on`` is not before its submission."""
        if not self.is_open:
            raise InvalidTransition(f"the request is already closed ({self.status.value})")
        _checks.not_before(on, self.submitted_on, "a request cannot close before it was submitted")

    def satisfy(self, on: dt.date, stay_id: UUID | None = None) -> None:
        """Close the request as satisfied: a hosting request by a stay (see
        :meth:`HostFamily.start_stay`), a family-support request directly."""
        if repeats(self, status=RequestStatus.SATISFIED, closed_on=on, stay_id=stay_id):
            return
        if self.is_hosting and stay_id is None:
            raise InvalidTransition("a hosting request is satisfied by starting a hosting stay")
        if not self.is_hosting and stay_id is not None:
            raise InvalidValue("a family-support request is not satisfied by a hosting stay")
        self.check_can_close(on)
        self.status, self.closed_on, self.stay_id = RequestStatus.SATISFIED, on, stay_id
        self.events.append(
            RequestSatisfied(request_id=self.request_id, closed_on=on, stay_id=stay_id)
        )

    def declare_unsatisfied(self, on: dt.date, reason: UnsatisfiedReason) -> None:
        """Close the request without satisfying it."""
        if repeats(self, status=RequestStatus.UNSATISFIED, closed_on=on, unsatisfied_reason=reason):
            return
        self.check_can_close(on)
        self.status, self.closed_on = RequestStatus.UNSATISFIED, on
        self.unsatisfied_reason = reason
        self.events.append(
            RequestUnsatisfied(request_id=self.request_id, closed_on=on, reason=reason)
        )

    def withdraw(self, on: dt.date) -> None:
        """Close the request because the person withdrew it."""
        if repeats(self, status=RequestStatus.WITHDRAWN, closed_on=on):
            return
        self.check_can_close(on)
        self.status, self.closed_on = RequestStatus.WITHDRAWN, on
        self.events.append(RequestWithdrawn(request_id=self.request_id, closed_on=on))


# --- matches -----------------------------------------------------------------------------


@dataclass(eq=False)
class Match:
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
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and other.match_id == self.match_id

    def __hash__(self) -> int:
        return hash(self.match_id)

    @property
    def is_open(self) -> bool:
        """Proposed or accepted: still leading somewhere."""
        return self.status in (MatchStatus.PROPOSED, MatchStatus.ACCEPTED)

    @property
    def holds_room(self) -> bool:
        """Accepted and waiting for its stay to start."""
        return self.status is MatchStatus.ACCEPTED

    def decline(self, on: dt.date, by: DecidedBy) -> None:
        """Decline a proposal (the guest, the family or the partner said no)."""
        if repeats(self, status=MatchStatus.DECLINED, declined_on=on, declined_by=by):
            return
        if self.status is not MatchStatus.PROPOSED:
            raise InvalidTransition(f"only a proposed match can be declined ({self.status.value})")
        _checks.not_before(on, self.proposed_on, "a match cannot be declined before its proposal")
        self.status, self.declined_on, self.declined_by = MatchStatus.DECLINED, on, by
        self.events.append(
            MatchDeclined(
                match_id=self.match_id, family_id=self.family_id, declined_on=on, declined_by=by
            )
        )

    def cancel(self, on: dt.date, by: DecidedBy) -> None:
        """Call off an accepted match before its stay starts: the room is free again."""
        if repeats(self, status=MatchStatus.CANCELLED, cancelled_on=on, cancelled_by=by):
            return
        if self.status is not MatchStatus.ACCEPTED:
            raise InvalidTransition(
                f"only an accepted match whose stay has not started can be cancelled "
                f"({self.status.value})"
            )
        _checks.not_before(on, self.accepted_on, "a match cannot be cancelled before acceptance")
        self.status, self.cancelled_on, self.cancelled_by = MatchStatus.CANCELLED, on, by
        self.events.append(
            MatchCancelled(
                match_id=self.match_id, family_id=self.family_id, cancelled_on=on, cancelled_by=by
            )
        )


# --- monitoring visits and stays -------------------------------------------------------


@dataclass(eq=False)
class MonitoringVisit:
    """A monitoring visit during a stay (recorded by :meth:`Stay.record_visit`)."""

    visit_id: UUID
    stay_id: UUID
    family_id: UUID
    visited_on: dt.date
    guest_wellbeing: int
    family_wellbeing: int
    flags: list[VisitFlag] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MonitoringVisit) and other.visit_id == self.visit_id

    def __hash__(self) -> int:
        return hash(self.visit_id)

    @property
    def needs_follow_up(self) -> bool:
        """A flag, or a wellbeing score of 2 or less for the guest or the family."""
        return bool(self.flags) or min(self.guest_wellbeing, self.family_wellbeing) <= LOW_WELLBEING


@dataclass(eq=False)
class Stay:
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
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stay) and other.stay_id == self.stay_id

    def __hash__(self) -> int:
        return hash(self.stay_id)

    @property
    def is_active(self) -> bool:
        return self.status is StayStatus.ACTIVE

    def _check_active(self) -> None:
        if not self.is_active:
            raise InvalidTransition(f"the stay already ended on {self.ended_on}")

    def extend(self, planned_months: int, planned_end_on: dt.date | None = None) -> None:
        """Change the planned length of an active stay (the end defaults to start + months)."""
        self._check_active()
        _checks.range("planned_months", planned_months, MIN_PLANNED_MONTHS, MAX_PLANNED_MONTHS)
        end = planned_end_on or add_months(self.started_on, planned_months)
        _checks.not_before(end, self.started_on, "the planned end cannot be before the start")
        self.planned_months, self.planned_end_on = planned_months, end
        self.events.append(
            StayExtended(stay_id=self.stay_id, planned_months=planned_months, planned_end_on=end)
        )

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
        _checks.not_before(visited_on, self.started_on, "a visit cannot be before the stay")
        if self.ended_on is not None and visited_on > self.ended_on:
            raise InvalidDates(f"the stay ended on {self.ended_on}: a visit after it is not one")
        _checks.range("guest_wellbeing", guest_wellbeing, MIN_WELLBEING, MAX_WELLBEING)
        _checks.range("family_wellbeing", family_wellbeing, MIN_WELLBEING, MAX_WELLBEING)
        if len(set(flags)) != len(flags):
            raise InvalidValue("a flag is listed twice")
        visit = MonitoringVisit(
            visit_id=visit_id,
            stay_id=self.stay_id,
            family_id=self.family_id,
            visited_on=visited_on,
            guest_wellbeing=guest_wellbeing,
            family_wellbeing=family_wellbeing,
            flags=list(flags),
        )
        if self.last_visit_on is None or visited_on >= self.last_visit_on:
            self.last_visit_on = visited_on
        self.events.append(
            StayVisitRecorded(
                stay_id=self.stay_id,
                visit_id=visit_id,
                family_id=self.family_id,
                visited_on=visited_on,
                guest_wellbeing=guest_wellbeing,
                family_wellbeing=family_wellbeing,
                flags=list(flags),
            )
        )
        return visit

    def end(self, on: dt.date, outcome: StayOutcome) -> None:
        """End an active stay with its outcome (once; not before its start or last visit)."""
        if repeats(self, status=StayStatus.ENDED, ended_on=on, outcome=outcome):
            return
        self._check_active()
        _checks.not_before(on, self.started_on, "a stay cannot end before it started")
        _checks.not_before(on, self.last_visit_on, "a stay cannot end before its last visit")
        self.status, self.ended_on, self.outcome = StayStatus.ENDED, on, outcome
        self.events.append(
            StayEnded(stay_id=self.stay_id, family_id=self.family_id, ended_on=on, outcome=outcome)
        )


# --- host families -----------------------------------------------------------------------


@dataclass(eq=False)
class HostFamily:
    """A household offering rooms, with its open matches and active stays (loaded by the
    repository). Its members' identity is not part of the domain: it stays in the
    service's private table and never reaches an event."""

    family_id: UUID
    municipality_code: str
    rooms_offered: int
    household_size: int
    languages: list[str]
    applied_on: dt.date
    vetting: VettingStatus = VettingStatus.APPLIED
    availability: Availability | None = None
    interview_on: dt.date | None = None
    home_visit_on: dt.date | None = None
    approved_on: dt.date | None = None
    rejected_on: dt.date | None = None
    rejection_reason: FamilyRejectionReason | None = None
    paused_on: dt.date | None = None
    withdrawn_on: dt.date | None = None
    open_matches: list[Match] = field(default_factory=list)
    active_stays: list[Stay] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostFamily) and other.family_id == self.family_id

    def __hash__(self) -> int:
        return hash(self.family_id)

    @classmethod
    def apply(
        cls,
        family_id: UUID,
        municipality_code: str,
        rooms_offered: int,
        household_size: int,
        languages: Sequence[str],
        applied_on: dt.date,
    ) -> HostFamily:
        """Record a household's application to host."""
        _checks.municipality_code(municipality_code)
        _checks.range("rooms_offered", rooms_offered, MIN_ROOMS, MAX_ROOMS)
        _checks.range("household_size", household_size, MIN_HOUSEHOLD, MAX_HOUSEHOLD)
        spoken = _check_languages(languages)
        family = cls(
            family_id=family_id,
            municipality_code=municipality_code,
            rooms_offered=rooms_offered,
            household_size=household_size,
            languages=spoken,
            applied_on=applied_on,
        )
        family.events.append(
            FamilyApplied(
                family_id=family_id,
                municipality_code=municipality_code,
                rooms_offered=rooms_offered,
                household_size=household_size,
                languages=spoken,
                applied_on=applied_on,
            )
        )
        return family

    # --- state ---------------------------------------------------------------------------

    @property
    def is_withdrawn(self) -> bool:
        return self.availability is Availability.WITHDRAWN

    @property
    def can_be_matched(self) -> bool:
        """Approved and active (not paused, not withdrawn)."""
        return self.vetting is VettingStatus.APPROVED and self.availability is Availability.ACTIVE

    @property
    def occupied_rooms(self) -> int:
        """Rooms taken: active stays plus accepted matches whose stay has not started."""
        stays = sum(1 for s in self.active_stays if s.is_active)
        held = sum(1 for m in self.open_matches if m.holds_room)
        return stays + held

    @property
    def free_rooms(self) -> int:
        return self.rooms_offered - self.occupied_rooms

    def _check_in_programme(self) -> None:
        if self.is_withdrawn:
            raise InvalidTransition(f"the family withdrew on {self.withdrawn_on}")
        if self.vetting is VettingStatus.REJECTED:
            raise InvalidTransition(f"the family was not approved ({self.rejected_on})")

    def _check_can_be_matched(self) -> None:
        if not self.can_be_matched:
            state = self.availability.value if self.availability else self.vetting.value
            raise FamilyNotAvailable(f"only an approved, active family can be matched ({state})")

    # --- profile and vetting ---------------------------------------------------------------

    def update(
        self,
        *,
        rooms_offered: int | None = None,
        household_size: int | None = None,
        languages: Sequence[str] | None = None,
    ) -> None:
        """Change rooms, household size or languages (``None`` keeps the current value)."""
        self._check_in_programme()
        rooms = self.rooms_offered if rooms_offered is None else rooms_offered
        household = self.household_size if household_size is None else household_size
        spoken = self.languages if languages is None else _check_languages(languages)
        _checks.range("rooms_offered", rooms, MIN_ROOMS, MAX_ROOMS)
        _checks.range("household_size", household, MIN_HOUSEHOLD, MAX_HOUSEHOLD)
        if rooms < self.occupied_rooms:
            raise CapacityExceeded(
                f"{self.occupied_rooms} room(s) are taken by stays or accepted matches: "
                f"the family cannot offer only {rooms}"
            )
        self.rooms_offered, self.household_size, self.languages = rooms, household, list(spoken)
        self.events.append(
            FamilyUpdated(
                family_id=self.family_id,
                rooms_offered=rooms,
                household_size=household,
                languages=list(spoken),
            )
        )

    def assess(self, interview_on: dt.date, home_visit_on: dt.date) -> None:
        """Record the vetting interview and home visit of an applied family."""
        if repeats(
            self,
            vetting=VettingStatus.ASSESSED,
            interview_on=interview_on,
            home_visit_on=home_visit_on,
        ):
            return
        self._check_in_programme()
        if self.vetting is not VettingStatus.APPLIED:
            raise InvalidTransition(f"the family is already {self.vetting.value}")
        _checks.not_before(interview_on, self.applied_on, "the interview is before the application")
        _checks.not_before(
            home_visit_on, self.applied_on, "the home visit is before the application"
        )
        self.vetting = VettingStatus.ASSESSED
        self.interview_on, self.home_visit_on = interview_on, home_visit_on
        self.events.append(
            FamilyAssessed(
                family_id=self.family_id, interview_on=interview_on, home_visit_on=home_visit_on
            )
        )

    def _assessed_on(self) -> dt.date | None:
        dates = [d for d in (self.interview_on, self.home_visit_on) if d is not None]
        return max(dates) if dates else None

    def approve(self, on: dt.date) -> None:
        """Approve an assessed family: it becomes active (available to host)."""
        if self.vetting is VettingStatus.APPROVED and self.approved_on == on:
            return
        self._check_in_programme()
        if self.vetting is not VettingStatus.ASSESSED:
            raise InvalidTransition(
                f"only an assessed family can be approved ({self.vetting.value})"
            )
        _checks.not_before(on, self._assessed_on(), "approval cannot precede the assessment")
        self.vetting, self.approved_on = VettingStatus.APPROVED, on
        self.availability = Availability.ACTIVE
        self.events.append(FamilyApproved(family_id=self.family_id, approved_on=on))

    def reject(self, on: dt.date, reason: FamilyRejectionReason) -> None:
        """Close an application (applied or assessed) without approval."""
        if repeats(self, vetting=VettingStatus.REJECTED, rejected_on=on, rejection_reason=reason):
            return
        self._check_in_programme()
        if self.vetting not in (VettingStatus.APPLIED, VettingStatus.ASSESSED):
            raise InvalidTransition(f"the family is already {self.vetting.value}")
        _checks.not_before(on, self.applied_on, "a rejection cannot precede the application")
        _checks.not_before(on, self._assessed_on(), "a rejection cannot precede the assessment")
        self.vetting, self.rejected_on, self.rejection_reason = VettingStatus.REJECTED, on, reason
        self.events.append(FamilyRejected(family_id=self.family_id, rejected_on=on, reason=reason))

    # --- availability --------------------------------------------------------------------

    def pause(self, on: dt.date) -> None:
        """Stop new matches for a while (current guests stay)."""
        if self.availability is Availability.PAUSED and self.paused_on == on:
            return
        if self.availability is not Availability.ACTIVE:
            state = self.availability.value if self.availability else self.vetting.value
            raise InvalidTransition(f"only an approved, active family can pause ({state})")
        _checks.not_before(on, self.approved_on, "a family cannot pause before its approval")
        self.availability, self.paused_on = Availability.PAUSED, on
        self.events.append(FamilyPaused(family_id=self.family_id, paused_on=on))

    def resume(self, on: dt.date) -> None:
        """Make a paused family active again."""
        if self.availability is not Availability.PAUSED:
            raise InvalidTransition("only a paused family can resume")
        _checks.not_before(on, self.paused_on, "a family cannot resume before it paused")
        self.availability, self.paused_on = Availability.ACTIVE, None
        self.events.append(FamilyResumed(family_id=self.family_id, resumed_on=on))

    def withdraw(self, on: dt.date) -> None:
        """The family leaves (or withdraws its application); final.

        Refused while it hosts a guest or has an open match: end or close those first.
        """
        if self.is_withdrawn and self.withdrawn_on == on:
            return
        self._check_in_programme()
        stays = sum(1 for s in self.active_stays if s.is_active)
        matches = sum(1 for m in self.open_matches if m.is_open)
        if stays or matches:
            raise InvalidTransition(
                f"the family has {stays} active stay(s) and {matches} open match(es): "
                "close them before it withdraws"
            )
        for earlier in (self.applied_on, self.approved_on, self.paused_on):
            _checks.not_before(on, earlier, "a family cannot withdraw before its last change")
        self.availability, self.withdrawn_on = Availability.WITHDRAWN, on
        self.events.append(FamilyWithdrawn(family_id=self.family_id, withdrawn_on=on))

    # --- matches and stays -----------------------------------------------------------------

    def propose_match(
        self,
        match_id: UUID,
        person_ref: str,
        proposed_on: dt.date,
        request: FamilyRequest | None = None,
    ) -> Match:
        """Propose this family to host a person; a given ``request`` must be the same
        person's open hosting request. Refused when no room is free."""
        _checks.person_ref(person_ref)
        self._check_can_be_matched()
        _checks.not_before(proposed_on, self.approved_on, "a match cannot precede the approval")
        if self.free_rooms < 1:
            raise CapacityExceeded(
                f"all {self.rooms_offered} room(s) of the family are taken or promised"
            )
        if any(m.is_open and m.person_ref == person_ref for m in self.open_matches):
            raise InvalidTransition("this person already has an open match with this family")
        if request is not None:
            self._check_request(request, person_ref, proposed_on)
        match = Match(
            match_id=match_id,
            family_id=self.family_id,
            person_ref=person_ref,
            proposed_on=proposed_on,
            request_id=None if request is None else request.request_id,
        )
        match.events.append(
            MatchProposed(
                match_id=match_id,
                family_id=self.family_id,
                request_id=match.request_id,
                person_ref=person_ref,
                proposed_on=proposed_on,
            )
        )
        self.open_matches.append(match)
        return match

    @staticmethod
    def _check_request(request: FamilyRequest, person_ref: str, on: dt.date) -> None:
        if request.person_ref != person_ref:
            raise InvalidValue("the request belongs to another person")
        if not request.is_hosting:
            raise InvalidValue("only a hosting request leads to a match with a family")
        if not request.is_open:
            raise InvalidTransition(f"the request is already closed ({request.status.value})")
        _checks.not_before(on, request.submitted_on, "a match cannot precede the request")

    def _check_own(self, match: Match) -> None:
        if match.family_id != self.family_id:
            raise InvalidValue("the match is with another family")

    def accept_match(
        self, match: Match, on: dt.date, person_accepted_matches: Sequence[Match] = ()
    ) -> None:
        """Accept a proposed match: it takes one of the family's rooms until its stay
        starts. ``person_accepted_matches`` are the person's accepted matches (any family)
        the repository found: one waiting match per person."""
        self._check_own(match)
        if match.status is MatchStatus.ACCEPTED and match.accepted_on == on:
            return
        if match.status is not MatchStatus.PROPOSED:
            raise InvalidTransition(f"only a proposed match can be accepted ({match.status.value})")
        self._check_can_be_matched()
        _checks.not_before(on, match.proposed_on, "a match cannot be accepted before its proposal")
        if self.free_rooms < 1:
            raise CapacityExceeded(
                f"all {self.rooms_offered} room(s) of the family are taken or promised"
            )
        waiting = [*person_accepted_matches, *self.open_matches]
        if any(m.holds_room and m.person_ref == match.person_ref and m != match for m in waiting):
            raise PersonAlreadyHosted("the person already has an accepted match waiting to start")
        match.status, match.accepted_on = MatchStatus.ACCEPTED, on
        match.events.append(
            MatchAccepted(match_id=match.match_id, family_id=self.family_id, accepted_on=on)
        )
        if match not in self.open_matches:
            self.open_matches.append(match)

    def start_stay(
        self,
        match: Match,
        stay_id: UUID,
        started_on: dt.date,
        planned_months: int,
        monthly_contribution_eur: int,
        sex: Sex,
        age_band: AgeBand,
        protection_status: ProtectionStatus,
        planned_end_on: dt.date | None = None,
        request: FamilyRequest | None = None,
        person_active_stays: Sequence[Stay] = (),
    ) -> Stay:
        """Start a stay from an accepted match of this family; the room the match held
        passes to the stay. The match's request (when it has one) is satisfied."""
        self._check_own(match)
        if match.status is not MatchStatus.ACCEPTED:
            raise InvalidTransition(
                f"a stay starts from an accepted match (this one is {match.status.value})"
            )
        self._check_in_programme()
        _checks.not_before(started_on, match.accepted_on, "a stay cannot precede the acceptance")
        _checks.range("planned_months", planned_months, MIN_PLANNED_MONTHS, MAX_PLANNED_MONTHS)
        _checks.range(
            "monthly_contribution_eur",
            monthly_contribution_eur,
            MIN_CONTRIBUTION_EUR,
            MAX_CONTRIBUTION_EUR,
        )
        end = planned_end_on or add_months(started_on, planned_months)
        _checks.not_before(end, started_on, "the planned end cannot be before the start")
        candidates = [*person_active_stays, *self.active_stays]
        if any(s.is_active and s.person_ref == match.person_ref for s in candidates):
            raise PersonAlreadyHosted("the person already has an active hosting stay")
        if (request is None) != (match.request_id is None) or (
            request is not None and request.request_id != match.request_id
        ):
            raise InvalidValue("give the match's own request (and only that one)")
        if request is not None:
            request.check_can_close(started_on)

        stay = Stay(
            stay_id=stay_id,
            match_id=match.match_id,
            family_id=self.family_id,
            person_ref=match.person_ref,
            started_on=started_on,
            planned_months=planned_months,
            planned_end_on=end,
            monthly_contribution_eur=monthly_contribution_eur,
            sex=sex,
            age_band=age_band,
            protection_status=protection_status,
            request_id=match.request_id,
        )
        stay.events.append(
            StayStarted(
                stay_id=stay_id,
                match_id=match.match_id,
                family_id=self.family_id,
                request_id=match.request_id,
                person_ref=match.person_ref,
                started_on=started_on,
                planned_months=planned_months,
                planned_end_on=end,
                monthly_contribution_eur=monthly_contribution_eur,
                sex=sex,
                age_band=age_band,
                protection_status=protection_status,
            )
        )
        if request is not None:
            request.satisfy(started_on, stay_id)
        match.status, match.stay_id = MatchStatus.STARTED, stay_id
        self.active_stays.append(stay)
        return stay
