"""Family-hosting aggregates: invariants, transitions and recorded events (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_common.testing import AMINA, BOBO, CHIDI, days
from franoi_contracts import hosting as ev
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_hosting.domain.families import HostFamily
from franoi_hosting.domain.model import (
    Availability,
    CapacityExceeded,
    FamilyNotAvailable,
    FamilyRequest,
    HostingError,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    Match,
    MatchStatus,
    PersonAlreadyHosted,
    RequestStatus,
    Stay,
    StayStatus,
    VettingStatus,
    add_months,
)

D0, D1, D2, D3, D4 = days("2025-03-01", "2025-03-10", "2025-03-20", "2025-04-01", "2025-06-30")
PERSON: dict[str, Any] = {
    "sex": Sex.FEMALE,
    "age_band": AgeBand.AGE_25_34,
    "protection_status": ProtectionStatus.REFUGEE,
}


def applied(rooms: int = 2, **kwargs: Any) -> HostFamily:
    args: dict[str, Any] = {
        "family_id": uuid4(),
        "municipality_code": "F205",
        "rooms_offered": rooms,
        "household_size": 4,
        "languages": ["it", "en"],
        "applied_on": D0,
    }
    args.update(kwargs)
    family = HostFamily.apply(**args)
    family.events.clear()
    return family


def approved(rooms: int = 2) -> HostFamily:
    family = applied(rooms)
    family.assess(D0, D1)
    family.approve(D1)
    family.events.clear()
    return family


def hosting_request(person: str = AMINA, kind: ev.FamilyRequestKind = ev.FamilyRequestKind.HOSTING):
    request = FamilyRequest.submit(uuid4(), person, kind, 1, D0, **PERSON)
    request.events.clear()
    return request


def accepted(family: HostFamily, person: str = AMINA, request: FamilyRequest | None = None):
    match = family.propose_match(uuid4(), person, D1, request)
    family.accept_match(match, D2)
    match.events.clear()
    return match


def started(family: HostFamily, person: str = AMINA) -> Stay:
    match = accepted(family, person)
    stay = family.start_stay(match, uuid4(), D3, 6, 300, **PERSON)
    stay.events.clear()
    return stay


# --- families: application and vetting ------------------------------------------------------


def test_apply_records_coarse_attributes_only() -> None:
    family = HostFamily.apply(uuid4(), "L219", 2, 3, ["it", "ar"], D0)
    assert family.vetting is VettingStatus.APPLIED and family.availability is None
    [event] = family.events
    assert isinstance(event, ev.FamilyApplied)
    assert event.data() == {
        "family_id": str(family.family_id),
        "municipality_code": "L219",
        "rooms_offered": 2,
        "household_size": 3,
        "languages": ["it", "ar"],
        "applied_on": "2025-03-01",
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"municipality_code": "Via Roma 1"},
        {"rooms_offered": 0},
        {"rooms_offered": 11},
        {"household_size": 0},
        {"household_size": 21},
        {"languages": []},
        {"languages": ["Italiano"]},
        {"languages": ["it", "it"]},
        {"languages": [f"l{chr(97 + i)}" for i in range(13)]},
        {"rooms_offered": True},
    ],
)
def test_apply_refuses_bad_values(changes: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "family_id": uuid4(), "municipality_code": "F205", "rooms_offered": 2,
        "household_size": 4, "languages": ["it"], "applied_on": D0,
    }  # fmt: skip
    with pytest.raises(InvalidValue):
        HostFamily.apply(**{**args, **changes})


def test_vetting_path_applied_assessed_approved() -> None:
    family = applied()
    family.assess(interview_on=D1, home_visit_on=D2)
    assert family.vetting is VettingStatus.ASSESSED
    assert not family.can_be_matched
    family.approve(D2)
    assert family.vetting is VettingStatus.APPROVED
    assert family.availability is Availability.ACTIVE and family.can_be_matched
    assert [type(e) for e in family.events] == [ev.FamilyAssessed, ev.FamilyApproved]
    assert family.events[0].data()["home_visit_on"] == "2025-03-20"


def test_approval_needs_an_assessment_and_follows_it() -> None:
    family = applied()
    with pytest.raises(InvalidTransition):
        family.approve(D1)
    family.assess(D1, D2)
    with pytest.raises(InvalidDates):
        family.approve(D1)  # before the home visit
    assert family.vetting is VettingStatus.ASSESSED
    with pytest.raises(InvalidTransition):
        family.assess(D1, D3)  # again, with other dates


def test_assessment_cannot_precede_the_application() -> None:
    family = applied()
    with pytest.raises(InvalidDates):
        family.assess(dt.date(2025, 2, 1), D1)
    with pytest.raises(InvalidDates):
        family.assess(D1, dt.date(2025, 2, 1))
    assert family.vetting is VettingStatus.APPLIED and family.events == []


def test_reject_from_applied_or_assessed_is_final() -> None:
    family = applied()
    family.reject(D1, ev.FamilyRejectionReason.HOME_UNSUITABLE)
    assert family.vetting is VettingStatus.REJECTED
    assert isinstance(family.events[-1], ev.FamilyRejected)
    for action in (
        lambda: family.assess(D1, D1),
        lambda: family.approve(D2),
        lambda: family.reject(D2, ev.FamilyRejectionReason.OTHER),
        lambda: family.update(rooms_offered=1),
        lambda: family.withdraw(D2),
        lambda: family.pause(D2),
    ):
        with pytest.raises(InvalidTransition):
            action()
    assessed = applied()
    assessed.assess(D1, D2)
    with pytest.raises(InvalidDates):
        assessed.reject(D1, ev.FamilyRejectionReason.OTHER)
    assessed.reject(D2, ev.FamilyRejectionReason.MOTIVATION_UNSUITABLE)
    assert assessed.rejection_reason is ev.FamilyRejectionReason.MOTIVATION_UNSUITABLE
    approved_family = approved()
    with pytest.raises(InvalidTransition):
        approved_family.reject(D3, ev.FamilyRejectionReason.OTHER)


# --- families: availability and profile ------------------------------------------------------


def test_pause_resume_withdraw() -> None:
    family = approved()
    family.pause(D2)
    assert family.availability is Availability.PAUSED and not family.can_be_matched
    with pytest.raises(InvalidTransition):
        family.pause(D3)
    with pytest.raises(InvalidDates):
        family.resume(D1)
    family.resume(D3)
    assert family.can_be_matched
    with pytest.raises(InvalidTransition):
        family.resume(D3)
    family.withdraw(D4)
    assert family.is_withdrawn and not family.can_be_matched
    assert [type(e) for e in family.events] == [
        ev.FamilyPaused, ev.FamilyResumed, ev.FamilyWithdrawn,
    ]  # fmt: skip
    with pytest.raises(InvalidTransition):
        family.withdraw(D4 + dt.timedelta(days=1))
    with pytest.raises(InvalidTransition):
        family.resume(D4)


def test_only_an_approved_family_pauses() -> None:
    family = applied()
    with pytest.raises(InvalidTransition):
        family.pause(D1)
    family.withdraw(D1)  # an applicant can withdraw its application
    assert family.is_withdrawn and family.vetting is VettingStatus.APPLIED


def test_withdraw_refused_while_hosting_or_with_open_matches() -> None:
    family = approved(rooms=2)
    stay = started(family, AMINA)
    match = family.propose_match(uuid4(), BOBO, D2)
    with pytest.raises(InvalidTransition, match=f"active stay {stay.stay_id} from {D3}"):
        family.withdraw(D4)
    stay.end(D4, ev.StayOutcome.COMPLETED_WITH_AUTONOMY)  # the day it ended is free
    with pytest.raises(InvalidTransition, match=f"proposed match {match.match_id} from {D2}"):
        family.withdraw(D4)
    match.decline(D3, ev.DecidedBy.GUEST)
    family.withdraw(D4)
    assert family.is_withdrawn


def test_update_changes_profile_but_not_below_rooms_taken() -> None:
    family = approved(rooms=3)
    started(family, AMINA)
    accepted(family, BOBO)
    assert family.occupied_rooms == 2
    with pytest.raises(CapacityExceeded):
        family.update(rooms_offered=1)
    assert family.rooms_offered == 3 and family.events == []
    family.update(rooms_offered=2, languages=["it", "fr"])
    assert (family.rooms_offered, family.household_size) == (2, 4)
    [event] = family.events
    assert isinstance(event, ev.FamilyUpdated)
    assert event.languages == ["it", "fr"] and event.rooms_offered == 2
    with pytest.raises(InvalidValue):
        family.update(household_size=0)
    with pytest.raises(InvalidValue):
        family.update(languages=["IT"])


# --- matches: only approved, active families ---------------------------------------------


@pytest.mark.parametrize("state", ["applied", "assessed", "rejected", "paused", "withdrawn"])
def test_only_approved_active_families_can_be_matched(state: str) -> None:
    family = applied()
    if state != "applied":
        family.assess(D0, D1)
    if state == "rejected":
        family.reject(D1, ev.FamilyRejectionReason.OTHER)
    if state in ("paused", "withdrawn"):
        family.approve(D1)
        if state == "paused":
            family.pause(D1)
        else:
            family.withdraw(D1)
    family.events.clear()
    with pytest.raises(FamilyNotAvailable):
        family.propose_match(uuid4(), AMINA, D2)
    assert family.open_matches == [] and family.events == []


def test_accepting_needs_the_family_still_active() -> None:
    family = approved()
    match = family.propose_match(uuid4(), AMINA, D2)
    family.pause(D2)
    with pytest.raises(FamilyNotAvailable):
        family.accept_match(match, D2)
    assert match.status is MatchStatus.PROPOSED
    family.resume(D3)
    family.accept_match(match, D3)
    assert match.status is MatchStatus.ACCEPTED


def test_propose_and_accept_record_events() -> None:
    family = approved()
    request = hosting_request(AMINA)
    match = family.propose_match(uuid4(), AMINA, D1, request)
    [proposed] = match.events
    assert isinstance(proposed, ev.MatchProposed)
    assert proposed.request_id == request.request_id and proposed.person_ref == AMINA
    family.accept_match(match, D2)
    assert match.status is MatchStatus.ACCEPTED and match.accepted_on == D2
    assert isinstance(match.events[-1], ev.MatchAccepted)
    assert family.events == []  # the family's own history is unchanged
    assert request.is_open  # a match does not satisfy the request; the stay will


def test_match_dates_and_request_checks() -> None:
    family = approved()
    with pytest.raises(InvalidDates):
        family.propose_match(uuid4(), AMINA, D0)  # before approval
    with pytest.raises(InvalidValue):
        family.propose_match(uuid4(), BOBO, D2, hosting_request(AMINA))
    with pytest.raises(InvalidValue):
        family.propose_match(
            uuid4(), AMINA, D2, hosting_request(AMINA, ev.FamilyRequestKind.CHILDCARE)
        )
    closed = hosting_request(AMINA)
    closed.withdraw(D1)
    with pytest.raises(InvalidTransition):
        family.propose_match(uuid4(), AMINA, D2, closed)
    with pytest.raises(InvalidValue):
        family.propose_match(uuid4(), "not-a-ref", D2)
    match = family.propose_match(uuid4(), AMINA, D2)
    with pytest.raises(InvalidTransition):
        family.propose_match(uuid4(), AMINA, D2)  # already an open match with this family
    with pytest.raises(InvalidDates):
        family.accept_match(match, D1)
    other = approved()
    with pytest.raises(InvalidValue):
        other.accept_match(match, D2)
    assert len(family.open_matches) == 1


def test_decline_and_cancel() -> None:
    family = approved(rooms=1)
    first = family.propose_match(uuid4(), AMINA, D1)
    with pytest.raises(InvalidTransition):
        first.cancel(D2, ev.DecidedBy.FAMILY)  # not accepted yet
    with pytest.raises(InvalidDates):
        first.decline(D0, ev.DecidedBy.GUEST)
    first.decline(D2, ev.DecidedBy.GUEST)
    assert (first.status, first.declined_by) == (MatchStatus.DECLINED, ev.DecidedBy.GUEST)
    with pytest.raises(InvalidTransition):
        first.decline(D2, ev.DecidedBy.FAMILY)
    with pytest.raises(InvalidTransition):
        family.accept_match(first, D2)
    second = accepted(family, BOBO)
    assert family.free_rooms == 0
    second.cancel(D3, ev.DecidedBy.FAMILY)
    assert second.status is MatchStatus.CANCELLED and family.free_rooms == 1
    [event] = second.events
    assert isinstance(event, ev.MatchCancelled) and event.cancelled_by is ev.DecidedBy.FAMILY


# --- capacity --------------------------------------------------------------------------------


def test_accepted_matches_and_active_stays_fill_the_rooms() -> None:
    family = approved(rooms=2)
    started(family, AMINA)
    assert (family.occupied_rooms, family.free_rooms) == (1, 1)
    pending = accepted(family, BOBO)
    assert family.free_rooms == 0
    with pytest.raises(CapacityExceeded):  # on the day the stay started (not before it)
        family.propose_match(uuid4(), CHIDI, D3)
    # the accepted match's stay takes the room the match held: still full, not over
    family.start_stay(pending, uuid4(), D3, 3, 250, **PERSON)
    assert (family.occupied_rooms, family.free_rooms) == (2, 0)


def test_two_proposals_for_the_last_room_only_one_acceptance() -> None:
    family = approved(rooms=1)
    first = family.propose_match(uuid4(), AMINA, D1)
    second = family.propose_match(uuid4(), BOBO, D1)  # a proposal holds no room
    family.accept_match(first, D2)
    with pytest.raises(CapacityExceeded):
        family.accept_match(second, D2)
    assert second.status is MatchStatus.PROPOSED and second.events[-1].TYPE.endswith("proposed.v1")
    assert family.occupied_rooms == 1


def test_ended_stay_frees_its_room() -> None:
    family = approved(rooms=1)
    stay = started(family, AMINA)
    with pytest.raises(CapacityExceeded):
        family.propose_match(uuid4(), BOBO, D3)
    stay.end(D4, ev.StayOutcome.COMPLETED_OTHERWISE)
    assert family.free_rooms == 1
    family.propose_match(uuid4(), BOBO, D4)


# --- one active stay per person ----------------------------------------------------------


def test_one_accepted_match_waiting_per_person() -> None:
    one, two = approved(), approved()
    waiting = accepted(one, AMINA)
    match = two.propose_match(uuid4(), AMINA, D1)
    with pytest.raises(PersonAlreadyHosted):
        two.accept_match(match, D2, person_accepted_matches=[waiting])
    assert match.status is MatchStatus.PROPOSED and two.free_rooms == 2


def test_one_active_stay_per_person() -> None:
    one, two = approved(), approved()
    stay = started(one, AMINA)
    match = accepted(two, AMINA)
    with pytest.raises(PersonAlreadyHosted):
        two.start_stay(match, uuid4(), D3, 6, 300, **PERSON, person_stays=[stay])
    assert match.status is MatchStatus.ACCEPTED and two.active_stays == []
    stay.end(D3, ev.StayOutcome.INTERRUPTED_BY_GUEST)
    moved = two.start_stay(match, uuid4(), D3, 6, 300, **PERSON, person_stays=[stay])
    assert moved.is_active


# --- stays start from accepted matches ----------------------------------------------------


def test_stay_starts_from_an_accepted_match_and_satisfies_its_request() -> None:
    family = approved()
    request = hosting_request(AMINA)
    match = accepted(family, AMINA, request)
    stay = family.start_stay(match, uuid4(), D3, 6, 300, **PERSON, request=request)
    assert match.status is MatchStatus.STARTED and match.stay_id == stay.stay_id
    assert stay.planned_end_on == dt.date(2025, 10, 1)
    assert stay.person_ref == AMINA and stay.request_id == request.request_id
    [started_event] = stay.events
    assert isinstance(started_event, ev.StayStarted)
    assert (
        started_event.match_id == match.match_id and started_event.monthly_contribution_eur == 300
    )
    assert request.status is RequestStatus.SATISFIED and request.stay_id == stay.stay_id
    [satisfied] = request.events
    assert isinstance(satisfied, ev.RequestSatisfied) and satisfied.closed_on == D3


@pytest.mark.parametrize("status", ["proposed", "declined", "cancelled", "started"])
def test_stay_cannot_start_from_a_match_not_accepted(status: str) -> None:
    family = approved(rooms=3)
    match = family.propose_match(uuid4(), AMINA, D1)
    if status == "declined":
        match.decline(D1, ev.DecidedBy.FAMILY)
    if status in ("cancelled", "started"):
        family.accept_match(match, D1)
    if status == "cancelled":
        match.cancel(D2, ev.DecidedBy.PARTNER)
    if status == "started":
        family.start_stay(match, uuid4(), D2, 6, 0, **PERSON)
    with pytest.raises(InvalidTransition):
        family.start_stay(match, uuid4(), D3, 6, 0, **PERSON)


def test_stay_start_checks_values_dates_and_request() -> None:
    family = approved()
    request = hosting_request(AMINA)
    match = accepted(family, AMINA, request)
    bad: list[tuple[type[HostingError], dict[str, Any]]] = [
        (InvalidDates, {"started_on": D1}),  # before acceptance
        (InvalidValue, {"planned_months": 0}),
        (InvalidValue, {"planned_months": 37}),
        (InvalidValue, {"monthly_contribution_eur": -1}),
        (InvalidValue, {"monthly_contribution_eur": 3001}),
        (InvalidDates, {"planned_end_on": D2}),
        (InvalidValue, {"request": None}),  # the match has a request
        (InvalidValue, {"request": hosting_request(AMINA)}),  # another request
    ]
    for error, changes in bad:
        args: dict[str, Any] = {
            "stay_id": uuid4(), "started_on": D3, "planned_months": 6,
            "monthly_contribution_eur": 300, "request": request, **PERSON,
        }  # fmt: skip
        with pytest.raises(error):
            family.start_stay(match, **{**args, **changes})
    assert match.status is MatchStatus.ACCEPTED and request.is_open
    assert family.active_stays == [] and match.events == []
    other = approved()
    with pytest.raises(InvalidValue):
        other.start_stay(match, uuid4(), D3, 6, 0, **PERSON, request=request)


def test_paused_family_still_welcomes_an_accepted_guest() -> None:
    family = approved()
    match = accepted(family, AMINA)
    family.pause(D2)
    stay = family.start_stay(match, uuid4(), D3, 6, 300, **PERSON)
    assert stay.is_active


# --- visits only during a stay -----------------------------------------------------------


def test_visits_are_dated_within_the_stay() -> None:
    stay = started(approved())
    visit = stay.record_visit(uuid4(), D3, 4, 5, [ev.VisitFlag.WORK])
    assert visit.needs_follow_up  # a flag
    [event] = stay.events
    assert isinstance(event, ev.StayVisitRecorded)
    assert event.data()["flags"] == ["work"] and event.stay_id == stay.stay_id
    assert stay.last_visit_on == D3
    with pytest.raises(InvalidDates):
        stay.record_visit(uuid4(), D2, 4, 4)  # before the start
    stay.end(D4, ev.StayOutcome.COMPLETED_WITH_AUTONOMY)
    late = stay.record_visit(uuid4(), D4, 5, 5)  # recorded after, dated within: fine
    assert not late.needs_follow_up
    with pytest.raises(InvalidDates):
        stay.record_visit(uuid4(), D4 + dt.timedelta(days=1), 4, 4)
    assert len(stay.events) == 3  # visit, ended, late visit


@pytest.mark.parametrize(
    ("guest", "family", "flags"),
    [
        (0, 3, []),
        (6, 3, []),
        (3, 0, []),
        (3, 6, []),
        (3, 3, [ev.VisitFlag.HEALTH, ev.VisitFlag.HEALTH]),
    ],
)
def test_visit_values_checked(guest: int, family: int, flags: list[ev.VisitFlag]) -> None:
    stay = started(approved())
    with pytest.raises(InvalidValue):
        stay.record_visit(uuid4(), D3, guest, family, flags)
    assert stay.events == [] and stay.last_visit_on is None


@pytest.mark.parametrize(
    ("guest", "family", "flags", "follow_up"),
    [(3, 3, [], False), (2, 5, [], True), (5, 1, [], True), (5, 5, [ev.VisitFlag.CONFLICT], True)],
)
def test_follow_up_on_low_score_or_flag(
    guest: int, family: int, flags: list[ev.VisitFlag], follow_up: bool
) -> None:
    stay = started(approved())
    assert stay.record_visit(uuid4(), D3, guest, family, flags).needs_follow_up is follow_up


# --- outcome set once, at the end --------------------------------------------------------


def test_outcome_is_set_once_at_the_end() -> None:
    stay = started(approved())
    assert stay.outcome is None
    with pytest.raises(InvalidDates):
        stay.end(D2, ev.StayOutcome.OTHER)
    stay.record_visit(uuid4(), D4, 3, 3)
    with pytest.raises(InvalidDates):
        stay.end(dt.date(2025, 6, 1), ev.StayOutcome.OTHER)  # before the last visit
    stay.end(D4, ev.StayOutcome.INTERRUPTED_BY_FAMILY)
    assert (stay.status, stay.outcome) == (StayStatus.ENDED, ev.StayOutcome.INTERRUPTED_BY_FAMILY)
    with pytest.raises(InvalidTransition):
        stay.end(D4, ev.StayOutcome.COMPLETED_WITH_AUTONOMY)
    with pytest.raises(InvalidTransition):
        stay.extend(12)
    assert stay.outcome is ev.StayOutcome.INTERRUPTED_BY_FAMILY
    assert isinstance(stay.events[-1], ev.StayEnded)


def test_extend_sets_a_new_planned_end() -> None:
    stay = started(approved())
    stay.extend(12)
    assert (stay.planned_months, stay.planned_end_on) == (12, dt.date(2026, 4, 1))
    stay.extend(9, dt.date(2025, 12, 31))
    assert stay.planned_end_on == dt.date(2025, 12, 31)
    with pytest.raises(InvalidDates):
        stay.extend(9, D2)
    with pytest.raises(InvalidValue):
        stay.extend(0)
    assert [type(e) for e in stay.events] == [ev.StayExtended, ev.StayExtended]


# --- family-axis requests ----------------------------------------------------------------


def test_support_request_is_satisfied_directly_hosting_request_by_a_stay() -> None:
    support = hosting_request(AMINA, ev.FamilyRequestKind.SCHOOL_SUPPORT)
    with pytest.raises(InvalidValue):
        support.satisfy(D1, uuid4())
    support.satisfy(D1)
    assert support.status is RequestStatus.SATISFIED and support.stay_id is None
    hosting = hosting_request(AMINA)
    with pytest.raises(InvalidTransition):
        hosting.satisfy(D1)
    assert hosting.is_open


def test_request_closes_once_and_not_before_submission() -> None:
    request = hosting_request()
    with pytest.raises(InvalidDates):
        request.withdraw(dt.date(2025, 2, 1))
    request.declare_unsatisfied(D2, ev.UnsatisfiedReason.NO_FAMILY_AVAILABLE)
    assert request.unsatisfied_reason is ev.UnsatisfiedReason.NO_FAMILY_AVAILABLE
    with pytest.raises(InvalidTransition):
        request.withdraw(D2)
    with pytest.raises(InvalidTransition):
        request.satisfy(D2, uuid4())
    assert [type(e) for e in request.events] == [ev.RequestUnsatisfied]
    other = hosting_request(BOBO, ev.FamilyRequestKind.CHILDCARE)
    other.withdraw(D1)
    assert other.status is RequestStatus.WITHDRAWN


def test_submit_validates() -> None:
    with pytest.raises(InvalidValue):
        FamilyRequest.submit(
            uuid4(), "RSSMRA80A01H501U", ev.FamilyRequestKind.HOSTING, 1, D0, **PERSON
        )
    with pytest.raises(InvalidValue):
        FamilyRequest.submit(uuid4(), AMINA, ev.FamilyRequestKind.CARE_DUTIES, 0, D0, **PERSON)
    request = FamilyRequest.submit(
        uuid4(), AMINA, ev.FamilyRequestKind.CARE_DUTIES, 3, D0, **PERSON
    )
    [event] = request.events
    assert isinstance(event, ev.RequestSubmitted) and event.kind is ev.FamilyRequestKind.CARE_DUTIES


# --- helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 11, 15), 3, dt.date(2026, 2, 15)),
        (dt.date(2025, 3, 1), 36, dt.date(2028, 3, 1)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_every_event_of_the_domain_is_a_contract_event() -> None:
    family = approved(rooms=2)
    request = hosting_request(AMINA)
    match = accepted(family, AMINA, request)
    stay = family.start_stay(match, uuid4(), D3, 6, 300, **PERSON, request=request)
    stay.record_visit(uuid4(), D3, 2, 3, [ev.VisitFlag.DOCUMENTS, ev.VisitFlag.HOUSING])
    for event in [*stay.events, *request.events]:
        assert type(event) in ev.HOSTING_EVENTS
        assert type(event).model_validate(event.data()) == event


def test_match_equality_by_id() -> None:
    family = approved()
    match = family.propose_match(uuid4(), AMINA, D1)
    copy = Match(match.match_id, match.family_id, AMINA, D1)
    assert copy == match and hash(copy) == hash(match)
    assert match != Match(uuid4(), match.family_id, AMINA, D1)


# --- retries -----------------------------------------------------------------------------


def test_final_transitions_repeated_with_the_same_data_record_nothing() -> None:
    family = approved(rooms=2)
    family.approve(D1)
    family.pause(D2)
    family.pause(D2)
    assert [type(e) for e in family.events] == [ev.FamilyPaused]
    with pytest.raises(InvalidTransition):
        family.pause(D3)  # a different pause is not a retry
    family.resume(D3)
    family.events.clear()
    match = family.propose_match(uuid4(), AMINA, D3)
    family.accept_match(match, D3)
    family.accept_match(match, D3)
    with pytest.raises(InvalidTransition):
        family.accept_match(match, D4)
    stay = family.start_stay(match, uuid4(), D3, 6, 300, **PERSON)
    stay.end(D4, ev.StayOutcome.OTHER)
    stay.end(D4, ev.StayOutcome.OTHER)
    with pytest.raises(InvalidTransition):
        stay.end(D4, ev.StayOutcome.COMPLETED_WITH_AUTONOMY)  # the outcome is set once
    assert [type(e) for e in match.events] == [ev.MatchProposed, ev.MatchAccepted]
    assert [type(e) for e in stay.events] == [ev.StayStarted, ev.StayEnded]
    declined = family.propose_match(uuid4(), BOBO, D4)
    declined.decline(D4, ev.DecidedBy.FAMILY)
    declined.decline(D4, ev.DecidedBy.FAMILY)
    with pytest.raises(InvalidTransition):
        declined.decline(D4, ev.DecidedBy.GUEST)
    request = hosting_request(CHIDI, ev.FamilyRequestKind.PARENTING_SUPPORT)
    request.satisfy(D1)
    request.satisfy(D1)
    with pytest.raises(InvalidTransition):
        request.withdraw(D1)
    assert len(request.events) == 1 and len(declined.events) == 2
    gone = applied()
    gone.withdraw(D1)
    gone.withdraw(D1)
    with pytest.raises(InvalidTransition):
        gone.withdraw(D2)
    assert len(gone.events) == 1
