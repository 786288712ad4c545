"""Housing events: the published contract of the housing service.

Every event carries only ids, enums, dates, bounded integers and
pattern-constrained strings (``person_ref``, municipality code): never a name,
an address, a phone number or free text. A person appears only as ``person_ref``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import Field, model_validator

from franoi_contracts.base import (
    AgeBand,
    DomainEvent,
    MunicipalityCode,
    PersonRef,
    ProtectionStatus,
    Sex,
)

MIN_BEDS, MAX_BEDS = 1, 50
MIN_RENT_EUR, MAX_RENT_EUR = 0, 10_000
MIN_HOUSEHOLD, MAX_HOUSEHOLD = 1, 20
MIN_UNITS_PLEDGED, MAX_UNITS_PLEDGED = 0, 1_000

Beds = Annotated[int, Field(ge=MIN_BEDS, le=MAX_BEDS)]
RentEur = Annotated[int, Field(ge=MIN_RENT_EUR, le=MAX_RENT_EUR)]
"""Monthly rent in whole euros."""
HouseholdSize = Annotated[int, Field(ge=MIN_HOUSEHOLD, le=MAX_HOUSEHOLD)]
UnitsPledged = Annotated[int, Field(ge=MIN_UNITS_PLEDGED, le=MAX_UNITS_PLEDGED)]


class RentRegime(StrEnum):
    """How the rent of a unit is set."""

    AGREED = "agreed"
    """Controlled/agreed rent ("canone concordato")."""
    MARKET = "market"
    SOCIAL = "social"
    FREE = "free"
    """No rent charged (e.g. free loan for use): the monthly rent is 0."""


class UnitProvider(StrEnum):
    """Who makes a unit available."""

    ESTATE_AGENCY_AGREEMENT = "estate_agency_agreement"
    PRIVATE_OWNER = "private_owner"
    PARTNER_OWNED = "partner_owned"
    PUBLIC = "public"


class CounterpartKind(StrEnum):
    """The kind of counterpart of an agreement (never its name)."""

    ESTATE_AGENCY = "estate_agency"
    PRIVATE_OWNER = "private_owner"
    HOUSING_COOPERATIVE = "housing_cooperative"
    PUBLIC_BODY = "public_body"


class HousingNeed(StrEnum):
    """Why a household asks for housing."""

    EXIT_FROM_RECEPTION = "exit_from_reception"
    EVICTION_RISK = "eviction_risk"
    OVERCROWDING = "overcrowding"
    HOMELESS = "homeless"
    OTHER = "other"


class UnsatisfiedReason(StrEnum):
    """Why a request was closed without a placement."""

    NO_UNIT_AVAILABLE = "no_unit_available"
    HOUSEHOLD_NOT_ELIGIBLE = "household_not_eligible"
    LOST_CONTACT = "lost_contact"
    OTHER = "other"


class ExitOutcome(StrEnum):
    """Where a household went when its placement ended."""

    AUTONOMOUS_RENT = "autonomous_rent"
    PUBLIC_HOUSING = "public_housing"
    OTHER_PROJECT = "other_project"
    BACK_TO_RECEPTION = "back_to_reception"
    UNKNOWN = "unknown"


def check_rent(monthly_rent_eur: int, rent_regime: RentRegime) -> None:
    """A unit under the free regime has no rent."""
    if rent_regime is RentRegime.FREE and monthly_rent_eur != 0:
        raise ValueError("a unit under the free rent regime has a monthly rent of 0")


def check_agreement(provider: UnitProvider, agreement_id: UUID | None) -> None:
    """A unit provided through an estate-agency agreement names that agreement."""
    if provider is UnitProvider.ESTATE_AGENCY_AGREEMENT and agreement_id is None:
        raise ValueError("a unit provided through an estate-agency agreement needs agreement_id")


def check_not_before(later: dt.date | None, earlier: dt.date, what: str) -> None:
    """``later`` (when given) is not before ``earlier``."""
    if later is not None and later < earlier:
        raise ValueError(what)


# --- units -------------------------------------------------------------------------------


class UnitRegistered(DomainEvent):
    """A housing unit was made available to the partner."""

    TYPE: ClassVar[str] = "it.franoi.housing.unit.registered.v1"
    KEY: ClassVar[str] = "unit_id"

    unit_id: UUID
    municipality_code: MunicipalityCode
    beds: Beds
    monthly_rent_eur: RentEur
    rent_regime: RentRegime
    provider: UnitProvider
    agreement_id: UUID | None = None
    available_from: dt.date

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_rent(self.monthly_rent_eur, self.rent_regime)
        check_agreement(self.provider, self.agreement_id)
        return self


class UnitUpdated(DomainEvent):
    """A unit's beds, rent or rent regime changed (the new values)."""

    TYPE: ClassVar[str] = "it.franoi.housing.unit.updated.v1"
    KEY: ClassVar[str] = "unit_id"

    unit_id: UUID
    beds: Beds
    monthly_rent_eur: RentEur
    rent_regime: RentRegime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_rent(self.monthly_rent_eur, self.rent_regime)
        return self


