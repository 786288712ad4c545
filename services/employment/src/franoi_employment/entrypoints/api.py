"""The employment REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. Errors are RFC 9457
problems (:mod:`franoi_common.http`); creates with a client-chosen id are safe
to retry. Lists are newest first, filtered by person, period and status.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Self
from uuid import UUID

import asyncpg
from fastapi import Query
from franoi_common.api import (
    Answer,
    Day,
    PartnerApi,
    PersonRefQuery,
    in_force,
)
from franoi_common.commands import PartnerServices
from franoi_common.errors import InvalidDates
from franoi_common.importing import Sheet
from franoi_contracts import employment as contract

from franoi_employment.adapters.repository import EmploymentRepository
from franoi_employment.domain.model import (
    Consultation,
    GroupActivity,
    GroupActivityStatus,
    SkillsProfile,
)
from franoi_employment.domain.work import (
    CompanyAgreement,
    Enrolment,
    EnrolmentStatus,
    Hire,
    HireStatus,
    Internship,
    InternshipStatus,
)
from franoi_employment.service_layer import handlers


class ConsultationOut(Answer):
    consultation_id: UUID
    partner_id: str
    person_ref: str
    held_on: dt.date
    topic: contract.ConsultationTopic
    minutes: int
    worker_role: contract.WorkerRole
    sex: str
    age_band: str
    protection_status: str


class GroupActivityOut(Answer):
    group_activity_id: UUID
    partner_id: str
    kind: contract.GroupActivityKind
    scheduled_on: dt.date
    status: GroupActivityStatus
    held_on: dt.date | None
    registered_attendees: list[str]
    anonymous_attendees: int | None
    attendees: int | None
    cancelled_on: dt.date | None


class AssessmentOut(Answer):
    version: int
    assessed_on: dt.date
    education_level: contract.EducationLevel
    italian_level: contract.ItalianLevel
    italian_assessed_on: dt.date
    other_languages: list[str]
    prior_sectors: list[str]
    driving_licence: contract.DrivingLicence


class SkillsProfileOut(Answer):
    skills_profile_id: UUID
    partner_id: str
    person_ref: str
    version: int
    current: AssessmentOut
    assessments: list[AssessmentOut]

    @classmethod
    def of(cls, partner_id: str, source: Any) -> Self:
        """The profile with every version of its assessment, oldest first."""
        if not isinstance(source, SkillsProfile):
            return super().of(partner_id, source)
        versions = [
            AssessmentOut.model_validate({"version": n, **vars(a)})
            for n, a in enumerate(source.assessments, start=1)
        ]
        return cls(
            skills_profile_id=source.skills_profile_id,
            partner_id=partner_id,
            person_ref=source.person_ref,
            version=len(versions),
            current=versions[-1],
            assessments=versions,
        )


class CompanyAgreementOut(Answer):
    company_agreement_id: UUID
    partner_id: str
    company_name: str
    sector: str
    places_offered: int
    signed_on: dt.date
    valid_until: dt.date | None
    ended_on: dt.date | None


class EnrolmentOut(Answer):
    enrolment_id: UUID
    partner_id: str
    person_ref: str
    course_title: str
    provider: str
    course_kind: contract.CourseKind
    hours: int
    starts_on: dt.date
    ends_on: dt.date
    sex: str
    age_band: str
    protection_status: str
    status: EnrolmentStatus
    closed_on: dt.date | None


class InternshipOut(Answer):
    internship_id: UUID
    partner_id: str
    person_ref: str
    company_agreement_id: UUID
    sector: str
    started_on: dt.date
    planned_end_on: dt.date
    monthly_stipend_eur: int
    stipend_paid_by: contract.StipendPayer
    sex: str
    age_band: str
    protection_status: str
    status: InternshipStatus
    ended_on: dt.date | None
    outcome: contract.InternshipOutcome | None
    interrupted_by: contract.InterruptedBy | None
    outcome_recorded_on: dt.date | None


class HireOut(Answer):
    hire_id: UUID
    partner_id: str
    person_ref: str
    company_agreement_id: UUID | None
    internship_id: UUID | None
    sector: str
    contract_type: contract.ContractType
    weekly_hours: int
    started_on: dt.date
    ends_on: dt.date | None
    sex: str
    age_band: str
    protection_status: str
    status: HireStatus
    ended_on: dt.date | None
    end_reason: contract.HireEndReason | None


From = Annotated[Day | None, Query(alias="from", description="On or after this date")]
To = Annotated[Day | None, Query(alias="to", description="On or before this date")]


def _period(
    column: str, first: dt.date | None, last: dt.date | None
) -> tuple[list[str], list[Any]]:
    """SQL clauses (``$2``, ``$3``: $1 is the partner) for a period on ``column`` (the
    ``from`` and ``to`` parameters)."""
    if first is not None and last is not None and last < first:
        raise InvalidDates("the period's end (to) is before its start (from)")
    clauses, args = [], []
    for operator, day in ((">=", first), ("<=", last)):
        if day is not None:
            args.append(day)
            clauses.append(f"{column} {operator} ${len(args) + 1}")
    return clauses, args


def in_period(column: str, records: str, on: str, **query: Any) -> dict[str, Any]:
    """The options of a listing of ``records`` that the ``from`` and ``to`` parameters bound
    by ``column`` (what the description calls ``on``), after its ``query`` filters."""
    return {
        "query": {**query, "first": From, "last": To},
        "where": functools.partial(_period, column),
        "description": f"{records}, newest first; ``from``/``to`` filter on {on}.",
    }


api = PartnerApi(EmploymentRepository)
router = api.router
read = api.read


async def activities_out(
    s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
) -> list[GroupActivityOut]:
    """Group activities with the persons registered as attending them."""
    ids = [r["group_activity_id"] for r in rows]
    attendees = await read(s, lambda repo: repo.attendees_of(partner_id, ids))
    out = []
    for r in rows:
        refs = attendees.get(r["group_activity_id"], [])
        anonymous = r["anonymous_attendees"]
        count = None if anonymous is None else len(refs) + anonymous
        values = {**dict(r), "registered_attendees": refs, "attendees": count}
        out.append(GroupActivityOut.of(partner_id, values))
    return out


async def profiles_out(
    s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
) -> list[SkillsProfileOut]:
    """Skills profiles with every version of their assessment."""
    ids = [r["skills_profile_id"] for r in rows]
    assessments = await read(s, lambda repo: repo.assessment_rows(ids))
    by_profile: dict[UUID, list[AssessmentOut]] = {}
    for a in assessments:
        by_profile.setdefault(a["skills_profile_id"], []).append(AssessmentOut.of(partner_id, a))
    out = []
    for r in rows:
        versions = by_profile.get(r["skills_profile_id"], [])
        out.append(
            SkillsProfileOut(
                skills_profile_id=r["skills_profile_id"],
                partner_id=r["partner_id"],
                person_ref=r["person_ref"],
                version=len(versions),
                current=versions[-1],
                assessments=versions,
            )
        )
    return out


api.resource(
    "/consultations",
    Consultation,
    ConsultationOut,
    create=handlers.record_consultation,
    **in_period(
        "held_on",
        "Consultations",
        "the day held",
        person_ref=PersonRefQuery,
        topic=contract.ConsultationTopic,
    ),
)
api.resource(
    "/group-activities",
    GroupActivity,
    GroupActivityOut,
    create=handlers.schedule_group_activity,
    actions={
        "hold": handlers.hold_group_activity,
        "cancel": handlers.cancel_group_activity,
    },
    answers=activities_out,
    **in_period(
        "scheduled_on",
        "Group activities",
        "the scheduled day",
        kind=contract.GroupActivityKind,
        status=GroupActivityStatus,
    ),
)
api.resource(
    "/skills-profiles",
    SkillsProfile,
    SkillsProfileOut,
    create=handlers.open_skills_profile,
    actions={"assessments": handlers.assess_skills},
    query={"person_ref": PersonRefQuery},
    answers=profiles_out,
)
api.resource(
    "/company-agreements",
    CompanyAgreement,
    CompanyAgreementOut,
    create=handlers.sign_company_agreement,
    actions={"end": handlers.end_company_agreement},
    **in_force(sector=Annotated[str | None, Query(pattern=r"^[A-U]$")]),
)
api.resource(
    "/enrolments",
    Enrolment,
    EnrolmentOut,
    tag="training",
    create=handlers.enrol_in_training,
    actions={"complete": handlers.complete_enrolment, "drop": handlers.drop_enrolment},
    **in_period(
        "starts_on",
        "Enrolments",
        "the course start",
        person_ref=PersonRefQuery,
        status=EnrolmentStatus,
    ),
)
api.resource(
    "/internships",
    Internship,
    InternshipOut,
    create=handlers.start_internship,
    actions={
        "extend": handlers.extend_internship,
        "end": handlers.end_internship,
        "outcome": handlers.record_internship_outcome,
    },
    **in_period(
        "started_on",
        "Internships",
        "the start",
        person_ref=PersonRefQuery,
        status=InternshipStatus,
        outcome=contract.InternshipOutcome,
        company_agreement_id=UUID,
    ),
)
api.resource(
    "/hires",
    Hire,
    HireOut,
    create=handlers.record_hire,
    actions={"end": handlers.end_hire},
    **in_period(
        "started_on",
        "Hires",
        "the start",
        person_ref=PersonRefQuery,
        status=HireStatus,
        contract_type=contract.ContractType,
    ),
)

# --- history from spreadsheets -----------------------------------------------------------

api.imports(
    Sheet(
        "company_agreements",
        handlers.sign_company_agreement,
        "company_agreement_id",
        then=[handlers.end_company_agreement],
    ),
    Sheet("consultations", handlers.record_consultation, "consultation_id"),
    Sheet(
        "group_activities",
        handlers.schedule_group_activity,
        "group_activity_id",
        then=[handlers.hold_group_activity, handlers.cancel_group_activity],
    ),
    Sheet("skills_profiles", handlers.open_skills_profile, "skills_profile_id"),
    Sheet(
        "enrolments",
        handlers.enrol_in_training,
        "enrolment_id",
        then=[handlers.complete_enrolment, handlers.drop_enrolment],
    ),
    Sheet(
        "internships",
        handlers.start_internship,
        "internship_id",
        refers={"company_agreement_id": "company_agreements"},
        then=[handlers.end_internship, handlers.record_internship_outcome],
    ),
    Sheet(
        "hires",
        handlers.record_hire,
        "hire_id",
        refers={"company_agreement_id": "company_agreements", "internship_id": "internships"},
        then=[handlers.end_hire],
    ),
)

# --- the person's file -------------------------------------------------------------------


async def records_of(
    s: PartnerServices, repo: EmploymentRepository, partner_id: str, person_ref: str
) -> dict[str, list[Any]]:
    consultations = await repo.rows_of_person(Consultation, partner_id, person_ref)
    activities = await repo.group_activities_attended(partner_id, person_ref)
    profiles = await repo.rows_of_person(SkillsProfile, partner_id, person_ref)
    enrolments = await repo.rows_of_person(Enrolment, partner_id, person_ref)
    internships = await repo.rows_of_person(Internship, partner_id, person_ref)
    hires = await repo.rows_of_person(Hire, partner_id, person_ref)
    return {
        "consultations": [ConsultationOut.of(partner_id, r) for r in consultations],
        "group_activities": await activities_out(s, partner_id, activities),
        "skills_profiles": await profiles_out(s, partner_id, profiles),
        "enrolments": [EnrolmentOut.of(partner_id, r) for r in enrolments],
        "internships": [InternshipOut.of(partner_id, r) for r in internships],
        "hires": [HireOut.of(partner_id, r) for r in hires],
    }


api.person_records("employment", records_of)
