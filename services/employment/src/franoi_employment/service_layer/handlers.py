"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all. Lock
order is company agreement → internship → hire, so commands touching the same
records cannot interleave. Creates with a client-chosen id are safe to retry:
an identical retry answers the existing resource and records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from franoi_common.commands import PartnerServices, change
from franoi_common.errors import AlreadyExists
from franoi_common.outbox import Outbox

from franoi_employment.adapters.repository import EmploymentRepository
from franoi_employment.domain.model import (
    Assessment,
    CompanyAgreement,
    Consultation,
    Enrolment,
    GroupActivity,
    Hire,
    Internship,
    InternshipAlreadyOpen,
    InvalidValue,
    Person,
    SkillsProfile,
)
from franoi_employment.service_layer import commands as c

NAMES: dict[type[Any], str] = {
    CompanyAgreement: "company agreement",
    Consultation: "consultation",
    GroupActivity: "group activity",
    SkillsProfile: "skills profile",
    Enrolment: "enrolment",
    Internship: "internship",
    Hire: "hire",
}


def employment_services(
    pool: asyncpg.Pool,
    outbox: Outbox,
    pseudonym_key: bytes,
    after_commit: Callable[[], None] | None = None,
) -> PartnerServices:
    """What the handlers need, built once by bootstrap."""
    return PartnerServices(
        pool=pool,
        outbox=outbox,
        pseudonym_key=pseudonym_key,
        repository=EmploymentRepository,
        names=NAMES,
        constraint_errors={
            "internships_one_open_per_person": lambda: InternshipAlreadyOpen(
                "the person already has an open internship"
            ),
            "skills_profiles_one_per_person": lambda: AlreadyExists(
                "the person already has a skills profile: add an assessment to it"
            ),
        },
        after_commit=after_commit,
    )


def _person(s: PartnerServices, cmd: c.AboutAPerson) -> Person:
    return Person(s.person_ref_of(cmd), cmd.sex, cmd.age_band, cmd.protection_status)


def _repo(uow: Any) -> EmploymentRepository:
    repo = uow.repo
    assert isinstance(repo, EmploymentRepository)
    return repo


def _assessment(cmd: c.Assess) -> Assessment:
    return Assessment(
        assessed_on=cmd.assessed_on,
        education_level=cmd.education_level,
        italian_level=cmd.italian_level,
        italian_assessed_on=cmd.italian_assessed_on,
        other_languages=tuple(cmd.other_languages),
        prior_sectors=tuple(cmd.prior_sectors),
        driving_licence=cmd.driving_licence,
    )


# --- consultations ----------------------------------------------------------------------


async def record_consultation(
    s: PartnerServices, partner_id: str, cmd: c.RecordConsultation
) -> UUID:
    consultation_id = cmd.consultation_id or uuid.uuid4()
    person = _person(s, cmd)
    async with s.uow() as uow:
        if await uow.replayed(Consultation, partner_id, cmd.consultation_id, cmd):
            return consultation_id
        consultation = Consultation.record(
            consultation_id, person, cmd.held_on, cmd.topic, cmd.minutes, cmd.worker_role
        )
        await uow.add(partner_id, consultation, command=cmd)
        await uow.publish(partner_id, consultation)
    return consultation_id


# --- group activities -------------------------------------------------------------------


async def schedule_group_activity(
    s: PartnerServices, partner_id: str, cmd: c.ScheduleGroupActivity
) -> UUID:
    group_activity_id = cmd.group_activity_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(GroupActivity, partner_id, cmd.group_activity_id, cmd):
            return group_activity_id
        activity = GroupActivity.schedule(group_activity_id, cmd.kind, cmd.scheduled_on)
        await uow.add(partner_id, activity, command=cmd)
        await uow.publish(partner_id, activity)
    return group_activity_id


async def hold_group_activity(
    s: PartnerServices, partner_id: str, group_activity_id: UUID, cmd: c.HoldGroupActivity
) -> GroupActivity:
    refs = sorted(s.person_ref_of(p) for p in cmd.registered_attendees)
    return await change(
        s,
        partner_id,
        GroupActivity,
        group_activity_id,
        lambda a: a.hold(cmd.held_on, refs, cmd.anonymous_attendees),
    )


async def cancel_group_activity(
    s: PartnerServices, partner_id: str, group_activity_id: UUID, cmd: c.CancelGroupActivity
) -> GroupActivity:
    return await change(
        s, partner_id, GroupActivity, group_activity_id, lambda a: a.cancel(cmd.cancelled_on)
    )


# --- skills profiles --------------------------------------------------------------------


async def open_skills_profile(
    s: PartnerServices, partner_id: str, cmd: c.OpenSkillsProfile
) -> UUID:
    skills_profile_id = cmd.skills_profile_id or uuid.uuid4()
    ref = s.person_ref_of(cmd)
    async with s.uow() as uow:
        if await uow.replayed(SkillsProfile, partner_id, cmd.skills_profile_id, cmd):
            return skills_profile_id
        profile = SkillsProfile(skills_profile_id, ref)
        profile.assess(_assessment(cmd))
        await uow.add(partner_id, profile, command=cmd)
        await uow.publish(partner_id, profile)
    return skills_profile_id


async def assess_skills(
    s: PartnerServices, partner_id: str, skills_profile_id: UUID, cmd: c.Assess
) -> SkillsProfile:
    assessment = _assessment(cmd)
    return await change(
        s, partner_id, SkillsProfile, skills_profile_id, lambda p: p.assess(assessment)
    )


# --- company agreements -----------------------------------------------------------------


