"""The employment event contract: types, strictness, round trips and privacy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts import employment as ev
from franoi_contracts.base import DomainEvent
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract

PERSON = "ab" * 32
OTHER = "cd" * 32
COARSE = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.ConsultationRecorded: {
        "consultation_id": uuid4(),
        "person_ref": PERSON,
        "held_on": dt.date(2025, 3, 4),
        "topic": ev.ConsultationTopic.CV_AND_APPLICATIONS,
        "minutes": 45,
        "worker_role": ev.WorkerRole.JOB_COUNSELLOR,
        **COARSE,
    },
    ev.GroupActivityScheduled: {
        "group_activity_id": uuid4(),
        "kind": ev.GroupActivityKind.ORIENTATION_GROUP,
        "scheduled_on": dt.date(2025, 3, 10),
    },
    ev.GroupActivityHeld: {
        "group_activity_id": uuid4(),
        "kind": ev.GroupActivityKind.SCHOOL_SESSION,
        "held_on": dt.date(2025, 3, 10),
        "registered_attendees": [PERSON, OTHER],
        "anonymous_attendees": 24,
    },
    ev.GroupActivityCancelled: {"group_activity_id": uuid4(), "cancelled_on": dt.date(2025, 3, 9)},
    ev.SkillsProfileAssessed: {
        "skills_profile_id": uuid4(),
        "version": 2,
        "person_ref": PERSON,
        "assessed_on": dt.date(2025, 3, 4),
        "education_level": ev.EducationLevel.UPPER_SECONDARY,
        "italian_level": ev.ItalianLevel.A2,
        "italian_assessed_on": dt.date(2025, 2, 20),
        "other_languages": ["en", "ar", "tir"],
        "prior_sectors": ["A", "F"],
        "driving_licence": ev.DrivingLicence.FOREIGN_NOT_CONVERTED,
    },
    ev.CompanyAgreementSigned: {
        "company_agreement_id": uuid4(),
        "sector": "I",
        "places_offered": 3,
        "signed_on": dt.date(2025, 1, 15),
        "valid_until": dt.date(2026, 1, 14),
    },
    ev.CompanyAgreementEnded: {"company_agreement_id": uuid4(), "ended_on": dt.date(2026, 1, 14)},
    ev.EnrolmentStarted: {
        "enrolment_id": uuid4(),
        "person_ref": PERSON,
        "course_kind": ev.CourseKind.SAFETY_CERTIFICATE,
        "hours": 16,
        "starts_on": dt.date(2025, 4, 1),
        "ends_on": dt.date(2025, 4, 3),
        **COARSE,
    },
    ev.EnrolmentCompleted: {"enrolment_id": uuid4(), "completed_on": dt.date(2025, 4, 3)},
    ev.EnrolmentDropped: {"enrolment_id": uuid4(), "dropped_on": dt.date(2025, 4, 2)},
    ev.InternshipStarted: {
        "internship_id": uuid4(),
        "person_ref": PERSON,
        "company_agreement_id": uuid4(),
        "sector": "I",
        "started_on": dt.date(2025, 5, 1),
        "planned_end_on": dt.date(2025, 10, 31),
        "monthly_stipend_eur": 500,
        "stipend_paid_by": ev.StipendPayer.PROJECT,
        **COARSE,
    },
    ev.InternshipExtended: {"internship_id": uuid4(), "planned_end_on": dt.date(2025, 12, 31)},
    ev.InternshipEnded: {"internship_id": uuid4(), "ended_on": dt.date(2025, 10, 31)},
    ev.InternshipOutcomeRecorded: {
        "internship_id": uuid4(),
        "outcome": ev.InternshipOutcome.INTERRUPTED,
        "interrupted_by": ev.InterruptedBy.COMPANY,
        "ended_on": dt.date(2025, 7, 15),
        "recorded_on": dt.date(2025, 7, 20),
    },
    ev.HireRecorded: {
        "hire_id": uuid4(),
        "person_ref": PERSON,
        "company_agreement_id": uuid4(),
        "internship_id": uuid4(),
        "sector": "I",
        "contract_type": ev.ContractType.FIXED_TERM,
        "weekly_hours": 30,
        "started_on": dt.date(2025, 11, 1),
        "ends_on": dt.date(2026, 4, 30),
        **COARSE,
    },
    ev.HireEnded: {
        "hire_id": uuid4(),
        "ended_on": dt.date(2026, 4, 30),
        "reason": ev.HireEndReason.CONTRACT_EXPIRED,
    },
}


CONTRACT = Contract(
    domain="employment",
    module=ev,
    events=ev.EMPLOYMENT_EVENTS,
    samples=SAMPLES,
    also_forbidden=("title", "provider", "company_name", "course_name"),
    extra_fields=({"notes": "free text"}, {"company_name": "Ristorante Da Mario"}),
    nested=frozenset(),
)


def test_the_employment_domain_has_its_16_event_types() -> None:
    assert len(CONTRACT.events) == 16


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ev.ConsultationRecorded, {"person_ref": "RSSMRA80A01H501U"}),
        (ev.ConsultationRecorded, {"topic": "housing"}),
        (ev.ConsultationRecorded, {"minutes": 0}),
        (ev.ConsultationRecorded, {"minutes": 481}),
        (ev.ConsultationRecorded, {"worker_role": "Maria Rossi"}),
        (ev.ConsultationRecorded, {"age_band": "30"}),
        (ev.GroupActivityScheduled, {"kind": "party"}),
        (ev.GroupActivityHeld, {"anonymous_attendees": -1}),
        (ev.GroupActivityHeld, {"anonymous_attendees": 5_001}),
        (ev.GroupActivityHeld, {"registered_attendees": [PERSON, PERSON]}),
        (ev.GroupActivityHeld, {"registered_attendees": ["Amina Diallo"]}),
        (ev.GroupActivityHeld, {"registered_attendees": [PERSON] * 501}),
        (ev.SkillsProfileAssessed, {"version": 0}),
        (ev.SkillsProfileAssessed, {"italian_level": "B3"}),
        (ev.SkillsProfileAssessed, {"italian_assessed_on": dt.date(2025, 3, 5)}),
        (ev.SkillsProfileAssessed, {"other_languages": ["English"]}),
        (ev.SkillsProfileAssessed, {"other_languages": ["en", "en"]}),
        (ev.SkillsProfileAssessed, {"prior_sectors": ["Z"]}),
        (ev.SkillsProfileAssessed, {"prior_sectors": ["restaurants"]}),
        (ev.CompanyAgreementSigned, {"sector": "56.10"}),
        (ev.CompanyAgreementSigned, {"places_offered": -1}),
        (ev.CompanyAgreementSigned, {"valid_until": dt.date(2025, 1, 14)}),
        (ev.EnrolmentStarted, {"hours": 0}),
        (ev.EnrolmentStarted, {"ends_on": dt.date(2025, 3, 31)}),
        (ev.EnrolmentStarted, {"course_kind": "HACCP course at ENAIP"}),
        (ev.InternshipStarted, {"planned_end_on": dt.date(2025, 4, 30)}),
        (ev.InternshipStarted, {"monthly_stipend_eur": 3_001}),
        (ev.InternshipStarted, {"stipend_paid_by": "Ristorante Da Mario"}),
        (ev.InternshipOutcomeRecorded, {"interrupted_by": None}),
        (ev.InternshipOutcomeRecorded, {"outcome": "hired"}),  # with interrupted_by
        (ev.InternshipOutcomeRecorded, {"recorded_on": dt.date(2025, 7, 14)}),
        (ev.HireRecorded, {"contract_type": "permanent"}),  # with an end date
        (ev.HireRecorded, {"ends_on": None}),  # fixed term without an end date
        (ev.HireRecorded, {"ends_on": dt.date(2025, 10, 31)}),
        (ev.HireRecorded, {"weekly_hours": 61}),
        (ev.HireRecorded, {"weekly_hours": 0}),
        (ev.HireRecorded, {"sector": "i"}),
        (ev.HireEnded, {"reason": "he was late"}),
    ],
)
def test_invalid_values_rejected(cls: type[DomainEvent], changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cls(**{**SAMPLES[cls], **changes})


def test_optional_fields_may_be_omitted() -> None:
    signed = ev.CompanyAgreementSigned(
        company_agreement_id=uuid4(), sector="C", places_offered=0, signed_on=dt.date(2025, 1, 1)
    )
    assert signed.valid_until is None
    hire = ev.HireRecorded(
        **{
            **SAMPLES[ev.HireRecorded],
            "company_agreement_id": None,
            "internship_id": None,
            "contract_type": ev.ContractType.PERMANENT,
            "ends_on": None,
        }
    )
    assert (hire.company_agreement_id, hire.internship_id, hire.ends_on) == (None, None, None)
    hired = ev.InternshipOutcomeRecorded(
        internship_id=uuid4(),
        outcome=ev.InternshipOutcome.HIRED,
        ended_on=dt.date(2025, 7, 1),
        recorded_on=dt.date(2025, 7, 1),
    )
    assert hired.interrupted_by is None
    held = ev.GroupActivityHeld(
        **{**SAMPLES[ev.GroupActivityHeld], "registered_attendees": [], "anonymous_attendees": 0}
    )
    assert held.registered_attendees == []


@pytest.mark.parametrize("contract_type", list(ev.ContractType))
def test_contract_end_rules(contract_type: ev.ContractType) -> None:
    base = {**SAMPLES[ev.HireRecorded], "contract_type": contract_type}
    if contract_type is not ev.ContractType.PERMANENT:
        assert ev.HireRecorded(**base).ends_on == base["ends_on"]
    if contract_type not in ev.CONTRACTS_WITH_END:
        assert ev.HireRecorded(**{**base, "ends_on": None}).ends_on is None