class UnitWithdrawn(DomainEvent):
    """A unit is no longer available."""

    TYPE: ClassVar[str] = "it.franoi.housing.unit.withdrawn.v1"
    KEY: ClassVar[str] = "unit_id"

    unit_id: UUID
    withdrawn_on: dt.date


# --- agreements --------------------------------------------------------------------------


class AgreementSigned(DomainEvent):
    """An agreement with an estate agency, owner or public body was signed."""

    TYPE: ClassVar[str] = "it.franoi.housing.agreement.signed.v1"
    KEY: ClassVar[str] = "agreement_id"

    agreement_id: UUID
    counterpart_kind: CounterpartKind
    signed_on: dt.date
    valid_until: dt.date | None = None
    units_pledged: UnitsPledged | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(self.valid_until, self.signed_on, "valid_until is before signed_on")
        return self


class AgreementEnded(DomainEvent):
    """An agreement ended."""

    TYPE: ClassVar[str] = "it.franoi.housing.agreement.ended.v1"
    KEY: ClassVar[str] = "agreement_id"

    agreement_id: UUID
    ended_on: dt.date


# --- requests ----------------------------------------------------------------------------


class RequestSubmitted(DomainEvent):
    """A household asked for housing."""

    TYPE: ClassVar[str] = "it.franoi.housing.request.submitted.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    person_ref: PersonRef
    household_size: HouseholdSize
    need: HousingNeed
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class RequestSatisfied(DomainEvent):
    """A request was closed by a placement."""

    TYPE: ClassVar[str] = "it.franoi.housing.request.satisfied.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    closed_on: dt.date
    placement_id: UUID


class RequestUnsatisfied(DomainEvent):
    """A request was closed without a placement."""

    TYPE: ClassVar[str] = "it.franoi.housing.request.unsatisfied.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    closed_on: dt.date
    reason: UnsatisfiedReason


class RequestWithdrawn(DomainEvent):
    """The household withdrew its request."""

    TYPE: ClassVar[str] = "it.franoi.housing.request.withdrawn.v1"
    KEY: ClassVar[str] = "request_id"

    request_id: UUID
    closed_on: dt.date


# --- placements --------------------------------------------------------------------------


class PlacementStarted(DomainEvent):
    """A household moved into a unit."""

    TYPE: ClassVar[str] = "it.franoi.housing.placement.started.v1"
    KEY: ClassVar[str] = "placement_id"

    placement_id: UUID
    unit_id: UUID
    request_id: UUID | None = None
    person_ref: PersonRef
    household_size: HouseholdSize
    started_on: dt.date
    planned_end_on: dt.date | None = None
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_not_before(
            self.planned_end_on, self.started_on, "planned_end_on is before started_on"
        )
        return self


class PlacementExtended(DomainEvent):
    """A placement's planned end changed."""

    TYPE: ClassVar[str] = "it.franoi.housing.placement.extended.v1"
    KEY: ClassVar[str] = "placement_id"

    placement_id: UUID
    planned_end_on: dt.date


class PlacementEnded(DomainEvent):
    """A household left its unit."""

    TYPE: ClassVar[str] = "it.franoi.housing.placement.ended.v1"
    KEY: ClassVar[str] = "placement_id"

    placement_id: UUID
    unit_id: UUID
    ended_on: dt.date
    exit_outcome: ExitOutcome


HOUSING_EVENTS: tuple[type[DomainEvent], ...] = (
    UnitRegistered,
    UnitUpdated,
    UnitWithdrawn,
    AgreementSigned,
    AgreementEnded,
    RequestSubmitted,
    RequestSatisfied,
    RequestUnsatisfied,
    RequestWithdrawn,
    PlacementStarted,
    PlacementExtended,
    PlacementEnded,
)
"""Every housing event type, in contract order."""
