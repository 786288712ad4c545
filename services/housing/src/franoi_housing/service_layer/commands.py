"""Commands: what a social worker asks the housing service to do (the API's request bodies,
validated as :class:`franoi_common.persons.Command` says)."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from franoi_common.agreements import EndAgreement as EndAgreement
from franoi_common.periods import EndedAtOnce, EndedOn
from franoi_common.person_requests import WithdrawRequest as WithdrawRequest
from franoi_common.persons import ClientId, Command, Day, Label, PersonInput
from franoi_contracts.base import AgeBand, MunicipalityCode, ProtectionStatus, Sex
from franoi_contracts.housing import (
    Beds,
    CounterpartKind,
    ExitOutcome,
    HouseholdSize,
    HousingNeed,
    RentEur,
    RentRegime,
    UnitProvider,
    UnitsPledged,
    UnsatisfiedReason,
)
from pydantic import Field, model_validator


class SignAgreement(Command):
    agreement_id: ClientId = None
    counterpart_kind: CounterpartKind
    counterpart_name: Label | None = Field(
        None, description="Local label of the agency or owner; kept in this service only"
    )
    signed_on: Day
    valid_until: Day | None = None
    units_pledged: UnitsPledged | None = None


class RegisterUnit(Command):
    unit_id: ClientId = None
    municipality_code: MunicipalityCode = Field(description="Cadastral code, e.g. L219 (Torino)")
    beds: Beds
    monthly_rent_eur: RentEur
    rent_regime: RentRegime
    provider: UnitProvider
    agreement_id: UUID | None = None
    available_from: Day


class UpdateUnit(Command):
    beds: Beds | None = None
    monthly_rent_eur: RentEur | None = None
    rent_regime: RentRegime | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.beds is None and self.monthly_rent_eur is None and self.rent_regime is None:
            raise ValueError("give at least one of beds, monthly_rent_eur, rent_regime")
        return self


class WithdrawUnit(Command):
    withdrawn_on: Day


class SubmitRequest(PersonInput):
    request_id: ClientId = None
    household_size: HouseholdSize
    need: HousingNeed
    submitted_on: Day
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class DeclareUnsatisfied(Command):
    closed_on: Day
    reason: UnsatisfiedReason


class StartPlacement(PersonInput, EndedAtOnce):
    placement_id: ClientId = None
    unit_id: UUID
    request_id: UUID | None = Field(None, description="The request this placement satisfies")
    household_size: HouseholdSize
    started_on: Day
    planned_end_on: Day | None = None
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    ended_on: EndedOn = None
    exit_outcome: ExitOutcome | None = Field(None, description="With ended_on: how it ended")

    END_NEEDS = ("exit_outcome",)


class ExtendPlacement(Command):
    planned_end_on: Day


class EndPlacement(Command):
    ended_on: Day
    exit_outcome: ExitOutcome
