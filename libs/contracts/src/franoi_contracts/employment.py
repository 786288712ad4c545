"""Employment events: the published contract of the employment service (the work desk).

Every event carries only ids, enums, dates, bounded integers and
pattern-constrained strings (``person_ref``, ATECO section letters, language
codes): never a person's name, a company's name, a course title, a provider or
any other free text. A person appears only as ``person_ref``; a company only as
the id of the partner's agreement with it and its ATECO section.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from franoi_contracts.base import AgeBand, DomainEvent, PersonRef, ProtectionStatus, Sex

MIN_MINUTES, MAX_MINUTES = 1, 480
MIN_PLACES, MAX_PLACES = 0, 1_000
MIN_ATTENDEES, MAX_ATTENDEES = 0, 5_000
MAX_REGISTERED_ATTENDEES = 500
MIN_COURSE_HOURS, MAX_COURSE_HOURS = 1, 2_000
MIN_STIPEND_EUR, MAX_STIPEND_EUR = 0, 3_000
MIN_WEEKLY_HOURS, MAX_WEEKLY_HOURS = 1, 60
MIN_VERSION, MAX_VERSION = 1, 10_000
MAX_LANGUAGES = 10

AtecoSection = Annotated[str, StringConstraints(pattern=r"^[A-U]$")]
"""ATECO 2007 / NACE Rev. 2 section letter (e.g. ``C`` manufacturing, ``I`` hospitality)."""
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
"""ISO 639-1 or 639-3 language code (e.g. ``en``, ``ar``, ``tir``)."""
Minutes = Annotated[int, Field(ge=MIN_MINUTES, le=MAX_MINUTES)]
PlacesOffered = Annotated[int, Field(ge=MIN_PLACES, le=MAX_PLACES)]
Attendees = Annotated[int, Field(ge=MIN_ATTENDEES, le=MAX_ATTENDEES)]
CourseHours = Annotated[int, Field(ge=MIN_COURSE_HOURS, le=MAX_COURSE_HOURS)]
StipendEur = Annotated[int, Field(ge=MIN_STIPEND_EUR, le=MAX_STIPEND_EUR)]
"""Monthly stipend in whole euros."""
WeeklyHours = Annotated[int, Field(ge=MIN_WEEKLY_HOURS, le=MAX_WEEKLY_HOURS)]
Version = Annotated[int, Field(ge=MIN_VERSION, le=MAX_VERSION)]


class ConsultationTopic(StrEnum):
    """What an individual consultation at the work desk was about."""

    ORIENTATION = "orientation"
    CV_AND_APPLICATIONS = "cv_and_applications"
    JOB_SEARCH = "job_search"
    SAVINGS_AND_FINANCIAL_EDUCATION = "savings_and_financial_education"
    RIGHTS_AND_CONTRACTS = "rights_and_contracts"


class WorkerRole(StrEnum):
    """The role of the worker who held a consultation (never who they are)."""

    JOB_COUNSELLOR = "job_counsellor"
    SOCIAL_WORKER = "social_worker"
    FINANCIAL_EDUCATOR = "financial_educator"
    CULTURAL_MEDIATOR = "cultural_mediator"
    VOLUNTEER = "volunteer"
    OTHER = "other"


class GroupActivityKind(StrEnum):
    ORIENTATION_GROUP = "orientation_group"
    FINANCIAL_EDUCATION_PATH = "financial_education_path"
    SCHOOL_SESSION = "school_session"
    """A session on saving held in a school (attendees are mostly anonymous pupils)."""


class EducationLevel(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    VOCATIONAL = "vocational"
    TERTIARY = "tertiary"
    UNKNOWN = "unknown"


class ItalianLevel(StrEnum):
    """CEFR level of Italian (``pre_a1``: not yet A1)."""

    PRE_A1 = "pre_a1"
    A1 = "a1"
    A2 = "a2"
    B1 = "b1"
    B2 = "b2"
    C1 = "c1"
    C2 = "c2"


class DrivingLicence(StrEnum):
    NONE = "none"
    CAR = "car"
    """Italian/EU category B."""
    PROFESSIONAL = "professional"
    """Categories C, D or E (lorries, buses)."""
    FOREIGN_NOT_CONVERTED = "foreign_not_converted"


class CourseKind(StrEnum):
    """The kind of a training course (its title and provider stay in the service)."""

    ITALIAN_LANGUAGE = "italian_language"
    VOCATIONAL = "vocational"
    SAFETY_CERTIFICATE = "safety_certificate"
    DIGITAL_SKILLS = "digital_skills"
    JOB_READINESS = "job_readiness"
    OTHER = "other"


class StipendPayer(StrEnum):
    """Who pays an internship's monthly stipend."""

    PROJECT = "project"
    HOST_COMPANY = "host_company"
    PUBLIC_PROGRAMME = "public_programme"
    SHARED = "shared"


class InternshipOutcome(StrEnum):
    HIRED = "hired"
    NOT_HIRED = "not_hired"
    INTERRUPTED = "interrupted"