async def sign_company_agreement(
    s: PartnerServices, partner_id: str, cmd: c.SignCompanyAgreement
) -> UUID:
    agreement_id = cmd.company_agreement_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(CompanyAgreement, partner_id, cmd.company_agreement_id, cmd):
            return agreement_id
        agreement = CompanyAgreement.sign(
            agreement_id,
            cmd.company_name,
            cmd.sector,
            cmd.places_offered,
            cmd.signed_on,
            cmd.valid_until,
        )
        await uow.add(partner_id, agreement, command=cmd)
        await uow.publish(partner_id, agreement)
    return agreement_id


async def end_company_agreement(
    s: PartnerServices, partner_id: str, agreement_id: UUID, cmd: c.EndCompanyAgreement
) -> CompanyAgreement:
    return await change(
        s, partner_id, CompanyAgreement, agreement_id, lambda a: a.end(cmd.ended_on)
    )


# --- training enrolments ----------------------------------------------------------------


async def enrol_in_training(s: PartnerServices, partner_id: str, cmd: c.EnrolInTraining) -> UUID:
    enrolment_id = cmd.enrolment_id or uuid.uuid4()
    person = _person(s, cmd)
    async with s.uow() as uow:
        if await uow.replayed(Enrolment, partner_id, cmd.enrolment_id, cmd):
            return enrolment_id
        enrolment = Enrolment.enrol(
            enrolment_id,
            person,
            cmd.course_title,
            cmd.provider,
            cmd.course_kind,
            cmd.hours,
            cmd.starts_on,
            cmd.ends_on,
        )
        await uow.add(partner_id, enrolment, command=cmd)
        await uow.publish(partner_id, enrolment)
    return enrolment_id


async def complete_enrolment(
    s: PartnerServices, partner_id: str, enrolment_id: UUID, cmd: c.CompleteEnrolment
) -> Enrolment:
    return await change(
        s, partner_id, Enrolment, enrolment_id, lambda e: e.complete(cmd.completed_on)
    )


async def drop_enrolment(
    s: PartnerServices, partner_id: str, enrolment_id: UUID, cmd: c.DropEnrolment
) -> Enrolment:
    return await change(s, partner_id, Enrolment, enrolment_id, lambda e: e.drop(cmd.dropped_on))


# --- internships ------------------------------------------------------------------------


async def start_internship(s: PartnerServices, partner_id: str, cmd: c.StartInternship) -> UUID:
    internship_id = cmd.internship_id or uuid.uuid4()
    person = _person(s, cmd)
    async with s.uow() as uow:
        if await uow.replayed(Internship, partner_id, cmd.internship_id, cmd):
            return internship_id
        agreement = await uow.must_get(CompanyAgreement, partner_id, cmd.company_agreement_id)
        internship = Internship.start(
            internship_id=internship_id,
            person=person,
            agreement=agreement,
            started_on=cmd.started_on,
            planned_end_on=cmd.planned_end_on,
            monthly_stipend_eur=cmd.monthly_stipend_eur,
            stipend_paid_by=cmd.stipend_paid_by,
            person_internships=await _repo(uow).open_internships(partner_id, person.person_ref),
        )
        await uow.add(partner_id, internship, command=cmd)
        await uow.publish(partner_id, internship)
    return internship_id


async def extend_internship(
    s: PartnerServices, partner_id: str, internship_id: UUID, cmd: c.ExtendInternship
) -> Internship:
    return await change(
        s, partner_id, Internship, internship_id, lambda i: i.extend(cmd.planned_end_on)
    )


async def end_internship(
    s: PartnerServices, partner_id: str, internship_id: UUID, cmd: c.EndInternship
) -> Internship:
    return await change(s, partner_id, Internship, internship_id, lambda i: i.end(cmd.ended_on))


async def record_internship_outcome(
    s: PartnerServices, partner_id: str, internship_id: UUID, cmd: c.RecordInternshipOutcome
) -> Internship:
    return await change(
        s,
        partner_id,
        Internship,
        internship_id,
        lambda i: i.record_outcome(cmd.outcome, cmd.recorded_on, cmd.interrupted_by),
    )


# --- hires ------------------------------------------------------------------------------


async def record_hire(s: PartnerServices, partner_id: str, cmd: c.RecordHire) -> UUID:
    hire_id = cmd.hire_id or uuid.uuid4()
    person = _person(s, cmd)
    async with s.uow() as uow:
        if await uow.replayed(Hire, partner_id, cmd.hire_id, cmd):
            return hire_id
        internship = None
        if cmd.internship_id is not None:
            internship = await uow.must_get(
                Internship, partner_id, cmd.internship_id, for_update=False
            )
        agreement_id = cmd.company_agreement_id
        if agreement_id is None and internship is not None and cmd.sector is None:
            agreement_id = internship.company_agreement_id  # hired where the intern trained
        agreement = None
        if agreement_id is not None:
            agreement = await uow.must_get(
                CompanyAgreement, partner_id, agreement_id, for_update=False
            )
        if internship is not None and internship.person_ref != person.person_ref:
            raise InvalidValue("the internship belongs to another person")
        hire = Hire.record(
            hire_id,
            person,
            cmd.contract_type,
            cmd.weekly_hours,
            cmd.started_on,
            await _repo(uow).first_contact_on(partner_id, person.person_ref),
            ends_on=cmd.ends_on,
            agreement=agreement,
            sector=cmd.sector,
            internship=internship,
        )
        await uow.add(partner_id, hire, command=cmd)
        await uow.publish(partner_id, hire)
    return hire_id


async def end_hire(s: PartnerServices, partner_id: str, hire_id: UUID, cmd: c.EndHire) -> Hire:
    return await change(s, partner_id, Hire, hire_id, lambda h: h.end(cmd.ended_on, cmd.reason))
