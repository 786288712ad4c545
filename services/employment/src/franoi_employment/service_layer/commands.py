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

from franoi_common.api import Day
from franoi_common.persons import PRINTABLE, Command, PersonInput
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.employment import (
    MAX_ATTENDEES,
    MAX_COURSE_HOURS,
    MAX_LANGUAGES,
    MAX_MINUTES,
    MAX_PLACES,
    MAX_REGISTERED_ATTENDEES,
    MAX_STIPEND_EUR,
    MAX_WEEKLY_HOURS,
    MIN_ATTENDEES,
    MIN_COURSE_HOURS,
    MIN_MINUTES,
    MIN_PLACES,
    MIN_STIPEND_EUR,
    MIN_WEEKLY_HOURS,
    AtecoSection,
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
    LanguageCode,
    StipendPayer,
    WorkerRole,
)
from pydantic import Field

CLIENT_ID = "Client-chosen id: retrying the identical request answers the same resource"
Label = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
"""A company name, course title or provider: kept in this service, never published."""


class AboutAPerson(PersonInput):
    """A command about one person, with the coarse attributes the network counts by."""

    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class RecordConsultation(AboutAPerson):
    consultation_id: UUID | None = Field(None, description=CLIENT_ID)
    held_on: Day
    topic: ConsultationTopic
    minutes: Annotated[int, Field(ge=MIN_MINUTES, le=MAX_MINUTES)]
    worker_role: WorkerRole


class ScheduleGroupActivity(Command):
    group_activity_id: UUID | None = Field(None, description=CLIENT_ID)
    kind: GroupActivityKind
    scheduled_on: Day


class HoldGroupActivity(Command):
    held_on: Day
    registered_attendees: Annotated[
        list[PersonInput], Field(max_length=MAX_REGISTERED_ATTENDEES)
    ] = Field(default_factory=list, description="The partner's persons who attended")
    anonymous_attendees: Annotated[int, Field(ge=MIN_ATTENDEES, le=MAX_ATTENDEES)] = Field(
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
    skills_profile_id: UUID | None = Field(None, description=CLIENT_ID)


class SignCompanyAgreement(Command):
    company_agreement_id: UUID | None = Field(None, description=CLIENT_ID)
    company_name: Label = Field(description="The company's name; kept in this service only")
    sector: AtecoSection = Field(description="ATECO section letter, e.g. I (hospitality)")
    places_offered: Annotated[int, Field(ge=MIN_PLACES, le=MAX_PLACES)]
    signed_on: Day
    valid_until: Day | None = None


class EndCompanyAgreement(Command):
    ended_on: Day


class EnrolInTraining(AboutAPerson):
    enrolment_id: UUID | None = Field(None, description=CLIENT_ID)
    course_title: Label = Field(description="Kept in this service only")
    provider: Label = Field(description="Kept in this service only")
    course_kind: CourseKind
    hours: Annotated[int, Field(ge=MIN_COURSE_HOURS, le=MAX_COURSE_HOURS)]
    starts_on: Day
    ends_on: Day


class CompleteEnrolment(Command):
    completed_on: Day


class DropEnrolment(Command):
    dropped_on: Day


class StartInternship(AboutAPerson):
    internship_id: UUID | None = Field(None, description=CLIENT_ID)
    company_agreement_id: UUID
    started_on: Day
    planned_end_on: Day
    monthly_stipend_eur: Annotated[int, Field(ge=MIN_STIPEND_EUR, le=MAX_STIPEND_EUR)]
    stipend_paid_by: StipendPayer


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
    hire_id: UUID | None = Field(None, description=CLIENT_ID)
    company_agreement_id: UUID | None = Field(
        None, description="The agreement with the employer, if any (gives the sector)"
    )
    internship_id: UUID | None = Field(None, description="The internship this hire follows")
    sector: AtecoSection | None = Field(None, description="Needed without an agreement")
    contract_type: ContractType
    weekly_hours: Annotated[int, Field(ge=MIN_WEEKLY_HOURS, le=MAX_WEEKLY_HOURS)]
    started_on: Day
    ends_on: Day | None = None


class EndHire(Command):
    ended_on: Day
    reason: HireEndReason
