"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all, and it answers the
aggregate it created or changed. Lock order is company agreement → person → internship →
hire, so commands touching the same records cannot interleave (the person's lock serialises
the internships of one person, whose one-at-a-time rule reads the person's internships
before it writes). Creates with a client-chosen id are safe to retry: an identical retry
answers the existing resource and records nothing.
"""

from __future__ import annotations

import functools
from uuid import UUID

from franoi_common.agreements import ending
from franoi_common.commands import (
    CommandUnit,
    PartnerServices,
    arguments,
    change,
    changes,
    create,
    new,
)
from franoi_common.errors import AlreadyExists
from franoi_common.periods import extending, lock_person, overlapping

from franoi_employment.adapters.repository import EmploymentRepository
from franoi_employment.domain.model import (
    Assessment,
    Consultation,
    GroupActivity,
    InternshipAlreadyOpen,
    InvalidValue,
    Person,
    SkillsProfile,
)
from franoi_employment.domain.work import CompanyAgreement, Enrolment, Hire, Internship
from franoi_employment.service_layer.commands import (
    AboutAPerson,
    Assess,
    CancelGroupActivity,
    CompleteEnrolment,
    DropEnrolment,
    EndCompanyAgreement,
    EndHire,
    EndInternship,
    EnrolInTraining,
    ExtendInternship,
    HoldGroupActivity,
    OpenSkillsProfile,
    RecordConsultation,
    RecordHire,
    RecordInternshipOutcome,
    ScheduleGroupActivity,
    SignCompanyAgreement,
    StartInternship,
)

employment_services = functools.partial(
    PartnerServices,
    repository=EmploymentRepository,
    constraint_errors={
        "internships_one_open_per_person": lambda: InternshipAlreadyOpen(
            "the person already has an open internship"
        ),
        "skills_profiles_one_per_person": lambda: AlreadyExists(
            "the person already has a skills profile: add an assessment to it"
        ),
    },
)
"""What the handlers need (given the pool, the outbox and the keys), built by bootstrap."""


def _repo(uow: CommandUnit) -> EmploymentRepository:
    return uow.repository(EmploymentRepository)


def _person(s: PartnerServices, cmd: AboutAPerson) -> Person:
    return Person(s.person_ref_of(cmd), cmd.sex, cmd.age_band, cmd.protection_status)


def _assessment(cmd: Assess) -> Assessment:
    return Assessment(
        **arguments(
            Assessment,
            cmd,
            other_languages=tuple(cmd.other_languages),
            prior_sectors=tuple(cmd.prior_sectors),
        )
    )


# --- consultations ----------------------------------------------------------------------


async def record_consultation(
    s: PartnerServices, partner_id: str, cmd: RecordConsultation
) -> Consultation:
    return await create(s, partner_id, Consultation.record, cmd, person=_person(s, cmd))


# --- group activities -------------------------------------------------------------------


async def schedule_group_activity(
    s: PartnerServices, partner_id: str, cmd: ScheduleGroupActivity
) -> GroupActivity:
    return await create(s, partner_id, GroupActivity.schedule, cmd)


async def hold_group_activity(
    s: PartnerServices, partner_id: str, group_activity_id: UUID, cmd: HoldGroupActivity
) -> GroupActivity:
    """Record that the activity took place, with its attendance."""
    refs = sorted(s.person_ref_of(p) for p in cmd.registered_attendees)

    def hold(activity: GroupActivity) -> None:
        activity.hold(cmd.held_on, refs, cmd.anonymous_attendees)

    return await change(s, partner_id, GroupActivity, group_activity_id, hold)


@changes(GroupActivity)
def cancel_group_activity(activity: GroupActivity, cmd: CancelGroupActivity) -> None:
    activity.cancel(cmd.cancelled_on)


# --- skills profiles --------------------------------------------------------------------


async def open_skills_profile(
    s: PartnerServices, partner_id: str, cmd: OpenSkillsProfile
) -> SkillsProfile:
    """A person's profile with its first assessment (one profile per person)."""
    ref = s.person_ref_of(cmd)

    def open_profile(skills_profile_id: UUID) -> SkillsProfile:
        profile = SkillsProfile(skills_profile_id, ref)
        profile.assess(_assessment(cmd))
        return profile

    return await new(s, partner_id, SkillsProfile, cmd.skills_profile_id, cmd, open_profile)


