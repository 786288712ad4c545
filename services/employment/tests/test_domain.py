"""Employment aggregates: invariants, transitions and recorded events (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_common.errors import DomainError
from franoi_common.persons import stand_in_ref as ref
from franoi_common.testing import days
from franoi_contracts import employment as ev
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_employment.domain import work
from franoi_employment.domain.model import (
    Assessment,
    Consultation,
    EmploymentError,
    GroupActivity,
    GroupActivityStatus,
    HireBeforeFirstContact,
    InternshipAlreadyOpen,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    OutcomeAlreadyRecorded,
    OutcomeBeforeEnd,
    Person,
    SkillsProfile,
    check_label,
    first_contact,
)

D0, D1, D2, D3 = days("2025-01-10", "2025-03-01", "2025-08-31", "2025-09-15")


def person(name: str = "amina") -> Person:
    return Person(ref(name), Sex.FEMALE, AgeBand.AGE_25_34, ProtectionStatus.REFUGEE)


AMINA, BOBO = person("amina"), person("bobo")


def make_agreement(**kwargs: Any) -> work.CompanyAgreement:
    args: dict[str, Any] = {
        "company_agreement_id": uuid4(),
        "company_name": "Ristorante Da Mario s.r.l.",
        "sector": "I",
        "places_offered": 3,
        "signed_on": D0,
    }
    args.update(kwargs)
    agreement = work.CompanyAgreement.sign(**args)
    agreement.events.clear()
    return agreement


def start_internship(
    who: Person = AMINA,
    agreement: work.CompanyAgreement | None = None,
    *,
    started_on: dt.date = D1,
    planned_end_on: dt.date = D2,
    others: list[work.Internship] | None = None,
    **kwargs: Any,
) -> work.Internship:
    args: dict[str, Any] = {
        "internship_id": uuid4(),
        "person": who,
        "agreement": agreement or make_agreement(),
        "started_on": started_on,
        "planned_end_on": planned_end_on,
        "monthly_stipend_eur": 500,
        "stipend_paid_by": ev.StipendPayer.PROJECT,
        "person_internships": others or [],
    }
    args.update(kwargs)
    return work.Internship.start(**args)


def assessment(**kwargs: Any) -> Assessment:
    args: dict[str, Any] = {
        "assessed_on": D1,
        "education_level": ev.EducationLevel.UPPER_SECONDARY,
        "italian_level": ev.ItalianLevel.A2,
        "italian_assessed_on": D0,
        "other_languages": ("en", "tir"),
        "prior_sectors": ("A", "F"),
        "driving_licence": ev.DrivingLicence.FOREIGN_NOT_CONVERTED,
    }
    args.update(kwargs)
    return Assessment(**args)


def hire(
    who: Person = AMINA,
    *,
    started_on: dt.date = D3,
    first_contact_on: dt.date | None = D0,
    **kwargs: Any,
) -> work.Hire:
    args: dict[str, Any] = {
        "contract_type": ev.ContractType.FIXED_TERM,
        "weekly_hours": 30,
        "ends_on": dt.date(2026, 3, 14),
        "sector": "C",
    }
    args.update(kwargs)
    args.update(started_on=started_on, first_contact_on=first_contact_on)
    return work.Hire.record(uuid4(), who, **args)


# --- persons -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "RSSMRA80A01H501U", "AB" * 32, "ab" * 31, "ab" * 33])
def test_person_needs_a_pseudonym(bad: str) -> None:
    with pytest.raises(InvalidValue):
        Person(bad, Sex.MALE, AgeBand.AGE_18_24, ProtectionStatus.SUBSIDIARY)


def test_first_contact_is_the_earliest_known_date() -> None:
    assert first_contact() is None
    assert first_contact(None, [], [None]) is None
    assert first_contact(D2, None, [D3, D1], (d for d in [D2])) == D1
    assert first_contact([D3], D2) == D2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("  Da Mario  ", "Da Mario"), ("Caffè Ñandú", "Caffè Ñandú"), ("x" * 200, "x" * 200)],
)
def test_labels_are_trimmed(value: str, expected: str) -> None:
    assert check_label("company_name", value) == expected


@pytest.mark.parametrize("value", ["", "   ", "x" * 201, "Da\nMario", "Da\x00Mario", "a\u202eb"])
def test_labels_refuse_empty_long_or_control_characters(value: str) -> None:
    with pytest.raises(InvalidValue):
        check_label("company_name", value)


# --- consultations -------------------------------------------------------------------


def test_record_consultation() -> None:
    cid = uuid4()
    consultation = Consultation.record(
        cid, AMINA, D1, ev.ConsultationTopic.JOB_SEARCH, 45, ev.WorkerRole.JOB_COUNSELLOR
    )
    assert consultation.events == [
        ev.ConsultationRecorded(
            consultation_id=cid,
            **AMINA.fields(),
            held_on=D1,
            topic=ev.ConsultationTopic.JOB_SEARCH,
            minutes=45,
            worker_role=ev.WorkerRole.JOB_COUNSELLOR,
        )
    ]


@pytest.mark.parametrize("minutes", [0, -5, 481, True])
def test_consultation_minutes_in_range(minutes: int) -> None:
    with pytest.raises(InvalidValue):
        Consultation.record(
            uuid4(), AMINA, D1, ev.ConsultationTopic.ORIENTATION, minutes, ev.WorkerRole.OTHER
        )


# --- group activities ----------------------------------------------------------------


def scheduled(kind: ev.GroupActivityKind = ev.GroupActivityKind.ORIENTATION_GROUP) -> GroupActivity:
    activity = GroupActivity.schedule(uuid4(), kind, D1)
    activity.events.clear()
    return activity


def test_schedule_then_hold_records_attendance() -> None:
    gid = uuid4()
    activity = GroupActivity.schedule(gid, ev.GroupActivityKind.SCHOOL_SESSION, D1)
    assert activity.events == [
        ev.GroupActivityScheduled(
            group_activity_id=gid, kind=ev.GroupActivityKind.SCHOOL_SESSION, scheduled_on=D1
        )
    ]
    assert (activity.status, activity.attendees) == (GroupActivityStatus.SCHEDULED, None)
    activity.hold(D1, [AMINA.person_ref], 27)
    assert activity.events[-1] == ev.GroupActivityHeld(
        group_activity_id=gid,
        kind=ev.GroupActivityKind.SCHOOL_SESSION,
        held_on=D1,
        registered_attendees=[AMINA.person_ref],
        anonymous_attendees=27,
    )
    assert (activity.status, activity.attendees) == (GroupActivityStatus.HELD, 28)


def test_only_registered_or_only_anonymous_attendees() -> None:
    a = scheduled()
    a.hold(D1, [AMINA.person_ref, BOBO.person_ref], 0)
    assert a.attendees == 2
    b = scheduled(ev.GroupActivityKind.SCHOOL_SESSION)
    b.hold(D1, [], 30)
    assert b.attendees == 30


@pytest.mark.parametrize(
    ("refs", "anonymous"),
    [
        ([], -1),
        ([], 5_001),
        ([], 0),  # nobody came: not held
        (["Amina Diallo"], 0),
        ([ref("amina"), ref("amina")], 3),
        ([ref(str(i)) for i in range(501)], 0),
    ],
)
def test_hold_refuses_bad_counts(refs: list[str], anonymous: int) -> None:
    activity = scheduled()
    with pytest.raises(InvalidValue):
        activity.hold(D1, refs, anonymous)
    assert (activity.status, activity.attendees, activity.events) == (
        GroupActivityStatus.SCHEDULED,
        None,
        [],
    )


def test_cancel_scheduled_activity() -> None:
    activity = scheduled()
    activity.cancel(D0)
    assert activity.events == [
        ev.GroupActivityCancelled(group_activity_id=activity.group_activity_id, cancelled_on=D0)
    ]
    assert (activity.status, activity.cancelled_on) == (GroupActivityStatus.CANCELLED, D0)


def test_counts_only_for_a_held_activity() -> None:
    cancelled = scheduled()
    cancelled.cancel(D1)
    with pytest.raises(InvalidTransition):
        cancelled.hold(D1, [AMINA.person_ref], 3)
    assert cancelled.attendees is None
    held = scheduled()
    held.hold(D1, [], 5)
    with pytest.raises(InvalidTransition):
        held.hold(D1, [], 50)
    with pytest.raises(InvalidTransition):
        held.cancel(D1)
    assert (held.status, held.attendees, len(held.events)) == (GroupActivityStatus.HELD, 5, 1)


# --- skills profiles -----------------------------------------------------------------


def test_profile_versions_keep_earlier_assessments() -> None:
    pid = uuid4()
    first = assessment()
    profile = SkillsProfile.open(pid, AMINA, first)
    assert (profile.version, profile.current, profile.first_assessed_on) == (1, first, D1)
    assert profile.events == [
        ev.SkillsProfileAssessed(
            skills_profile_id=pid,
            version=1,
            person_ref=AMINA.person_ref,
            assessed_on=D1,
            education_level=ev.EducationLevel.UPPER_SECONDARY,
            italian_level=ev.ItalianLevel.A2,
            italian_assessed_on=D0,
            other_languages=["en", "tir"],
            prior_sectors=["A", "F"],
            driving_licence=ev.DrivingLicence.FOREIGN_NOT_CONVERTED,
        )
    ]
    second = assessment(assessed_on=D2, italian_level=ev.ItalianLevel.B1, italian_assessed_on=D2)
    profile.assess(second)
    assert profile.assessments == [first, second]
    assert (profile.version, profile.current, profile.first_assessed_on) == (2, second, D1)
    last = profile.events[-1]
    assert isinstance(last, ev.SkillsProfileAssessed)
    assert (last.version, last.italian_level) == (2, ev.ItalianLevel.B1)


def test_new_assessment_cannot_be_older() -> None:
    profile = SkillsProfile.open(uuid4(), AMINA, assessment(assessed_on=D2))
    with pytest.raises(InvalidDates):
        profile.assess(assessment(assessed_on=D1))
    assert (profile.version, len(profile.events)) == (1, 1)
    profile.assess(assessment(assessed_on=D2))  # same day: a correction is a new version
    assert profile.version == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"italian_assessed_on": D2},  # after the assessment itself
        {"other_languages": ("English",)},
        {"other_languages": ("en", "en")},
        {"other_languages": tuple(f"l{c}" for c in "abcdefghijk")},
        {"prior_sectors": ("Z",)},
        {"prior_sectors": ("c",)},
        {"prior_sectors": ("C", "C")},
    ],
)
def test_assessment_values_checked(changes: dict[str, Any]) -> None:
    with pytest.raises(EmploymentError):
        assessment(**changes)


# --- company agreements --------------------------------------------------------------


def test_sign_agreement_keeps_the_name_out_of_the_event() -> None:
    aid = uuid4()
    agreement = work.CompanyAgreement.sign(aid, "  Hotel Bella Vista  ", "I", 4, D0, D3)
    assert agreement.company_name == "Hotel Bella Vista"
    assert agreement.events == [
        ev.CompanyAgreementSigned(
            company_agreement_id=aid, sector="I", places_offered=4, signed_on=D0, valid_until=D3
        )
    ]
    assert "Bella" not in agreement.events[0].model_dump_json()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"sector": "56"}, InvalidValue),
        ({"sector": "i"}, InvalidValue),
        ({"places_offered": -1}, InvalidValue),
        ({"places_offered": 1_001}, InvalidValue),
        ({"company_name": ""}, InvalidValue),
        ({"valid_until": dt.date(2025, 1, 9)}, InvalidDates),
    ],
)
def test_agreement_values_checked(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        make_agreement(**changes)


def test_end_agreement_once_and_not_before_signing() -> None:
    agreement = make_agreement()
    with pytest.raises(InvalidDates):
        agreement.end(dt.date(2025, 1, 9))
    agreement.end(D2)
    assert agreement.events == [
        ev.CompanyAgreementEnded(company_agreement_id=agreement.company_agreement_id, ended_on=D2)
    ]
    with pytest.raises(InvalidTransition):
        agreement.end(D3)
    assert (agreement.is_ended, agreement.ended_on, len(agreement.events)) == (True, D2, 1)


# --- training enrolments -------------------------------------------------------------


def enrol(**kwargs: Any) -> work.Enrolment:
    args: dict[str, Any] = {
        "enrolment_id": uuid4(),
        "person": AMINA,
        "course_title": "HACCP - igiene alimentare",
        "provider": "Ente formativo",
        "course_kind": ev.CourseKind.SAFETY_CERTIFICATE,
        "hours": 12,
        "starts_on": D1,
        "ends_on": dt.date(2025, 3, 3),
    }
    args.update(kwargs)
    return work.Enrolment.enrol(**args)


def test_enrol_then_complete() -> None:
    enrolment = enrol()
    started = enrolment.events[0]
    assert started == ev.EnrolmentStarted(
        enrolment_id=enrolment.enrolment_id,
        **AMINA.fields(),
        course_kind=ev.CourseKind.SAFETY_CERTIFICATE,
        hours=12,
        starts_on=D1,
        ends_on=dt.date(2025, 3, 3),
    )
    assert "HACCP" not in started.model_dump_json()
    enrolment.complete(dt.date(2025, 3, 3))
    assert enrolment.events[-1] == ev.EnrolmentCompleted(
        enrolment_id=enrolment.enrolment_id, completed_on=dt.date(2025, 3, 3)
    )
    assert enrolment.status is work.EnrolmentStatus.COMPLETED
    with pytest.raises(InvalidTransition):
        enrolment.drop(dt.date(2025, 3, 4))


def test_drop_enrolment_once_and_not_before_start() -> None:
    enrolment = enrol()
    with pytest.raises(InvalidDates):
        enrolment.drop(D0)
    enrolment.drop(D1)
    assert enrolment.events[-1] == ev.EnrolmentDropped(
        enrolment_id=enrolment.enrolment_id, dropped_on=D1
    )
    assert (enrolment.status, enrolment.closed_on) == (work.EnrolmentStatus.DROPPED, D1)
    with pytest.raises(InvalidTransition):
        enrolment.complete(D2)
    assert len(enrolment.events) == 2


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"hours": 0}, InvalidValue),
        ({"hours": 2_001}, InvalidValue),
        ({"course_title": " "}, InvalidValue),
        ({"provider": "x" * 201}, InvalidValue),
        ({"ends_on": dt.date(2025, 2, 28)}, InvalidDates),
    ],
)
def test_enrolment_values_checked(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        enrol(**changes)


# --- internships ---------------------------------------------------------------------


def test_start_internship_records_the_agreement_and_sector() -> None:
    agreement = make_agreement(sector="N")
    internship = start_internship(agreement=agreement)
    assert internship.events == [
        ev.InternshipStarted(
            internship_id=internship.internship_id,
            **AMINA.fields(),
            company_agreement_id=agreement.company_agreement_id,
            sector="N",
            started_on=D1,
            planned_end_on=D2,
            monthly_stipend_eur=500,
            stipend_paid_by=ev.StipendPayer.PROJECT,
        )
    ]
    assert (internship.is_open, internship.outcome) == (True, None)


def test_one_open_internship_per_person() -> None:
    first = start_internship()
    with pytest.raises(InternshipAlreadyOpen):
        start_internship(others=[first])
    start_internship(BOBO, others=[first])  # someone else may start one
    first.end(dt.date(2025, 4, 30))
    again = start_internship(started_on=dt.date(2025, 5, 1), others=[first])
    assert again.is_open


def past_internship(
    start: dt.date, end: dt.date | None, others: list[work.Internship]
) -> work.Internship:
    """An internship of AMINA recorded with its end at once (as the handler does)."""
    internship = start_internship(
        agreement=make_agreement(signed_on=dt.date(2023, 1, 1)),
        started_on=start,
        planned_end_on=start,
        others=others,
        ended_on=end,
    )
    if end is not None:
        internship.end(end)
    return internship


JAN_2024, APR_2024, JUN_2024 = days("2024-01-15", "2024-04-15", "2024-06-01")


def test_an_earlier_internship_recorded_after_an_open_one_is_accepted() -> None:
    """One internship at a time holds on the dates: an internship of 2024, recorded while
    the person's internship of 2025 is open, shares no day with it."""
    open_one = start_internship(agreement=make_agreement(signed_on=dt.date(2023, 1, 1)))
    earlier = past_internship(JAN_2024, APR_2024, [open_one])
    assert (earlier.status, earlier.ended_on) == (work.InternshipStatus.ENDED, APR_2024)
    assert [type(e) for e in earlier.events] == [ev.InternshipStarted, ev.InternshipEnded]
    assert earlier.is_open is False


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        (dt.date(2023, 6, 1), dt.date(2023, 9, 1), False),  # before
        (dt.date(2024, 1, 1), JAN_2024, False),  # ends the day the other starts
        (APR_2024, JUN_2024, False),  # starts the day the other ends
        (dt.date(2024, 1, 1), dt.date(2024, 1, 16), True),
        (dt.date(2024, 4, 14), None, True),  # open: every day from its start
        (dt.date(2024, 2, 1), dt.date(2024, 3, 1), True),  # within
    ],
)
def test_one_internship_at_a_time_on_the_dates_in_any_order(
    start: dt.date, end: dt.date | None, refused: bool
) -> None:
    other = past_internship(JAN_2024, APR_2024, [])
    if not refused:
        assert past_internship(start, end, [other]).started_on == start
        # and the other way round: the other recorded second
        assert past_internship(JAN_2024, APR_2024, [past_internship(start, end, [])])
        return
    with pytest.raises(InternshipAlreadyOpen) as error:
        past_internship(start, end, [other])
    assert f"internship {other.internship_id} from 2024-01-15 to 2024-04-15" in str(error.value)
    with pytest.raises(InternshipAlreadyOpen):
        past_internship(JAN_2024, APR_2024, [past_internship(start, end, [])])


