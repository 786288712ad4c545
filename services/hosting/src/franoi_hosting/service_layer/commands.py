"""Commands: what a social worker asks the hosting service to do.

They are the API's request bodies too, so their validation is the API's: bad
input is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self
from uuid import UUID

from franoi_common.events import AgeBand, MunicipalityCode, PersonRef, ProtectionStatus, Sex
from franoi_contracts.hosting import (
    MAX_CONTRIBUTION_EUR,
    MAX_HOUSEHOLD,
    MAX_LANGUAGES,
    MAX_PLANNED_MONTHS,
    MAX_ROOMS,
    MAX_WELLBEING,
    MIN_CONTRIBUTION_EUR,
    MIN_HOUSEHOLD,
    MIN_PLANNED_MONTHS,
    MIN_ROOMS,
    MIN_WELLBEING,
    DecidedBy,
    FamilyRejectionReason,
    FamilyRequestKind,
    LanguageCode,
    StayOutcome,
    UnsatisfiedReason,
    VisitFlag,
)
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (PostgreSQL text cannot hold NUL; none belongs in a label)."""

Label = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
Rooms = Annotated[int, Field(ge=MIN_ROOMS, le=MAX_ROOMS)]
HouseholdSize = Annotated[int, Field(ge=MIN_HOUSEHOLD, le=MAX_HOUSEHOLD)]
Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=MAX_LANGUAGES)]
PlannedMonths = Annotated[int, Field(ge=MIN_PLANNED_MONTHS, le=MAX_PLANNED_MONTHS)]
Contribution = Annotated[int, Field(ge=MIN_CONTRIBUTION_EUR, le=MAX_CONTRIBUTION_EUR)]
Wellbeing = Annotated[int, Field(ge=MIN_WELLBEING, le=MAX_WELLBEING)]
Phone = Annotated[str, Field(min_length=5, max_length=30, pattern=r"^\+?[0-9 ()./-]+$")]
Email = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- families ----------------------------------------------------------------------------


class FamilyMember(Command):
    full_name: Label
    relationship: Label | None = None


class FamilyPrivate(Command):
    """Who the family is and how to reach it: personal data of private persons, kept in
    this service only (never in an event, a log line or a list)."""

    members: Annotated[list[FamilyMember], Field(max_length=20)] = []
    address: Label | None = None
    phone: Phone | None = None
    email: Email | None = None


class ApplyFamily(Command):
    family_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    municipality_code: MunicipalityCode = Field(description="Cadastral code, e.g. F205 (Milano)")
    rooms_offered: Rooms
    household_size: HouseholdSize
    languages: Languages = Field(description="ISO 639 codes of the languages spoken")
    applied_on: dt.date
    private: FamilyPrivate = Field(default_factory=FamilyPrivate)


class UpdateFamily(Command):
    rooms_offered: Rooms | None = None
    household_size: HouseholdSize | None = None
    languages: Languages | None = None
    private: FamilyPrivate | None = Field(None, description="Replaces the private data")

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if all(
            v is None
            for v in (self.rooms_offered, self.household_size, self.languages, self.private)
        ):
            raise ValueError(
                "give at least one of rooms_offered, household_size, languages, private"
            )
        return self


class AssessFamily(Command):
    interview_on: dt.date
    home_visit_on: dt.date


class ApproveFamily(Command):
    approved_on: dt.date


class RejectFamily(Command):
    rejected_on: dt.date
    reason: FamilyRejectionReason


class PauseFamily(Command):
    paused_on: dt.date


class ResumeFamily(Command):
    resumed_on: dt.date


class WithdrawFamily(Command):
    withdrawn_on: dt.date


# --- requests ----------------------------------------------------------------------------


class PersonInput(Command):
    """Who the request or match is for: an identifier (pseudonymised at once, never
    stored) or an already computed ``person_ref``."""

    person_identifier: SecretStr | None = Field(
        None,
        description="Tax code or permit number; turned into person_ref and discarded",
        min_length=6,
        max_length=64,
    )
    person_ref: PersonRef | None = None

    @model_validator(mode="after")
    def _exactly_one_person(self) -> Self:
        if (self.person_identifier is None) == (self.person_ref is None):
            raise ValueError("give exactly one of person_identifier and person_ref")
        return self


class SubmitRequest(PersonInput):
    request_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    kind: FamilyRequestKind
    household_size: HouseholdSize
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class SatisfyRequest(Command):
    """Only for family-support requests; a hosting request is satisfied by its stay."""

    closed_on: dt.date


class DeclareUnsatisfied(Command):
    closed_on: dt.date
    reason: UnsatisfiedReason


class WithdrawRequest(Command):
    closed_on: dt.date


# --- matches -----------------------------------------------------------------------------


class ProposeMatch(PersonInput):
    match_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    family_id: UUID
    request_id: UUID | None = Field(None, description="The person's open hosting request")
    proposed_on: dt.date


class AcceptMatch(Command):
    accepted_on: dt.date


class DeclineMatch(Command):
    declined_on: dt.date
    declined_by: DecidedBy


class CancelMatch(Command):
    cancelled_on: dt.date
    cancelled_by: DecidedBy


# --- stays and visits --------------------------------------------------------------------


class StartStay(Command):
    stay_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    match_id: UUID = Field(description="The accepted match the stay starts from")
    started_on: dt.date
    planned_months: PlannedMonths
    planned_end_on: dt.date | None = Field(None, description="Default: start + planned months")
    monthly_contribution_eur: Contribution
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class ExtendStay(Command):
    planned_months: PlannedMonths
    planned_end_on: dt.date | None = None


class EndStay(Command):
    ended_on: dt.date
    outcome: StayOutcome


class RecordVisit(Command):
    visit_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    visited_on: dt.date
    guest_wellbeing: Wellbeing
    family_wellbeing: Wellbeing
    flags: Annotated[list[VisitFlag], Field(max_length=len(VisitFlag))] = []
