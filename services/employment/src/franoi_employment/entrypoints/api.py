"""The employment REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. Errors are RFC 9457
problems (:mod:`franoi_common.http`); creates with a client-chosen id are safe
to retry. Lists are newest first, filtered by person, period and status.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query
from franoi_common.api import (
    Caller,
    Day,
    Limit,
    Offset,
    Page,
    PersonRefQuery,
    Reads,
    Services,
    add_person_records,
    model_of,
    paged,
    read_only,
)
from franoi_common.auth import require_partner_member
from franoi_common.commands import PartnerServices
from franoi_common.errors import InvalidDates
from franoi_contracts.employment import (
    ConsultationTopic,
    ContractType,
    CourseKind,
    DrivingLicence,
    EducationLevel,
    GroupActivityKind,
    HireEndReason,
    InternshipOutcome,
    InterruptedBy,
    ItalianLevel,
    StipendPayer,
    WorkerRole,
)
from pydantic import BaseModel

from franoi_employment.adapters.repository import EmploymentRepository
from franoi_employment.domain.model import (
    CompanyAgreement,
    Consultation,
    Enrolment,
    EnrolmentStatus,
    GroupActivity,
    GroupActivityStatus,
    Hire,
    HireStatus,
    Internship,
    InternshipStatus,
    SkillsProfile,
)
from franoi_employment.service_layer import commands as c
from franoi_employment.service_layer import handlers as h

DOMAIN = "employment"


class ConsultationOut(BaseModel):
    consultation_id: UUID
    partner_id: str
    person_ref: str
    held_on: dt.date
    topic: ConsultationTopic
    minutes: int
    worker_role: WorkerRole
    sex: str
    age_band: str
    protection_status: str


class GroupActivityOut(BaseModel):
    group_activity_id: UUID
    partner_id: str
    kind: GroupActivityKind
    scheduled_on: dt.date
    status: GroupActivityStatus
    held_on: dt.date | None
    registered_attendees: list[str]
    anonymous_attendees: int | None
    attendees: int | None
    cancelled_on: dt.date | None


class AssessmentOut(BaseModel):
    version: int
    assessed_on: dt.date
    education_level: EducationLevel
    italian_level: ItalianLevel
    italian_assessed_on: dt.date
    other_languages: list[str]
    prior_sectors: list[str]
    driving_licence: DrivingLicence


class SkillsProfileOut(BaseModel):
    skills_profile_id: UUID
    partner_id: str
    person_ref: str
    version: int
    current: AssessmentOut
    assessments: list[AssessmentOut]


class CompanyAgreementOut(BaseModel):
    company_agreement_id: UUID
    partner_id: str
    company_name: str
    sector: str
    places_offered: int
    signed_on: dt.date
    valid_until: dt.date | None
    ended_on: dt.date | None


class EnrolmentOut(BaseModel):
    enrolment_id: UUID
    partner_id: str
    person_ref: str
    course_title: str
    provider: str
    course_kind: CourseKind
    hours: int
    starts_on: dt.date
    ends_on: dt.date
    sex: str
    age_band: str
    protection_status: str
    status: EnrolmentStatus
    closed_on: dt.date | None


class InternshipOut(BaseModel):
    internship_id: UUID
    partner_id: str
    person_ref: str
    company_agreement_id: UUID
    sector: str
    started_on: dt.date
    planned_end_on: dt.date
    monthly_stipend_eur: int
    stipend_paid_by: StipendPayer
    sex: str
    age_band: str
    protection_status: str
    status: InternshipStatus
    ended_on: dt.date | None
    outcome: InternshipOutcome | None
    interrupted_by: InterruptedBy | None
    outcome_recorded_on: dt.date | None


class HireOut(BaseModel):
    hire_id: UUID
    partner_id: str
    person_ref: str
    company_agreement_id: UUID | None
    internship_id: UUID | None
    sector: str
    contract_type: ContractType
    weekly_hours: int
    started_on: dt.date
    ends_on: dt.date | None
    sex: str
    age_band: str
    protection_status: str
    status: HireStatus
    ended_on: dt.date | None
    end_reason: HireEndReason | None


From = Annotated[Day | None, Query(alias="from", description="On or after this date")]
To = Annotated[Day | None, Query(alias="to", description="On or before this date")]


def _period(
    column: str, first: dt.date | None, last: dt.date | None
) -> tuple[list[str], list[Any]]:
    """SQL clauses (``$2``, ``$3``: $1 is the partner) for a period on ``column``."""
    if first is not None and last is not None and last < first:
        raise InvalidDates("the period's end (to) is before its start (from)")
    clauses, args = [], []
    for operator, day in ((">=", first), ("<=", last)):
        if day is not None:
            args.append(day)
            clauses.append(f"{column} {operator} ${len(args) + 1}")
    return clauses, args


def build_router(partner_ids: tuple[str, ...]) -> APIRouter:
    """The employment API; its handlers reach the wired services through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_partner_member(partner_ids))])

    read = Reads(EmploymentRepository)
    one, page = read.row, read.page

    async def activities_out(
        s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
    ) -> list[GroupActivityOut]:
        async with read_only(s.pool) as conn:
            attendees = await EmploymentRepository(conn).attendees_of(
                partner_id, [r["group_activity_id"] for r in rows]
            )
        out = []
        for r in rows:
            refs = attendees.get(r["group_activity_id"], [])
            anonymous = r["anonymous_attendees"]
            out.append(
                GroupActivityOut(
                    **{k: v for k, v in dict(r).items() if k in GroupActivityOut.model_fields},
                    registered_attendees=refs,
                    attendees=None if anonymous is None else len(refs) + anonymous,
                )
            )
        return out

    async def activity_out(
        s: PartnerServices, partner_id: str, group_activity_id: UUID
    ) -> GroupActivityOut:
        row = await one(s, GroupActivity, partner_id, group_activity_id)
        return (await activities_out(s, partner_id, [row]))[0]

    async def profiles_out(
        s: PartnerServices, rows: list[asyncpg.Record]
    ) -> list[SkillsProfileOut]:
        async with read_only(s.pool) as conn:
            assessments = await EmploymentRepository(conn).assessment_rows(
                [r["skills_profile_id"] for r in rows]
            )
        by_profile: dict[UUID, list[AssessmentOut]] = {}
        for a in assessments:
            by_profile.setdefault(a["skills_profile_id"], []).append(model_of(AssessmentOut, a))
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

    async def profile_out(
        s: PartnerServices, partner_id: str, skills_profile_id: UUID
    ) -> SkillsProfileOut:
        row = await one(s, SkillsProfile, partner_id, skills_profile_id)
        return (await profiles_out(s, [row]))[0]

    # consultations

    @router.post(
        "/consultations", status_code=201, response_model=ConsultationOut, tags=["consultations"]
    )
    async def record_consultation(body: c.RecordConsultation, who: Caller, s: Services) -> Any:
        consultation_id = await h.record_consultation(s, who.partner_id, body)
        return model_of(
            ConsultationOut, await one(s, Consultation, who.partner_id, consultation_id)
        )

    @router.get("/consultations", response_model=Page[ConsultationOut], tags=["consultations"])
    async def list_consultations(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        person_ref: PersonRefQuery = None,
        topic: ConsultationTopic | None = None,
        first: From = None,
        last: To = None,
    ) -> Any:
        """Consultations, newest first; ``from``/``to`` filter on the day held."""
        filters = {"person_ref": person_ref, "topic": topic}
        period = _period("held_on", first, last)
        items, total = await page(s, Consultation, who.partner_id, filters, limit, offset, *period)
        return paged([model_of(ConsultationOut, r) for r in items], total, limit, offset)

    @router.get(
        "/consultations/{consultation_id}",
        response_model=ConsultationOut,
        tags=["consultations"],
    )
    async def get_consultation(consultation_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(
            ConsultationOut, await one(s, Consultation, who.partner_id, consultation_id)
        )

    # group activities

    @router.post(
        "/group-activities",
        status_code=201,
        response_model=GroupActivityOut,
        tags=["group activities"],
    )
    async def schedule_group_activity(
        body: c.ScheduleGroupActivity, who: Caller, s: Services
    ) -> Any:
        group_activity_id = await h.schedule_group_activity(s, who.partner_id, body)
        return await activity_out(s, who.partner_id, group_activity_id)

    @router.get(
        "/group-activities", response_model=Page[GroupActivityOut], tags=["group activities"]
    )
    async def list_group_activities(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        kind: GroupActivityKind | None = None,
        status: GroupActivityStatus | None = None,
        first: From = None,
        last: To = None,
    ) -> Any:
        """Group activities, newest first; ``from``/``to`` filter on the scheduled day."""
        filters = {"kind": kind, "status": status}
        period = _period("scheduled_on", first, last)
        items, total = await page(s, GroupActivity, who.partner_id, filters, limit, offset, *period)
        return paged(await activities_out(s, who.partner_id, items), total, limit, offset)

    @router.get(
        "/group-activities/{group_activity_id}",
        response_model=GroupActivityOut,
        tags=["group activities"],
    )
    async def get_group_activity(group_activity_id: UUID, who: Caller, s: Services) -> Any:
        return await activity_out(s, who.partner_id, group_activity_id)

    @router.post(
        "/group-activities/{group_activity_id}/hold",
        response_model=GroupActivityOut,
        tags=["group activities"],
    )
    async def hold_group_activity(
        group_activity_id: UUID, body: c.HoldGroupActivity, who: Caller, s: Services
    ) -> Any:
        """Record that the activity took place, with its attendance."""
        await h.hold_group_activity(s, who.partner_id, group_activity_id, body)
        return await activity_out(s, who.partner_id, group_activity_id)

    @router.post(
        "/group-activities/{group_activity_id}/cancel",
        response_model=GroupActivityOut,
        tags=["group activities"],
    )
    async def cancel_group_activity(
        group_activity_id: UUID, body: c.CancelGroupActivity, who: Caller, s: Services
    ) -> Any:
        await h.cancel_group_activity(s, who.partner_id, group_activity_id, body)
        return await activity_out(s, who.partner_id, group_activity_id)

    # skills profiles

    @router.post(
        "/skills-profiles",
        status_code=201,
        response_model=SkillsProfileOut,
        tags=["skills profiles"],
    )
    async def open_skills_profile(body: c.OpenSkillsProfile, who: Caller, s: Services) -> Any:
        """A person's profile with its first assessment (one profile per person)."""
        skills_profile_id = await h.open_skills_profile(s, who.partner_id, body)
        return await profile_out(s, who.partner_id, skills_profile_id)

    @router.get("/skills-profiles", response_model=Page[SkillsProfileOut], tags=["skills profiles"])
    async def list_skills_profiles(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"person_ref": person_ref}
        items, total = await page(s, SkillsProfile, who.partner_id, filters, limit, offset)
        return paged(await profiles_out(s, items), total, limit, offset)

    @router.get(
        "/skills-profiles/{skills_profile_id}",
        response_model=SkillsProfileOut,
        tags=["skills profiles"],
    )
    async def get_skills_profile(skills_profile_id: UUID, who: Caller, s: Services) -> Any:
        return await profile_out(s, who.partner_id, skills_profile_id)

    @router.post(
        "/skills-profiles/{skills_profile_id}/assessments",
        response_model=SkillsProfileOut,
        tags=["skills profiles"],
    )
    async def assess_skills(
        skills_profile_id: UUID, body: c.Assess, who: Caller, s: Services
    ) -> Any:
        """A new version of the profile; earlier versions are kept."""
        await h.assess_skills(s, who.partner_id, skills_profile_id, body)
        return await profile_out(s, who.partner_id, skills_profile_id)

    # company agreements

    @router.post(
        "/company-agreements",
        status_code=201,
        response_model=CompanyAgreementOut,
        tags=["company agreements"],
    )
    async def sign_company_agreement(body: c.SignCompanyAgreement, who: Caller, s: Services) -> Any:
        agreement_id = await h.sign_company_agreement(s, who.partner_id, body)
        row = await one(s, CompanyAgreement, who.partner_id, agreement_id)
        return model_of(CompanyAgreementOut, row)

    @router.get(
        "/company-agreements",
        response_model=Page[CompanyAgreementOut],
        tags=["company agreements"],
    )
    async def list_company_agreements(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        sector: Annotated[str | None, Query(pattern=r"^[A-U]$")] = None,
        active: bool | None = None,
    ) -> Any:
        where = [] if active is None else ["ended_on IS NULL" if active else "ended_on IS NOT NULL"]
        filters = {"sector": sector}
        items, total = await page(
            s, CompanyAgreement, who.partner_id, filters, limit, offset, where
        )
        return paged([model_of(CompanyAgreementOut, r) for r in items], total, limit, offset)

    @router.get(
        "/company-agreements/{company_agreement_id}",
        response_model=CompanyAgreementOut,
        tags=["company agreements"],
    )
    async def get_company_agreement(company_agreement_id: UUID, who: Caller, s: Services) -> Any:
        row = await one(s, CompanyAgreement, who.partner_id, company_agreement_id)
        return model_of(CompanyAgreementOut, row)

    @router.post(
        "/company-agreements/{company_agreement_id}/end",
        response_model=CompanyAgreementOut,
        tags=["company agreements"],
    )
    async def end_company_agreement(
        company_agreement_id: UUID, body: c.EndCompanyAgreement, who: Caller, s: Services
    ) -> Any:
        await h.end_company_agreement(s, who.partner_id, company_agreement_id, body)
        row = await one(s, CompanyAgreement, who.partner_id, company_agreement_id)
        return model_of(CompanyAgreementOut, row)

    # training enrolments

    @router.post("/enrolments", status_code=201, response_model=EnrolmentOut, tags=["training"])
    async def enrol_in_training(body: c.EnrolInTraining, who: Caller, s: Services) -> Any:
        enrolment_id = await h.enrol_in_training(s, who.partner_id, body)
        return model_of(EnrolmentOut, await one(s, Enrolment, who.partner_id, enrolment_id))

    @router.get("/enrolments", response_model=Page[EnrolmentOut], tags=["training"])
    async def list_enrolments(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        person_ref: PersonRefQuery = None,
        status: EnrolmentStatus | None = None,
        first: From = None,
        last: To = None,
    ) -> Any:
        """Enrolments, newest first; ``from``/``to`` filter on the course start."""
        filters = {"person_ref": person_ref, "status": status}
        period = _period("starts_on", first, last)
        items, total = await page(s, Enrolment, who.partner_id, filters, limit, offset, *period)
        return paged([model_of(EnrolmentOut, r) for r in items], total, limit, offset)

    @router.get("/enrolments/{enrolment_id}", response_model=EnrolmentOut, tags=["training"])
    async def get_enrolment(enrolment_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(EnrolmentOut, await one(s, Enrolment, who.partner_id, enrolment_id))

    @router.post(
        "/enrolments/{enrolment_id}/complete", response_model=EnrolmentOut, tags=["training"]
    )
    async def complete_enrolment(
        enrolment_id: UUID, body: c.CompleteEnrolment, who: Caller, s: Services
    ) -> Any:
        await h.complete_enrolment(s, who.partner_id, enrolment_id, body)
        return model_of(EnrolmentOut, await one(s, Enrolment, who.partner_id, enrolment_id))

    @router.post("/enrolments/{enrolment_id}/drop", response_model=EnrolmentOut, tags=["training"])
    async def drop_enrolment(
        enrolment_id: UUID, body: c.DropEnrolment, who: Caller, s: Services
    ) -> Any:
        await h.drop_enrolment(s, who.partner_id, enrolment_id, body)
        return model_of(EnrolmentOut, await one(s, Enrolment, who.partner_id, enrolment_id))

    # internships

    @router.post(
        "/internships", status_code=201, response_model=InternshipOut, tags=["internships"]
    )
    async def start_internship(body: c.StartInternship, who: Caller, s: Services) -> Any:
        internship_id = await h.start_internship(s, who.partner_id, body)
        return model_of(InternshipOut, await one(s, Internship, who.partner_id, internship_id))

    @router.get("/internships", response_model=Page[InternshipOut], tags=["internships"])
    async def list_internships(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        person_ref: PersonRefQuery = None,
        status: InternshipStatus | None = None,
        outcome: InternshipOutcome | None = None,
        company_agreement_id: UUID | None = None,
        first: From = None,
        last: To = None,
    ) -> Any:
        """Internships, newest first; ``from``/``to`` filter on the start."""
        filters = {
            "person_ref": person_ref,
            "status": status,
            "outcome": outcome,
            "company_agreement_id": company_agreement_id,
        }
        period = _period("started_on", first, last)
        items, total = await page(s, Internship, who.partner_id, filters, limit, offset, *period)
        return paged([model_of(InternshipOut, r) for r in items], total, limit, offset)

    @router.get("/internships/{internship_id}", response_model=InternshipOut, tags=["internships"])
    async def get_internship(internship_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(InternshipOut, await one(s, Internship, who.partner_id, internship_id))

    @router.post(
        "/internships/{internship_id}/extend", response_model=InternshipOut, tags=["internships"]
    )
    async def extend_internship(
        internship_id: UUID, body: c.ExtendInternship, who: Caller, s: Services
    ) -> Any:
        await h.extend_internship(s, who.partner_id, internship_id, body)
        return model_of(InternshipOut, await one(s, Internship, who.partner_id, internship_id))

    @router.post(
        "/internships/{internship_id}/end", response_model=InternshipOut, tags=["internships"]
    )
    async def end_internship(
        internship_id: UUID, body: c.EndInternship, who: Caller, s: Services
    ) -> Any:
        await h.end_internship(s, who.partner_id, internship_id, body)
        return model_of(InternshipOut, await one(s, Internship, who.partner_id, internship_id))

    @router.post(
        "/internships/{internship_id}/outcome", response_model=InternshipOut, tags=["internships"]
    )
    async def record_internship_outcome(
        internship_id: UUID, body: c.RecordInternshipOutcome, who: Caller, s: Services
    ) -> Any:
        """Set the outcome of an ended internship: once, on or after its end."""
        await h.record_internship_outcome(s, who.partner_id, internship_id, body)
        return model_of(InternshipOut, await one(s, Internship, who.partner_id, internship_id))

    # hires

    @router.post("/hires", status_code=201, response_model=HireOut, tags=["hires"])
    async def record_hire(body: c.RecordHire, who: Caller, s: Services) -> Any:
        """A hire; it cannot start before the person's first contact with the desk."""
        hire_id = await h.record_hire(s, who.partner_id, body)
        return model_of(HireOut, await one(s, Hire, who.partner_id, hire_id))

    @router.get("/hires", response_model=Page[HireOut], tags=["hires"])
    async def list_hires(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        person_ref: PersonRefQuery = None,
        status: HireStatus | None = None,
        contract_type: ContractType | None = None,
        first: From = None,
        last: To = None,
    ) -> Any:
        """Hires, newest first; ``from``/``to`` filter on the start."""
        filters = {"person_ref": person_ref, "status": status, "contract_type": contract_type}
        period = _period("started_on", first, last)
        items, total = await page(s, Hire, who.partner_id, filters, limit, offset, *period)
        return paged([model_of(HireOut, r) for r in items], total, limit, offset)

    @router.get("/hires/{hire_id}", response_model=HireOut, tags=["hires"])
    async def get_hire(hire_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(HireOut, await one(s, Hire, who.partner_id, hire_id))

    @router.post("/hires/{hire_id}/end", response_model=HireOut, tags=["hires"])
    async def end_hire(hire_id: UUID, body: c.EndHire, who: Caller, s: Services) -> Any:
        await h.end_hire(s, who.partner_id, hire_id, body)
        return model_of(HireOut, await one(s, Hire, who.partner_id, hire_id))

    # the person's file

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
            "consultations": [model_of(ConsultationOut, r) for r in consultations],
            "group_activities": await activities_out(s, partner_id, activities),
            "skills_profiles": await profiles_out(s, profiles),
            "enrolments": [model_of(EnrolmentOut, r) for r in enrolments],
            "internships": [model_of(InternshipOut, r) for r in internships],
            "hires": [model_of(HireOut, r) for r in hires],
        }

    add_person_records(router, read, DOMAIN, records_of)

    return router