def test_an_internship_cannot_be_recorded_ending_before_it_started() -> None:
    with pytest.raises(InvalidDates):
        past_internship(APR_2024, JAN_2024, [])


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"planned_end_on": dt.date(2025, 2, 28)}, InvalidDates),
        ({"monthly_stipend_eur": -1}, InvalidValue),
        ({"monthly_stipend_eur": 3_001}, InvalidValue),
        ({"started_on": dt.date(2025, 1, 9), "planned_end_on": D2}, InvalidDates),
    ],
)
def test_internship_values_checked(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        start_internship(**changes)


def test_internship_within_the_agreement() -> None:
    ended = make_agreement()
    ended.end(dt.date(2025, 2, 1))
    with pytest.raises(InvalidDates):
        start_internship(agreement=ended)
    expired = make_agreement(valid_until=dt.date(2025, 2, 1))
    with pytest.raises(InvalidDates):
        start_internship(agreement=expired)
    assert start_internship(agreement=ended, started_on=dt.date(2025, 2, 1)).is_open


def test_extend_and_end_internship() -> None:
    internship = start_internship()
    with pytest.raises(InvalidDates):
        internship.extend(dt.date(2025, 2, 1))
    internship.extend(D3)
    assert internship.events[-1] == ev.InternshipExtended(
        internship_id=internship.internship_id, planned_end_on=D3
    )
    with pytest.raises(InvalidDates):
        internship.end(dt.date(2025, 2, 28))
    internship.end(D3)
    assert internship.events[-1] == ev.InternshipEnded(
        internship_id=internship.internship_id, ended_on=D3
    )
    assert (internship.status, internship.ended_on) == (work.InternshipStatus.ENDED, D3)
    with pytest.raises(InvalidTransition):
        internship.end(dt.date(2025, 9, 16))
    with pytest.raises(InvalidTransition):
        internship.extend(dt.date(2025, 12, 31))


def test_outcome_only_after_the_end_and_on_or_after_it() -> None:
    internship = start_internship()
    with pytest.raises(OutcomeBeforeEnd):
        internship.record_outcome(ev.InternshipOutcome.HIRED, D2)  # still open
    internship.end(D2)
    with pytest.raises(OutcomeBeforeEnd):
        internship.record_outcome(ev.InternshipOutcome.HIRED, dt.date(2025, 8, 30))
    assert internship.outcome is None
    internship.record_outcome(ev.InternshipOutcome.HIRED, D2)  # the same day is fine
    assert internship.events[-1] == ev.InternshipOutcomeRecorded(
        internship_id=internship.internship_id,
        outcome=ev.InternshipOutcome.HIRED,
        ended_on=D2,
        recorded_on=D2,
    )
    assert (internship.outcome, internship.outcome_recorded_on) == (ev.InternshipOutcome.HIRED, D2)


def test_outcome_is_set_once() -> None:
    internship = start_internship()
    internship.end(D2)
    internship.record_outcome(ev.InternshipOutcome.NOT_HIRED, D3)
    for outcome in ev.InternshipOutcome:
        with pytest.raises(OutcomeAlreadyRecorded):
            internship.record_outcome(
                outcome,
                dt.date(2025, 9, 16),
                ev.InterruptedBy.COMPANY if outcome is ev.InternshipOutcome.INTERRUPTED else None,
            )
    assert internship.outcome is ev.InternshipOutcome.NOT_HIRED
    assert len(internship.events) == 3


def test_interrupted_says_by_whom() -> None:
    internship = start_internship()
    internship.end(dt.date(2025, 5, 15))
    with pytest.raises(InvalidValue):
        internship.record_outcome(ev.InternshipOutcome.INTERRUPTED, D3)
    with pytest.raises(InvalidValue):
        internship.record_outcome(ev.InternshipOutcome.NOT_HIRED, D3, ev.InterruptedBy.INTERN)
    internship.record_outcome(ev.InternshipOutcome.INTERRUPTED, D3, ev.InterruptedBy.INTERN)
    last = internship.events[-1]
    assert isinstance(last, ev.InternshipOutcomeRecorded)
    assert (last.outcome, last.interrupted_by) == (
        ev.InternshipOutcome.INTERRUPTED,
        ev.InterruptedBy.INTERN,
    )


# --- hires ---------------------------------------------------------------------------


def test_record_hire_in_a_sector() -> None:
    job = hire()
    assert job.events == [
        ev.HireRecorded(
            hire_id=job.hire_id,
            **AMINA.fields(),
            sector="C",
            contract_type=ev.ContractType.FIXED_TERM,
            weekly_hours=30,
            started_on=D3,
            ends_on=dt.date(2026, 3, 14),
        )
    ]
    assert (job.status, job.company_agreement_id, job.internship_id) == (
        work.HireStatus.ACTIVE,
        None,
        None,
    )


def test_hire_through_an_agreement_after_an_internship() -> None:
    agreement = make_agreement(sector="I")
    internship = start_internship(agreement=agreement)
    internship.end(D2)
    job = hire(
        agreement=agreement,
        sector=None,
        internship=internship,
        contract_type=ev.ContractType.APPRENTICESHIP,
        ends_on=None,
    )
    event = job.events[0]
    assert isinstance(event, ev.HireRecorded)
    assert (event.sector, event.company_agreement_id, event.internship_id) == (
        "I",
        agreement.company_agreement_id,
        internship.internship_id,
    )


def test_hire_cannot_start_before_first_contact() -> None:
    with pytest.raises(HireBeforeFirstContact):
        hire(first_contact_on=None)
    with pytest.raises(HireBeforeFirstContact):
        hire(started_on=D1, first_contact_on=D2)
    assert hire(started_on=D2, first_contact_on=D2).started_on == D2


def test_first_contact_from_every_kind_of_record() -> None:
    consultation = Consultation.record(
        uuid4(), AMINA, D2, ev.ConsultationTopic.ORIENTATION, 30, ev.WorkerRole.SOCIAL_WORKER
    )
    enrolment = enrol(starts_on=D1, ends_on=D2)
    profile = SkillsProfile.open(uuid4(), AMINA, assessment(assessed_on=D3))
    internship = start_internship(started_on=D2, planned_end_on=D3)
    earliest = first_contact(
        [consultation.held_on],
        [enrolment.starts_on],
        [internship.started_on],
        profile.first_assessed_on,
    )
    assert earliest == D1
    with pytest.raises(HireBeforeFirstContact):
        hire(started_on=dt.date(2025, 2, 28), first_contact_on=earliest)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"sector": None}, InvalidValue),
        ({"sector": "56.10"}, InvalidValue),
        ({"weekly_hours": 0}, InvalidValue),
        ({"weekly_hours": 61}, InvalidValue),
        ({"ends_on": None}, InvalidValue),  # fixed term needs an end
        ({"contract_type": ev.ContractType.SEASONAL, "ends_on": None}, InvalidValue),
        ({"contract_type": ev.ContractType.PERMANENT}, InvalidValue),  # with an end
        ({"ends_on": dt.date(2025, 9, 14)}, InvalidDates),
    ],
)
def test_hire_values_checked(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        hire(**changes)


@pytest.mark.parametrize(
    "contract_type",
    [
        ev.ContractType.PERMANENT,
        ev.ContractType.APPRENTICESHIP,
        ev.ContractType.AGENCY,
        ev.ContractType.OTHER,
    ],
)
def test_open_ended_contracts(contract_type: ev.ContractType) -> None:
    assert hire(contract_type=contract_type, ends_on=None).ends_on is None


def test_hire_agreement_and_internship_consistency() -> None:
    agreement = make_agreement(sector="I")
    with pytest.raises(InvalidValue):
        hire(agreement=agreement, sector="C")
    late = make_agreement(signed_on=dt.date(2025, 10, 1))
    with pytest.raises(InvalidDates):
        hire(agreement=late, sector=None)
    bobo_internship = start_internship(BOBO)
    with pytest.raises(InvalidValue):
        hire(internship=bobo_internship)
    own = start_internship(started_on=D3, planned_end_on=dt.date(2025, 12, 31))
    with pytest.raises(InvalidDates):
        hire(started_on=D2, first_contact_on=D0, internship=own)


def test_end_hire_once() -> None:
    job = hire()
    with pytest.raises(InvalidDates):
        job.end(D2, ev.HireEndReason.RESIGNED)
    job.end(dt.date(2026, 3, 14), ev.HireEndReason.CONTRACT_EXPIRED)
    assert job.events[-1] == ev.HireEnded(
        hire_id=job.hire_id, ended_on=dt.date(2026, 3, 14), reason=ev.HireEndReason.CONTRACT_EXPIRED
    )
    with pytest.raises(InvalidTransition):
        job.end(dt.date(2026, 3, 15), ev.HireEndReason.OTHER)
    assert (job.status, job.end_reason, len(job.events)) == (
        work.HireStatus.ENDED,
        ev.HireEndReason.CONTRACT_EXPIRED,
        2,
    )


def test_repeating_a_terminal_transition_changes_nothing() -> None:
    """A client retrying the same request gets success and no second event."""
    agreement = make_agreement()
    agreement.end(D2)
    agreement.end(D2)
    activity = scheduled()
    activity.hold(D1, [AMINA.person_ref], 2)
    activity.hold(D1, [AMINA.person_ref], 2)
    with pytest.raises(InvalidTransition):
        activity.hold(D1, [AMINA.person_ref], 3)  # different data is not a retry
    cancelled = scheduled()
    cancelled.cancel(D1)
    cancelled.cancel(D1)
    completed, dropped = enrol(), enrol()
    completed.complete(D2)
    completed.complete(D2)
    dropped.drop(D2)
    dropped.drop(D2)
    internship = start_internship()
    internship.end(D2)
    internship.end(D2)
    internship.record_outcome(ev.InternshipOutcome.INTERRUPTED, D3, ev.InterruptedBy.PARTNER)
    internship.record_outcome(ev.InternshipOutcome.INTERRUPTED, D3, ev.InterruptedBy.PARTNER)
    with pytest.raises(OutcomeAlreadyRecorded):
        internship.record_outcome(ev.InternshipOutcome.INTERRUPTED, D3, ev.InterruptedBy.COMPANY)
    job = hire()
    job.end(dt.date(2026, 1, 31), ev.HireEndReason.RESIGNED)
    job.end(dt.date(2026, 1, 31), ev.HireEndReason.RESIGNED)
    with pytest.raises(InvalidTransition):
        job.end(dt.date(2026, 1, 31), ev.HireEndReason.DISMISSED)
    assert [len(a.events) for a in (agreement, activity, cancelled)] == [1, 1, 1]
    assert [len(a.events) for a in (completed, dropped)] == [2, 2]
    assert (len(internship.events), len(job.events)) == (3, 2)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidValue, 422),
        (InvalidDates, 422),
        (InvalidTransition, 409),
        (InternshipAlreadyOpen, 409),
        (OutcomeAlreadyRecorded, 409),
        (OutcomeBeforeEnd, 409),
        (HireBeforeFirstContact, 409),
    ],
)
def test_errors_are_problems_with_a_status(error: type[EmploymentError], status: int) -> None:
    assert issubclass(error, DomainError)
    assert error.status == status
    assert error("x").message == "x"


def test_error_codes_are_distinct() -> None:
    codes = [
        cls.code
        for cls in (
            EmploymentError,
            InvalidTransition,
            InvalidDates,
            InvalidValue,
            InternshipAlreadyOpen,
            OutcomeAlreadyRecorded,
            OutcomeBeforeEnd,
            HireBeforeFirstContact,
        )
    ]
    assert len(set(codes)) == len(codes)
