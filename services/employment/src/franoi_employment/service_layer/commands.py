"""Commands: what a worker of the desk asks the employment service to do.

They are the API's request bodies too, so their validation is the API's: bad
input is refused before anything is written. Dates are bounded (2000 to 2100);
rules across fields and records (dates in order, one open internship...) are the
domain's. A person is given as in every service: ``person_identifier``
(pseudonymised at once, never stored) or ``person_ref``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from franoi_common.agreements import EndAgreement
from franoi_common.periods import EndedOn
from franoi_common.persons import ClientId, Command, Day, Label, PersonInput
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.employment import (
    MAX_LANGUAGES,
    MAX_REGISTERED_ATTENDEES,
    AtecoSection,
    Attendees,
    ConsultationTopic,
    ContractType,
    CourseHours,
    CourseKind,
    DrivingLicence,
    EducationLevel,
    GroupActivityKind,
    HireEndReason,
    InternshipOutcome,
    InterruptedBy,
    ItalianLevel,
    LanguageCode,
    Minutes,
    PlacesOffered,
    StipendEur,
    StipendPayer,
    WeeklyHours,
    WorkerRole,
)
from pydantic import Field


class AboutAPerson(PersonInput):
    """A command about one person, with the coarse attributes the network counts by."""

    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class RecordConsultation(AboutAPerson):
    consultation_id: ClientId = None
    held_on: Day
    topic: ConsultationTopic
    minutes: Minutes
    worker_role: WorkerRole


class ScheduleGroupActivity(Command):
    group_activity_id: ClientId = None
    kind: GroupActivityKind
    scheduled_on: Day


class HoldGroupActivity(Command):
    held_on: Day
    registered_attendees: Annotated[
        list[PersonInput], Field(max_length=MAX_REGISTERED_ATTENDEES)
    ] = Field(default_factory=list, description="The partner's persons who attended")
    anonymous_attendees: Attendees = Field(
        0, description="Attendees not registered by the partner (e.g. pupils)"
    )


class CancelGroupActivity(Command):
    cancelled_on: Day


class Assess(Command):
    """One assessment of a person's skills (a new version of their profile)."""

    assessed_on: Day
    education_level: EducationLevel
    italian_level: ItalianLevel
    italian_assessed_on: Day
    other_languages: Annotated[list[LanguageCode], Field(max_length=MAX_LANGUAGES)] = Field(
        default_factory=list, description="ISO 639 codes, e.g. en, ar, tir"
    )
    prior_sectors: Annotated[list[AtecoSection], Field(max_length=21)] = Field(
        default_factory=list, description="ATECO sections of earlier work"
    )
    driving_licence: DrivingLicence


class OpenSkillsProfile(PersonInput, Assess):
    skills_profile_id: ClientId = None


class SignCompanyAgreement(Command):
    company_agreement_id: ClientId = None
    company_name: Label = Field(description="The company's name; kept in this service only")
    sector: AtecoSection = Field(description="ATECO section letter, e.g. I (hospitality)")
    places_offered: PlacesOffered
    signed_on: Day
    valid_until: Day | None = None


class EndCompanyAgreement(EndAgreement):
    pass  # the shared end, under the name the company agreements' API gives it


class EnrolInTraining(AboutAPerson):
    enrolment_id: ClientId = None
    course_title: Label = Field(description="Kept in this service only")
    provider: Label = Field(description="Kept in this service only")
    course_kind: CourseKind
    hours: CourseHours
    starts_on: Day
    ends_on: Day


class CompleteEnrolment(Command):
    completed_on: Day


class DropEnrolment(Command):
    dropped_on: Day


class StartInternship(AboutAPerson):
    internship_id: ClientId = None
    company_agreement_id: UUID
    started_on: Day
    planned_end_on: Day
    monthly_stipend_eur: StipendEur
    stipend_paid_by: StipendPayer
    ended_on: EndedOn = None


class ExtendInternship(Command):
    planned_end_on: Day


class EndInternship(Command):
    ended_on: Day


class RecordInternshipOutcome(Command):
    outcome: InternshipOutcome
    interrupted_by: InterruptedBy | None = Field(
        None, description="Who interrupted it: given exactly when the outcome is interrupted"
    )
    recorded_on: Day


class RecordHire(AboutAPerson):
    hire_id: ClientId = None
    company_agreement_id: UUID | None = Field(
        None, description="The agreement with the employer, if any (gives the sector)"
    )
    internship_id: UUID | None = Field(None, description="The internship this hire follows")
    sector: AtecoSection | None = Field(None, description="Needed without an agreement")
    contract_type: ContractType
    weekly_hours: WeeklyHours
    started_on: Day
    ends_on: Day | None = None


class EndHire(Command):
    ended_on: Day
    reason: HireEndReason
