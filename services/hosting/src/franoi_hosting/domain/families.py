"""Host families: households offering rooms, vetted, then matched with guests and hosting
them (their rooms are the capacity rule's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from franoi_common.domain import Aggregate, Fields, creates, repeats
from franoi_common.periods import Held, Spanned, busiest_day, check_one_at_a_time
from franoi_contracts import hosting as contract
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.hosting import (
    ContributionEur,
    FamilyRejectionReason,
    HouseholdSize,
    PlannedMonths,
    Rooms,
    StayOutcome,
)

from franoi_hosting.domain.model import (
    Availability,
    CapacityExceeded,
    FamilyNotAvailable,
    FamilyRequest,
    InvalidTransition,
    InvalidValue,
    Match,
    MatchStatus,
    PersonAlreadyHosted,
    Stay,
    VettingStatus,
    add_months,
    check_languages,
    checks,
)


@dataclass(frozen=True)
class PrivateDetails:
    """Who the family is and how to reach it: personal data of private persons, kept in
    the service's private table and shown on the family's own pages, never in an event, a
    log line or a list."""

    members: list[dict[str, Any]] = field(default_factory=list)
    address: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(eq=False)
class HostFamily(Aggregate):
    """A household offering rooms, with its open matches and active stays (loaded by the
    repository). Its members' identity is not part of the rules: it travels beside them
    (:attr:`private`, stored in the service's private table) and never reaches an event."""

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
    private: PrivateDetails | None = field(default=None, repr=False)

    @classmethod
    @creates(contract.FamilyApplied)
    def apply(
        cls,
        family_id: UUID,
        municipality_code: str,
        rooms_offered: int,
        household_size: int,
        languages: Sequence[str],
        applied_on: dt.date,
        private: PrivateDetails | None = None,
    ) -> Fields:
        """Record a household's application to host, with who it is and how to reach it
        (``private``: kept in this service, never in its event)."""
        checks.municipality_code(municipality_code)
        checks.within("rooms_offered", rooms_offered, Rooms)
        checks.within("household_size", household_size, HouseholdSize)
        return {"languages": check_languages(languages)}

    # --- state ---------------------------------------------------------------------------

    @property
    def is_withdrawn(self) -> bool:
        return self.availability is Availability.WITHDRAWN

    @property
    def can_be_matched(self) -> bool:
        """Approved and active (not paused, not withdrawn) as it now is."""
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

    def _holding(self, stays: Sequence[Stay], but: Match | None) -> list[Spanned]:
        """What takes the family's rooms on the dates they concern: ``stays`` (those the
        repository found for the days in question) and its active ones, each on its days,
        and its accepted matches waiting for their stay (but ``but``), each from its
        acceptance on."""
        by_id = {s.stay_id: s for s in [*self.active_stays, *stays]}
        waiting = [
            Held(m.accepted_on, m.described())
            for m in self.open_matches
            if m.holds_room and m.accepted_on is not None and m != but
        ]
        return [*by_id.values(), *waiting]

    def _check_a_room(
        self,
        stays: Sequence[Stay],
        started_on: dt.date,
        ended_on: dt.date | None,
        but: Match | None = None,
    ) -> None:
        """Refuse a stay when no room is free on one of its days, from ``started_on`` to
        ``ended_on`` (excluded; None: open), naming what takes the rooms then."""
        self._refuse_if_full(*busiest_day(self._holding(stays, but), started_on, ended_on))

    def _check_a_room_on(self, stays: Sequence[Stay], on: dt.date, but: Match | None) -> None:
        """Refuse a match (proposed or accepted) on ``on`` when no room is free that day:
        taken by the stays covering it and by the matches waiting then (accepted on or
        before it, their stay not started: each holds a room until its stay starts)."""
        holding = self._holding(stays, but)
        covering = [h for h in holding if h.overlaps(on, _next(on))]
        self._refuse_if_full(len(covering), on, covering)

    def _check_rooms_every_day(self, stays: Sequence[Stay], rooms: int) -> None:
        holding = self._holding(stays, None)
        if not holding:
            return
        taken, day, covering = busiest_day(holding, min(h.started_on for h in holding), None)
        if rooms < taken:
            by = ", ".join(f"the {c.described()}" for c in covering)
            raise CapacityExceeded(
                f"{taken} room(s) of the family are taken or promised on {day}: by {by}; "
                f"it cannot offer only {rooms}"
            )

    def _refuse_if_full(self, taken: int, day: dt.date, covering: Sequence[Spanned]) -> None:
        if taken < self.rooms_offered:
            return
        by = ", ".join(f"the {c.described()}" for c in covering)
        raise CapacityExceeded(
            f"all {self.rooms_offered} room(s) of the family are taken or promised on {day}: "
            f"by {by}"
        )

    def _check_in_programme(self) -> None:
        checks.allowed(not self.is_withdrawn, f"the family withdrew on {self.withdrawn_on}")
        checks.allowed(
            self.vetting is not VettingStatus.REJECTED,
            f"the family was not approved ({self.rejected_on})",
        )

    def _check_available_on(self, day: dt.date) -> None:
        """Refuse a match (proposed or accepted) on ``day`` unless the family was approved
        by then and was neither withdrawn nor paused that day: judged on the match's day,
        so a match of the past is recorded even after the family withdrew or paused."""
        if self.vetting is not VettingStatus.APPROVED:
            raise FamilyNotAvailable(
                f"only an approved family can be matched ({self.vetting.value})"
            )
        checks.not_before(
            day,
            self.approved_on,
            f"a match cannot precede the family's approval on {self.approved_on}",
        )
        if self.withdrawn_on is not None and day >= self.withdrawn_on:
            raise FamilyNotAvailable(
                f"the family withdrew on {self.withdrawn_on}: it cannot be matched on {day}"
            )
        if self.availability is Availability.PAUSED and self.paused_on is not None:
            if day >= self.paused_on:
                raise FamilyNotAvailable(
                    f"the family paused on {self.paused_on}: it cannot be matched on {day}"
                )

    # --- profile and vetting ---------------------------------------------------------------

    def update(
        self,
        *,
        rooms_offered: int | None = None,
        household_size: int | None = None,
        languages: Sequence[str] | None = None,
        family_stays: Sequence[Stay] = (),
    ) -> None:
        """Change rooms, household size or languages (``None`` keeps the current value).

        The rooms offered have no date of their own: they hold on every day of the
        family's history, so fewer rooms are refused when, on some day, the family's stays
        (``family_stays``: all those the repository found) and its waiting matches took
        more, whenever that day is."""
        self._check_in_programme()
        rooms = self.rooms_offered if rooms_offered is None else rooms_offered
        household = self.household_size if household_size is None else household_size
        spoken = self.languages if languages is None else check_languages(languages)
        checks.within("rooms_offered", rooms, Rooms)
        checks.within("household_size", household, HouseholdSize)
        self._check_rooms_every_day(family_stays, rooms)
        self.rooms_offered, self.household_size, self.languages = rooms, household, list(spoken)
        self.record_event(contract.FamilyUpdated)

    def assess(self, interview_on: dt.date, home_visit_on: dt.date) -> None:
        """Record the vetting interview and home visit of an applied family; the same
        assessment again (the family assessed, approved or rejected since) changes nothing."""
        if self.vetting is not VettingStatus.APPLIED and repeats(
            self, interview_on=interview_on, home_visit_on=home_visit_on
        ):
            return
        self._check_in_programme()
        checks.allowed(
            self.vetting is VettingStatus.APPLIED, f"the family is already {self.vetting.value}"
        )
        checks.not_before(interview_on, self.applied_on, "the interview is before the application")
        checks.not_before(
            home_visit_on, self.applied_on, "the home visit is before the application"
        )
        self.vetting = VettingStatus.ASSESSED
        self.interview_on, self.home_visit_on = interview_on, home_visit_on
        self.record_event(contract.FamilyAssessed)

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
        checks.not_before(on, self._assessed_on(), "approval cannot precede the assessment")
        self.vetting, self.approved_on = VettingStatus.APPROVED, on
        self.availability = Availability.ACTIVE
        self.record_event(contract.FamilyApproved)

    def reject(self, on: dt.date, reason: FamilyRejectionReason) -> None:
        """Close an application (applied or assessed) without approval."""
        if repeats(self, vetting=VettingStatus.REJECTED, rejected_on=on, rejection_reason=reason):
            return
        self._check_in_programme()
        checks.allowed(
            self.vetting in (VettingStatus.APPLIED, VettingStatus.ASSESSED),
            f"the family is already {self.vetting.value}",
        )
        checks.not_before(on, self.applied_on, "a rejection cannot precede the application")
        checks.not_before(on, self._assessed_on(), "a rejection cannot precede the assessment")
        self.vetting, self.rejected_on, self.rejection_reason = VettingStatus.REJECTED, on, reason
        self.record_event(contract.FamilyRejected, reason=reason)

    # --- availability --------------------------------------------------------------------

    def pause(self, on: dt.date) -> None:
        """Stop new matches for a while (current guests stay)."""
        if self.availability is Availability.PAUSED and self.paused_on == on:
            return
        if self.availability is not Availability.ACTIVE:
            state = self.availability.value if self.availability else self.vetting.value
            raise InvalidTransition(f"only an approved, active family can pause ({state})")
        checks.not_before(on, self.approved_on, "a family cannot pause before its approval")
        self.availability, self.paused_on = Availability.PAUSED, on
        self.record_event(contract.FamilyPaused)

    def resume(self, on: dt.date) -> None:
        """Make a paused family active again."""
        checks.allowed(self.availability is Availability.PAUSED, "only a paused family can resume")
        checks.not_before(on, self.paused_on, "a family cannot resume before it paused")
        self.availability, self.paused_on = Availability.ACTIVE, None
        self.record_event(contract.FamilyResumed, resumed_on=on)

    def withdraw(self, on: dt.date, family_stays: Sequence[Stay] = ()) -> None:
        """The family leaves (or withdraws its application) on ``on``; final.

        Refused while a stay of the family covers that day or a later one
        (``family_stays``: those the repository found from ``on`` on), or a match of the
        family is still open (no end: it would run past the withdrawal): end or close them
        first. A stay that ended by ``on`` does not stand in the way, whenever recorded.
        """
        if self.is_withdrawn and self.withdrawn_on == on:
            return
        self._check_in_programme()
        for earlier in (self.applied_on, self.approved_on, self.paused_on):
            checks.not_before(on, earlier, "a family cannot withdraw before its last change")
        by_id = {s.stay_id: s for s in [*self.active_stays, *family_stays]}
        staying = sorted(
            (s for s in by_id.values() if s.overlaps(on, None)), key=lambda s: s.started_on
        )
        waiting = [m for m in self.open_matches if m.is_open]
        if staying or waiting:
            named = [f"the {s.described()}" for s in staying] + [
                f"the {m.described()}" for m in waiting
            ]
            raise InvalidTransition(
                f"the family cannot withdraw on {on}: it still has {', '.join(named)}; "
                "end or close them first"
            )
        self.availability, self.withdrawn_on = Availability.WITHDRAWN, on
        self.record_event(contract.FamilyWithdrawn)

    # --- matches and stays -----------------------------------------------------------------

    def propose_match(
        self,
        match_id: UUID,
        person_ref: str,
        proposed_on: dt.date,
        request: FamilyRequest | None = None,
        family_stays: Sequence[Stay] = (),
    ) -> Match:
        """Propose this family to host a person; a given ``request`` must be the same
        person's open hosting request. Refused when no room is free on the day of the
        proposal (``family_stays``: the family's stays the repository found on that day).
        The family is judged as it was that day: approved by then, neither paused nor
        withdrawn."""
        checks.person_ref(person_ref)
        self._check_available_on(proposed_on)
        self._check_a_room_on(family_stays, proposed_on, None)
        checks.allowed(
            not (any(m.is_open and m.person_ref == person_ref for m in self.open_matches)),
            "this person already has an open match with this family",
        )
        if request is not None:
            self._check_request(request, person_ref, proposed_on)
        request_id = None if request is None else request.request_id
        match = Match(match_id, self.family_id, person_ref, proposed_on, request_id)
        match.record_event(contract.MatchProposed)
        self.open_matches.append(match)
        return match

    @staticmethod
    def _check_request(request: FamilyRequest, person_ref: str, on: dt.date) -> None:
        if request.person_ref != person_ref:
            raise InvalidValue("the request belongs to another person")
        if not request.is_hosting:
            raise InvalidValue("only a hosting request leads to a match with a family")
        closed = request.closed_on
        checks.allowed(  # judged on the match's day: a request closed since was open then
            request.is_open or (closed is not None and on < closed),
            f"the request was closed on {closed} ({request.status.value})",
        )
        checks.not_before(on, request.submitted_on, "a match cannot precede the request")

    def _check_own(self, match: Match) -> None:
        if match.family_id != self.family_id:
            raise InvalidValue("the match is with another family")

    def accept_match(
        self,
        match: Match,
        on: dt.date,
        person_accepted_matches: Sequence[Match] = (),
        family_stays: Sequence[Stay] = (),
    ) -> None:
        """Accept a proposed match: it takes one of the family's rooms from ``on`` until its
        stay starts, so a room must be free on that day (``family_stays``: the family's
        stays the repository found on that day; the accepted matches waiting hold theirs
        until their stays start). ``person_accepted_matches`` are the person's accepted
        matches (any family) the repository found: one waiting match per person."""
        self._check_own(match)
        if match.accepted_on == on:  # the same acceptance again (its stay may have started)
            return
        checks.allowed(
            match.status is MatchStatus.PROPOSED,
            f"only a proposed match can be accepted ({match.status.value})",
        )
        checks.not_before(on, match.proposed_on, "a match cannot be accepted before its proposal")
        self._check_available_on(on)
        self._check_a_room_on(family_stays, on, match)
        waiting = [*person_accepted_matches, *self.open_matches]
        if any(m.holds_room and m.person_ref == match.person_ref and m != match for m in waiting):
            raise PersonAlreadyHosted("the person already has an accepted match waiting to start")
        match.status, match.accepted_on = MatchStatus.ACCEPTED, on
        match.record_event(contract.MatchAccepted)
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
        person_stays: Sequence[Stay] = (),
        family_stays: Sequence[Stay] = (),
        ended_on: dt.date | None = None,
        outcome: StayOutcome | None = None,
    ) -> Stay:
        """Start a stay from an accepted match of this family; the room the match held
        passes to the stay. The match's request (when it has one) is satisfied. A stay of
        the past is recorded at once with its ``ended_on`` and ``outcome``: it is ended
        right away (the same events as a start and an end).

        ``person_stays`` and ``family_stays`` are the person's and the family's stays the
        repository found sharing a day with the new one: one stay at a time per person, and
        on each of its days a room free of the family's other stays and waiting matches.
        A family that withdrew takes only a stay of the past that ended by its withdrawal
        (a paused one still welcomes the guest of a match accepted before the pause)."""
        self._check_own(match)
        if match.status is not MatchStatus.ACCEPTED:
            raise InvalidTransition(
                f"a stay starts from an accepted match (this one is {match.status.value})"
            )
        checks.allowed(
            self.withdrawn_on is None or (ended_on is not None and ended_on <= self.withdrawn_on),
            f"the family withdrew on {self.withdrawn_on}: only a stay that ended by then "
            "can be recorded",
        )
        checks.not_before(started_on, match.accepted_on, "a stay cannot precede the acceptance")
        checks.within("planned_months", planned_months, PlannedMonths)
        checks.within("monthly_contribution_eur", monthly_contribution_eur, ContributionEur)
        end = planned_end_on or add_months(started_on, planned_months)
        checks.not_before(end, started_on, "the planned end cannot be before the start")
        if (ended_on is None) != (outcome is None):
            raise InvalidValue("a stay recorded with its end needs its outcome too")
        if ended_on is not None:
            checks.not_before(ended_on, started_on, "a hosting stay cannot end before it started")
        check_one_at_a_time(
            [s for s in [*person_stays, *self.active_stays] if s.person_ref == match.person_ref],
            started_on,
            ended_on,
            PersonAlreadyHosted,
        )
        self._check_a_room(family_stays, started_on, ended_on, but=match)
        if (request is None) != (match.request_id is None) or (
            request is not None and request.request_id != match.request_id
        ):
            raise InvalidValue("give the match's own request (and only that one)")
        if request is not None:
            request.check_can_close(started_on)

        stay = Stay(
            stay_id,
            match.match_id,
            self.family_id,
            match.person_ref,
            started_on,
            planned_months,
            end,
            monthly_contribution_eur,
            sex,
            age_band,
            protection_status,
            request_id=match.request_id,
        )
        stay.record_event(contract.StayStarted)
        if ended_on is not None and outcome is not None:
            stay.end(ended_on, outcome)
        if request is not None:
            request.satisfy(started_on, stay_id)
        match.status, match.stay_id = MatchStatus.STARTED, stay_id
        if stay.is_active:
            self.active_stays.append(stay)
        return stay


def _next(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)