class InterruptedBy(StrEnum):
    """Who interrupted an internship."""

    INTERN = "intern"
    COMPANY = "company"
    PARTNER = "partner"
    MUTUAL = "mutual"


class ContractType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    APPRENTICESHIP = "apprenticeship"
    AGENCY = "agency"
    SEASONAL = "seasonal"
    OTHER = "other"


CONTRACTS_WITH_END: frozenset[ContractType] = frozenset(
    {ContractType.FIXED_TERM, ContractType.SEASONAL}
)
"""Contract types that always have an end date."""


class HireEndReason(StrEnum):
    CONTRACT_EXPIRED = "contract_expired"
    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    OTHER = "other"


def check_not_before(later: dt.date | None, earlier: dt.date, what: str) -> None:
    """``later`` (when given) is not before ``earlier``."""
    if later is not None and later < earlier:
        raise ValueError(what)


def check_contract_end(contract_type: ContractType, ends_on: dt.date | None) -> None:
    """Fixed-term and seasonal contracts have an end date; permanent ones have none."""
    if contract_type in CONTRACTS_WITH_END and ends_on is None:
        raise ValueError(f"a {contract_type.value} contract needs ends_on")
    if contract_type is ContractType.PERMANENT and ends_on is not None:
        raise ValueError("a permanent contract has no ends_on")


def check_interrupted_by(outcome: InternshipOutcome, interrupted_by: InterruptedBy | None) -> None:
    """``interrupted_by`` is given exactly when the outcome is ``interrupted``."""
    if (outcome is InternshipOutcome.INTERRUPTED) != (interrupted_by is not None):
        raise ValueError("interrupted_by is given exactly when the outcome is interrupted")


def check_unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} has duplicates")


# --- consultations -----------------------------------------------------------------------


class ConsultationRecorded(DomainEvent):
    """An individual consultation at the work desk took place."""

    TYPE: ClassVar[str] = "it.franoi.employment.consultation.recorded.v1"
    KEY: ClassVar[str] = "consultation_id"

    consultation_id: UUID
    person_ref: PersonRef
    held_on: dt.date
    topic: ConsultationTopic
    minutes: Minutes
    worker_role: WorkerRole
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


# --- group activities --------------------------------------------------------------------


class GroupActivityScheduled(DomainEvent):
    """An orientation group, financial-education path or school session was scheduled."""

    TYPE: ClassVar[str] = "it.franoi.employment.group_activity.scheduled.v1"
    KEY: ClassVar[str] = "group_activity_id"

    group_activity_id: UUID
    kind: GroupActivityKind
    scheduled_on: dt.date


class GroupActivityHeld(DomainEvent):
    """A group activity took place: who of the partner's persons attended, plus how many
    anonymous attendees (e.g. pupils)."""

    TYPE: ClassVar[str] = "it.franoi.employment.group_activity.held.v1"
    KEY: ClassVar[str] = "group_activity_id"

    group_activity_id: UUID
    kind: GroupActivityKind
    held_on: dt.date
    registered_attendees: Annotated[list[PersonRef], Field(max_length=MAX_REGISTERED_ATTENDEES)]
    anonymous_attendees: Attendees

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_unique(self.registered_attendees, "registered_attendees")
        return self


class GroupActivityCancelled(DomainEvent):
    """A scheduled group activity will not take place."""

    TYPE: ClassVar[str] = "it.franoi.employment.group_activity.cancelled.v1"
    KEY: ClassVar[str] = "group_activity_id"

    group_activity_id: UUID
    cancelled_on: dt.date


# --- skills profiles ---------------------------------------------------------------------


class SkillsProfileAssessed(DomainEvent):
    """A new version of a person's skills profile: earlier versions stay as they were."""

    TYPE: ClassVar[str] = "it.franoi.employment.skills_profile.assessed.v1"
    KEY: ClassVar[str] = "skills_profile_id"

    skills_profile_id: UUID
    version: Version
    person_ref: PersonRef
    assessed_on: dt.date
    education_level: EducationLevel
    italian_level: ItalianLevel
    italian_assessed_on: dt.date
    other_languages: Annotated[list[LanguageCode], Field(max_length=MAX_LANGUAGES)]
    prior_sectors: Annotated[list[AtecoSection], Field(max_length=21)]
    driving_licence: DrivingLicence

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(
            self.assessed_on, self.italian_assessed_on, "italian_assessed_on is after assessed_on"
        )
        check_unique(self.other_languages, "other_languages")
        check_unique(self.prior_sectors, "prior_sectors")
        return self


# --- company agreements ------------------------------------------------------------------


class CompanyAgreementSigned(DomainEvent):
    """The partner signed an agreement with a company offering internships or jobs."""

    TYPE: ClassVar[str] = "it.franoi.employment.company_agreement.signed.v1"
    KEY: ClassVar[str] = "company_agreement_id"

    company_agreement_id: UUID
    sector: AtecoSection
    places_offered: PlacesOffered
    signed_on: dt.date
    valid_until: dt.date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(self.valid_until, self.signed_on, "valid_until is before signed_on")
        return self


