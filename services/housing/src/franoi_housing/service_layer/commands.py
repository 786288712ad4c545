"""Commands: what a social worker asks the housing service to do.

They are the API's request bodies too, so their validation is the API's: bad
input is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self
from uuid import UUID

from franoi_common.events import AgeBand, MunicipalityCode, PersonRef, ProtectionStatus, Sex
from franoi_contracts.housing import (
    CounterpartKind,
    ExitOutcome,
    HousingNeed,
    RentRegime,
    UnitProvider,
    UnsatisfiedReason,
)
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (PostgreSQL text cannot hold NUL; none belongs in a label)."""


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignAgreement(Command):
    agreement_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    counterpart_kind: CounterpartKind
    counterpart_name: (
        Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)] | None
    ) = Field(None, description="Local label of the agency or owner; kept in this service only")
    signed_on: dt.date
    valid_until: dt.date | None = None
    units_pledged: Annotated[int, Field(ge=0, le=1000)] | None = None


class EndAgreement(Command):
    ended_on: dt.date


class RegisterUnit(Command):
    unit_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    municipality_code: MunicipalityCode = Field(description="Cadastral code, e.g. L219 (Torino)")
    beds: Annotated[int, Field(ge=1, le=50)]
    monthly_rent_eur: Annotated[int, Field(ge=0, le=10000)]
    rent_regime: RentRegime
    provider: UnitProvider
    agreement_id: UUID | None = None
    available_from: dt.date


class UpdateUnit(Command):
    beds: Annotated[int, Field(ge=1, le=50)] | None = None
    monthly_rent_eur: Annotated[int, Field(ge=0, le=10000)] | None = None
    rent_regime: RentRegime | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.beds is None and self.monthly_rent_eur is None and self.rent_regime is None:
            raise ValueError("give at least one of beds, monthly_rent_eur, rent_regime")
        return self


class WithdrawUnit(Command):
    withdrawn_on: dt.date


class PersonInput(Command):
    """Who the request or placement is for: an identifier (pseudonymised at once, never
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
    household_size: Annotated[int, Field(ge=1, le=20)]
    need: HousingNeed
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class DeclareUnsatisfied(Command):
    closed_on: dt.date
    reason: UnsatisfiedReason


class WithdrawRequest(Command):
    closed_on: dt.date


class StartPlacement(PersonInput):
    placement_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    unit_id: UUID
    request_id: UUID | None = Field(None, description="The request this placement satisfies")
    household_size: Annotated[int, Field(ge=1, le=20)]
    started_on: dt.date
    planned_end_on: dt.date | None = None
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class ExtendPlacement(Command):
    planned_end_on: dt.date


class EndPlacement(Command):
    ended_on: dt.date
    exit_outcome: ExitOutcome