@changes(SkillsProfile)
def assess_skills(profile: SkillsProfile, cmd: Assess) -> None:
    """A new version of the profile; earlier versions are kept."""
    profile.assess(_assessment(cmd))


# --- company agreements -----------------------------------------------------------------


async def sign_company_agreement(
    s: PartnerServices, partner_id: str, cmd: SignCompanyAgreement
) -> CompanyAgreement:
    return await create(s, partner_id, CompanyAgreement.sign, cmd)


end_company_agreement = ending(CompanyAgreement, EndCompanyAgreement)


# --- training enrolments ----------------------------------------------------------------


async def enrol_in_training(s: PartnerServices, partner_id: str, cmd: EnrolInTraining) -> Enrolment:
    return await create(s, partner_id, Enrolment.enrol, cmd, person=_person(s, cmd))


@changes(Enrolment)
def complete_enrolment(enrolment: Enrolment, cmd: CompleteEnrolment) -> None:
    enrolment.complete(cmd.completed_on)


@changes(Enrolment)
def drop_enrolment(enrolment: Enrolment, cmd: DropEnrolment) -> None:
    enrolment.drop(cmd.dropped_on)


# --- internships ------------------------------------------------------------------------


async def start_internship(s: PartnerServices, partner_id: str, cmd: StartInternship) -> Internship:
    person = _person(s, cmd)

    async def start(uow: CommandUnit, internship_id: UUID) -> Internship:
        agreement = await uow.must_get(CompanyAgreement, partner_id, cmd.company_agreement_id)
        await lock_person(uow.repo, Internship, partner_id, person.person_ref)
        internship = Internship.start(
            **arguments(
                Internship.start,
                cmd,
                internship_id=internship_id,
                person=person,
                agreement=agreement,
                person_internships=await overlapping(
                    uow.repo,
                    Internship,
                    partner_id,
                    cmd.started_on,
                    cmd.ended_on,
                    person_ref=person.person_ref,
                ),
            )
        )
        if cmd.ended_on is not None:  # a past internship recorded at once
            internship.end(cmd.ended_on)
        return internship

    return await new(s, partner_id, Internship, cmd.internship_id, cmd, start)


extend_internship = extending(Internship, ExtendInternship)


@changes(Internship)
def end_internship(internship: Internship, cmd: EndInternship) -> None:
    internship.end(cmd.ended_on)


@changes(Internship)
def record_internship_outcome(internship: Internship, cmd: RecordInternshipOutcome) -> None:
    """Set the outcome of an ended internship: once, on or after its end."""
    internship.record_outcome(cmd.outcome, cmd.recorded_on, cmd.interrupted_by)


# --- hires ------------------------------------------------------------------------------


async def record_hire(s: PartnerServices, partner_id: str, cmd: RecordHire) -> Hire:
    """A hire; it cannot start before the person's first contact with the desk."""
    person = _person(s, cmd)

    async def record(uow: CommandUnit, hire_id: UUID) -> Hire:
        internship = await uow.must_get_optional(
            Internship, partner_id, cmd.internship_id, for_update=False
        )
        agreement_id = cmd.company_agreement_id
        if agreement_id is None and internship is not None and cmd.sector is None:
            agreement_id = internship.company_agreement_id  # hired where the intern trained
        agreement = await uow.must_get_optional(
            CompanyAgreement, partner_id, agreement_id, for_update=False
        )
        if internship is not None and internship.person_ref != person.person_ref:
            raise InvalidValue("the internship belongs to another person")
        return Hire.record(
            **arguments(
                Hire.record,
                cmd,
                hire_id=hire_id,
                person=person,
                first_contact_on=await _repo(uow).first_contact_on(partner_id, person.person_ref),
                agreement=agreement,
                internship=internship,
            )
        )

    return await new(s, partner_id, Hire, cmd.hire_id, cmd, record)


@changes(Hire)
def end_hire(hire: Hire, cmd: EndHire) -> None:
    hire.end(cmd.ended_on, cmd.reason)