class CompanyAgreementEnded(DomainEvent):
    """A company agreement ended."""

    TYPE: ClassVar[str] = "it.franoi.employment.company_agreement.ended.v1"
    KEY: ClassVar[str] = "company_agreement_id"

    company_agreement_id: UUID
    ended_on: dt.date


# --- training enrolments -----------------------------------------------------------------


class EnrolmentStarted(DomainEvent):
    """A person was enrolled in a training course."""

    TYPE: ClassVar[str] = "it.franoi.employment.enrolment.started.v1"
    KEY: ClassVar[str] = "enrolment_id"

    enrolment_id: UUID
    person_ref: PersonRef
    course_kind: CourseKind
    hours: CourseHours
    starts_on: dt.date
    ends_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(self.ends_on, self.starts_on, "ends_on is before starts_on")
        return self


class EnrolmentCompleted(DomainEvent):
    """The person completed the course."""

    TYPE: ClassVar[str] = "it.franoi.employment.enrolment.completed.v1"
    KEY: ClassVar[str] = "enrolment_id"

    enrolment_id: UUID
    completed_on: dt.date


class EnrolmentDropped(DomainEvent):
    """The person left the course before its end."""

    TYPE: ClassVar[str] = "it.franoi.employment.enrolment.dropped.v1"
    KEY: ClassVar[str] = "enrolment_id"

    enrolment_id: UUID
    dropped_on: dt.date


# --- internships -------------------------------------------------------------------------


class InternshipStarted(DomainEvent):
    """An internship ("tirocinio", "borsa lavoro") with a stipend started at a company."""

    TYPE: ClassVar[str] = "it.franoi.employment.internship.started.v1"
    KEY: ClassVar[str] = "internship_id"

    internship_id: UUID
    person_ref: PersonRef
    company_agreement_id: UUID
    sector: AtecoSection
    started_on: dt.date
    planned_end_on: dt.date
    monthly_stipend_eur: StipendEur
    stipend_paid_by: StipendPayer
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(
            self.planned_end_on, self.started_on, "planned_end_on is before started_on"
        )
        return self


class InternshipExtended(DomainEvent):
    """An open internship's planned end changed."""

    TYPE: ClassVar[str] = "it.franoi.employment.internship.extended.v1"
    KEY: ClassVar[str] = "internship_id"

    internship_id: UUID
    planned_end_on: dt.date


class InternshipEnded(DomainEvent):
    """An internship ended (its outcome is recorded separately, on or after this day)."""

    TYPE: ClassVar[str] = "it.franoi.employment.internship.ended.v1"
    KEY: ClassVar[str] = "internship_id"

    internship_id: UUID
    ended_on: dt.date


class InternshipOutcomeRecorded(DomainEvent):
    """The outcome of an ended internship: hired, not hired, or interrupted (by whom)."""

    TYPE: ClassVar[str] = "it.franoi.employment.internship.outcome_recorded.v1"
    KEY: ClassVar[str] = "internship_id"

    internship_id: UUID
    outcome: InternshipOutcome
    interrupted_by: InterruptedBy | None = None
    ended_on: dt.date
    recorded_on: dt.date

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_interrupted_by(self.outcome, self.interrupted_by)
        check_not_before(self.recorded_on, self.ended_on, "recorded_on is before ended_on")
        return self


# --- hires -------------------------------------------------------------------------------


class HireRecorded(DomainEvent):
    """A person was hired (possibly after an internship)."""

    TYPE: ClassVar[str] = "it.franoi.employment.hire.recorded.v1"
    KEY: ClassVar[str] = "hire_id"

    hire_id: UUID
    person_ref: PersonRef
    company_agreement_id: UUID | None = None
    internship_id: UUID | None = None
    sector: AtecoSection
    contract_type: ContractType
    weekly_hours: WeeklyHours
    started_on: dt.date
    ends_on: dt.date | None = None
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_contract_end(self.contract_type, self.ends_on)
        check_not_before(self.ends_on, self.started_on, "ends_on is before started_on")
        return self


class HireEnded(DomainEvent):
    """A job ended."""

    TYPE: ClassVar[str] = "it.franoi.employment.hire.ended.v1"
    KEY: ClassVar[str] = "hire_id"

    hire_id: UUID
    ended_on: dt.date
    reason: HireEndReason


EMPLOYMENT_EVENTS: tuple[type[DomainEvent], ...] = (
    ConsultationRecorded,
    GroupActivityScheduled,
    GroupActivityHeld,
    GroupActivityCancelled,
    SkillsProfileAssessed,
    CompanyAgreementSigned,
    CompanyAgreementEnded,
    EnrolmentStarted,
    EnrolmentCompleted,
    EnrolmentDropped,
    InternshipStarted,
    InternshipExtended,
    InternshipEnded,
    InternshipOutcomeRecorded,
    HireRecorded,
    HireEnded,
)
"""Every employment event type, in contract order."""
