"""Commands: what a social worker asks the hosting service to do (the API's request bodies,
validated as :class:`franoi_common.persons.Command` says)."""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from franoi_common.periods import EndedAtOnce, EndedOn
from franoi_common.person_requests import WithdrawRequest as WithdrawRequest
from franoi_common.persons import ClientId, Command, Day, Label, PersonInput
from franoi_contracts.base import AgeBand, MunicipalityCode, ProtectionStatus, Sex
from franoi_contracts.hosting import (
    MAX_LANGUAGES,
    ContributionEur,
    DecidedBy,
    FamilyRejectionReason,
    FamilyRequestKind,
    HouseholdSize,
    LanguageCode,
    PlannedMonths,
    Rooms,
    StayOutcome,
    UnsatisfiedReason,
    VisitFlag,
    Wellbeing,
)
from pydantic import Field, model_validator

Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=MAX_LANGUAGES)]
Phone = Annotated[str, Field(min_length=5, max_length=30, pattern=r"^\+?[0-9 ()./-]+$")]
Email = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


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
    family_id: ClientId = None
    municipality_code: MunicipalityCode = Field(description="Cadastral code, e.g. F205 (Milano)")
    rooms_offered: Rooms
    household_size: HouseholdSize
    languages: Languages = Field(description="ISO 639 codes of the languages spoken")
    applied_on: Day
    private: FamilyPrivate = Field(default_factory=FamilyPrivate)


class UpdateFamily(Command):
    rooms_offered: Rooms | None = Field(
        None,
        description="Held on every day of the family's history: fewer are refused when its "
        "stays and waiting matches took more on some day",
    )
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
    interview_on: Day
    home_visit_on: Day


class ApproveFamily(Command):
    approved_on: Day


class RejectFamily(Command):
    rejected_on: Day
    reason: FamilyRejectionReason


class PauseFamily(Command):
    paused_on: Day


class ResumeFamily(Command):
    resumed_on: Day


class WithdrawFamily(Command):
    withdrawn_on: Day


# --- requests ----------------------------------------------------------------------------


class SubmitRequest(PersonInput):
    request_id: ClientId = None
    kind: FamilyRequestKind
    household_size: HouseholdSize
    submitted_on: Day
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class SatisfyRequest(Command):
    """Only for family-support requests; a hosting request is satisfied by its stay."""

    closed_on: Day


class DeclareUnsatisfied(Command):
    closed_on: Day
    reason: UnsatisfiedReason


# --- matches -----------------------------------------------------------------------------


class ProposeMatch(PersonInput):
    match_id: ClientId = None
    family_id: UUID
    request_id: UUID | None = Field(None, description="The person's open hosting request")
    proposed_on: Day


class AcceptMatch(Command):
    accepted_on: Day


class DeclineMatch(Command):
    declined_on: Day
    declined_by: DecidedBy


class CancelMatch(Command):
    cancelled_on: Day
    cancelled_by: DecidedBy


# --- stays and visits --------------------------------------------------------------------


class StartStay(Command, EndedAtOnce):
    stay_id: ClientId = None
    match_id: UUID = Field(description="The accepted match the stay starts from")
    started_on: Day
    planned_months: PlannedMonths
    planned_end_on: Day | None = Field(None, description="Default: start + planned months")
    monthly_contribution_eur: ContributionEur
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    ended_on: EndedOn = None
    outcome: StayOutcome | None = Field(None, description="With ended_on: how it ended")

    END_NEEDS = ("outcome",)


class RecordStayWithItsMatch(PersonInput, EndedAtOnce):
    """A stay of the past with the match it started from, as one row of an import: the match
    proposed and accepted, then the stay (held back, a match accepted years ago would hold
    its room until a later file brought its stay)."""

    stay_id: ClientId = None
    family_id: UUID
    request_id: UUID | None = None
    proposed_on: Day
    accepted_on: Day
    started_on: Day
    planned_months: PlannedMonths
    planned_end_on: Day | None = None
    monthly_contribution_eur: ContributionEur
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    ended_on: EndedOn = None
    outcome: StayOutcome | None = None

    END_NEEDS = ("outcome",)


class ExtendStay(Command):
    planned_months: PlannedMonths
    planned_end_on: Day | None = None


class EndStay(Command):
    ended_on: Day
    outcome: StayOutcome


class RecordVisit(Command):
    visit_id: ClientId = None
    visited_on: Day
    guest_wellbeing: Wellbeing
    family_wellbeing: Wellbeing
    flags: Annotated[list[VisitFlag], Field(max_length=len(VisitFlag))] = []
