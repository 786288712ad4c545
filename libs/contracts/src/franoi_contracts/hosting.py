"""Family-hosting events: the published contract of the hosting service.

A host family is a household of private persons: its members' names, its
address and its contacts stay in the hosting service. Events carry the
family's id, its municipality and coarse attributes only (rooms offered,
household size, languages spoken). Guests and requesters appear only as
``person_ref`` plus coarse attributes (sex, age band, protection status,
household size). No event carries free text: reasons and flags are enums.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from franoi_contracts.base import (
    AgeBand,
    DomainEvent,
    MunicipalityCode,
    PersonRef,
    ProtectionStatus,
    Sex,
)

MIN_ROOMS, MAX_ROOMS = 1, 10
MIN_HOUSEHOLD, MAX_HOUSEHOLD = 1, 20
MIN_PLANNED_MONTHS, MAX_PLANNED_MONTHS = 1, 36
MIN_CONTRIBUTION_EUR, MAX_CONTRIBUTION_EUR = 0, 3_000
MIN_WELLBEING, MAX_WELLBEING = 1, 5
LOW_WELLBEING = 2
"""A score at or below this in a stay's last visit puts the stay on the follow-up list."""
MAX_LANGUAGES = 12

Rooms = Annotated[int, Field(ge=MIN_ROOMS, le=MAX_ROOMS)]
"""Rooms a family offers; one guest per room."""
HouseholdSize = Annotated[int, Field(ge=MIN_HOUSEHOLD, le=MAX_HOUSEHOLD)]
PlannedMonths = Annotated[int, Field(ge=MIN_PLANNED_MONTHS, le=MAX_PLANNED_MONTHS)]
ContributionEur = Annotated[int, Field(ge=MIN_CONTRIBUTION_EUR, le=MAX_CONTRIBUTION_EUR)]
"""Monthly contribution paid to the host family, in whole euros."""
Wellbeing = Annotated[int, Field(ge=MIN_WELLBEING, le=MAX_WELLBEING)]
"""1 (very poor) to 5 (very good)."""
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
"""ISO 639-1 or 639-3 code of a language (``it``, ``en``, ``ar``, ``tir``)."""
Languages = Annotated[
    list[LanguageCode],
    Field(min_length=1, max_length=MAX_LANGUAGES, json_schema_extra={"uniqueItems": True}),
]


class FamilyRejectionReason(StrEnum):
    """Why a family's application was not approved."""

    HOME_UNSUITABLE = "home_unsuitable"
    MOTIVATION_UNSUITABLE = "motivation_unsuitable"
    AVAILABILITY_INSUFFICIENT = "availability_insufficient"
    OTHER = "other"


class FamilyRequestKind(StrEnum):
    """What a family-axis request asks for: hosting, or one kind of family support."""

    HOSTING = "hosting"
    CHILDCARE = "childcare"
    CARE_DUTIES = "care_duties"
    SCHOOL_SUPPORT = "school_support"
    PARENTING_SUPPORT = "parenting_support"


class UnsatisfiedReason(StrEnum):
    """Why a family-axis request was closed without being satisfied."""

    NO_FAMILY_AVAILABLE = "no_family_available"
    NO_SERVICE_AVAILABLE = "no_service_available"
    NOT_ELIGIBLE = "not_eligible"
    LOST_CONTACT = "lost_contact"
    OTHER = "other"


class DecidedBy(StrEnum):
    """Who declined a proposal or called off an accepted match."""

    GUEST = "guest"
    FAMILY = "family"
    PARTNER = "partner"


class StayOutcome(StrEnum):
    """How a hosting stay ended."""

    COMPLETED_WITH_AUTONOMY = "completed_with_autonomy"
    COMPLETED_OTHERWISE = "completed_otherwise"
    INTERRUPTED_BY_FAMILY = "interrupted_by_family"
    INTERRUPTED_BY_GUEST = "interrupted_by_guest"
    OTHER = "other"


class VisitFlag(StrEnum):
    """An area of concern noted at a monitoring visit."""

    CONFLICT = "conflict"
    HEALTH = "health"
    HOUSING = "housing"
    WORK = "work"
    DOCUMENTS = "documents"


def check_not_before(later: dt.date | None, earlier: dt.date, what: str) -> None:
    """``later`` (when given) is not before ``earlier``."""
    if later is not None and later < earlier:
        raise ValueError(what)


def check_unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} has repeated values")


# --- host families -----------------------------------------------------------------------


class FamilyApplied(DomainEvent):
    """A household applied to host (its members' identity stays in the hosting service)."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.applied.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    municipality_code: MunicipalityCode
    rooms_offered: Rooms
    household_size: HouseholdSize
    languages: Languages
    applied_on: dt.date

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_unique(self.languages, "languages")
        return self


class FamilyUpdated(DomainEvent):
    """A family's rooms offered, household size or languages changed (the new values)."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.updated.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    rooms_offered: Rooms
    household_size: HouseholdSize
    languages: Languages

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_unique(self.languages, "languages")
        return self


class FamilyAssessed(DomainEvent):
    """The vetting interview and home visit took place."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.assessed.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    interview_on: dt.date
    home_visit_on: dt.date


class FamilyApproved(DomainEvent):
    """The family was approved after assessment and is active (available to host)."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.approved.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    approved_on: dt.date


class FamilyRejected(DomainEvent):
    """The family's application was not approved."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.rejected.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    rejected_on: dt.date
    reason: FamilyRejectionReason


class FamilyPaused(DomainEvent):
    """An approved family is temporarily not available for new matches."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.paused.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    paused_on: dt.date


class FamilyResumed(DomainEvent):
    """A paused family is available again."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.resumed.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    resumed_on: dt.date


class FamilyWithdrawn(DomainEvent):
    """The family left the programme (or withdrew its application)."""

    TYPE: ClassVar[str] = "it.franoi.hosting.family.withdrawn.v1"
    KEY: ClassVar[str] = "family_id"

    family_id: UUID
    withdrawn_on: dt.date


# --- family-axis requests ----------------------------------------------------------------


class RequestSubmitted(DomainEvent):
    """A person or household asked for hosting in a family or for family support."""

    TYPE: ClassVar[str] = "it.franoi.hosting.request.submitted.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    person_ref: PersonRef
    kind: FamilyRequestKind
    household_size: HouseholdSize
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class RequestSatisfied(DomainEvent):
    """A request was satisfied: a hosting request by a stay, a support request directly."""

    TYPE: ClassVar[str] = "it.franoi.hosting.request.satisfied.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    closed_on: dt.date
    stay_id: UUID | None = None


class RequestUnsatisfied(DomainEvent):
    """A request was closed without being satisfied."""

    TYPE: ClassVar[str] = "it.franoi.hosting.request.unsatisfied.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    closed_on: dt.date
    reason: UnsatisfiedReason


class RequestWithdrawn(DomainEvent):
    """The person withdrew the request."""

    TYPE: ClassVar[str] = "it.franoi.hosting.request.withdrawn.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    closed_on: dt.date


# --- matches -----------------------------------------------------------------------------


class MatchProposed(DomainEvent):
    """An approved, active family was proposed to host a person."""

    TYPE: ClassVar[str] = "it.franoi.hosting.match.proposed.v1"
    KEY: ClassVar[str] = "match_id"

    match_id: UUID
    family_id: UUID
    request_id: UUID | None = None
    person_ref: PersonRef
    proposed_on: dt.date


class MatchAccepted(DomainEvent):
    """Guest and family accepted the match: a room is held for the guest."""

    TYPE: ClassVar[str] = "it.franoi.hosting.match.accepted.v1"
    KEY: ClassVar[str] = "match_id"

    match_id: UUID
    family_id: UUID
    accepted_on: dt.date


class MatchDeclined(DomainEvent):
    """A proposed match was declined."""

    TYPE: ClassVar[str] = "it.franoi.hosting.match.declined.v1"
    KEY: ClassVar[str] = "match_id"

    match_id: UUID
    family_id: UUID
    declined_on: dt.date
    declined_by: DecidedBy


class MatchCancelled(DomainEvent):
    """An accepted match was called off before its stay started (the room is free again)."""

    TYPE: ClassVar[str] = "it.franoi.hosting.match.cancelled.v1"
    KEY: ClassVar[str] = "match_id"

    match_id: UUID
    family_id: UUID
    cancelled_on: dt.date
    cancelled_by: DecidedBy


# --- hosting stays -----------------------------------------------------------------------


class StayStarted(DomainEvent):
    """A guest moved in with a family, from an accepted match."""

    TYPE: ClassVar[str] = "it.franoi.hosting.stay.started.v1"
    KEY: ClassVar[str] = "stay_id"

    stay_id: UUID
    match_id: UUID
    family_id: UUID
    request_id: UUID | None = None
    person_ref: PersonRef
    started_on: dt.date
    planned_months: PlannedMonths
    planned_end_on: dt.date
    monthly_contribution_eur: ContributionEur
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(self.planned_end_on, self.started_on, "planned_end_on is before start")
        return self


class StayExtended(DomainEvent):
    """A stay's planned end changed."""

    TYPE: ClassVar[str] = "it.franoi.hosting.stay.extended.v1"
    KEY: ClassVar[str] = "stay_id"

    stay_id: UUID
    planned_months: PlannedMonths
    planned_end_on: dt.date


class StayVisitRecorded(DomainEvent):
    """A monitoring visit during a stay: wellbeing of guest and family, areas of concern."""

    TYPE: ClassVar[str] = "it.franoi.hosting.stay.visit_recorded.v1"
    KEY: ClassVar[str] = "stay_id"

    stay_id: UUID
    visit_id: UUID
    family_id: UUID
    visited_on: dt.date
    guest_wellbeing: Wellbeing
    family_wellbeing: Wellbeing
    flags: Annotated[
        list[VisitFlag],
        Field(max_length=len(VisitFlag), json_schema_extra={"uniqueItems": True}),
    ] = []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_unique([f.value for f in self.flags], "flags")
        return self


class StayEnded(DomainEvent):
    """A stay ended, with its outcome (set once)."""

    TYPE: ClassVar[str] = "it.franoi.hosting.stay.ended.v1"
    KEY: ClassVar[str] = "stay_id"

    stay_id: UUID
    family_id: UUID
    ended_on: dt.date
    outcome: StayOutcome


HOSTING_EVENTS: tuple[type[DomainEvent], ...] = (
    FamilyApplied,
    FamilyUpdated,
    FamilyAssessed,
    FamilyApproved,
    FamilyRejected,
    FamilyPaused,
    FamilyResumed,
    FamilyWithdrawn,
    RequestSubmitted,
    RequestSatisfied,
    RequestUnsatisfied,
    RequestWithdrawn,
    MatchProposed,
    MatchAccepted,
    MatchDeclined,
    MatchCancelled,
    StayStarted,
    StayExtended,
    StayVisitRecorded,
    StayEnded,
)
"""Every hosting event type, in contract order."""
