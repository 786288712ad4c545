"""Housing aggregates: units, agreements, requests and placements.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and
records what happened in its ``events`` list; the service layer persists the
aggregates and moves their events to the outbox. A method that succeeds changes
state and records exactly one event; a method that fails raises a
:class:`HousingError` and changes nothing. A terminal transition repeated with
the same data (a client retrying "end this placement") succeeds and records
nothing, so retries are safe.

Invariants:

* no unit over capacity: the household sizes of a unit's active placements add
  up to at most the unit's beds;
* one active placement per person (the repository passes the person's active
  placements to :meth:`HousingUnit.start_placement`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from franoi_common import errors
from franoi_common.domain import Checks, repeats
from franoi_common.errors import DomainError
from franoi_contracts.base import AgeBand, DomainEvent, ProtectionStatus, Sex
from franoi_contracts.housing import (
    MAX_BEDS,
    MAX_HOUSEHOLD,
    MAX_RENT_EUR,
    MAX_UNITS_PLEDGED,
    MIN_BEDS,
    MIN_HOUSEHOLD,
    MIN_RENT_EUR,
    MIN_UNITS_PLEDGED,
    AgreementEnded,
    AgreementSigned,
    CounterpartKind,
    ExitOutcome,
    HousingNeed,
    PlacementEnded,
    PlacementExtended,
    PlacementStarted,
    RentRegime,
    RequestSatisfied,
    RequestSubmitted,
    RequestUnsatisfied,
    RequestWithdrawn,
    UnitProvider,
    UnitRegistered,
    UnitUpdated,
    UnitWithdrawn,
    UnsatisfiedReason,
)

# --- errors ------------------------------------------------------------------------------


class HousingError(DomainError):
    """A command the housing domain refuses; ``str(error)`` is a message for people."""

    code = "housing_error"


class CapacityExceeded(HousingError):
    """The unit's active placements would need more beds than it has."""

    status = 409
    code = "capacity_exceeded"
    title = "Capacity exceeded"


class PersonAlreadyPlaced(HousingError):
    """The person already has an active placement."""

    status = 409
    code = "person_already_placed"
    title = "Person already placed"


class InvalidTransition(errors.InvalidTransition, HousingError):
    """The aggregate is not in a state that allows the command."""


class InvalidDates(errors.InvalidDates, HousingError):
    """The dates of the command are inconsistent."""


class InvalidValue(errors.InvalidValue, HousingError):
    """A value is out of its range or malformed."""


_checks = Checks(InvalidValue, InvalidDates)


def _check_rent(monthly_rent_eur: int, rent_regime: RentRegime) -> None:
    _checks.range("monthly_rent_eur", monthly_rent_eur, MIN_RENT_EUR, MAX_RENT_EUR)
    if rent_regime is RentRegime.FREE and monthly_rent_eur != 0:
        raise InvalidValue("a unit under the free rent regime has a monthly rent of 0")


# --- statuses ----------------------------------------------------------------------------


class RequestStatus(StrEnum):
    OPEN = "open"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    WITHDRAWN = "withdrawn"


class PlacementStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


# --- agreements --------------------------------------------------------------------------


@dataclass(eq=False)
class Agreement:
    """An agreement with an estate agency, owner, cooperative or public body."""

    agreement_id: UUID
    counterpart_kind: CounterpartKind
    signed_on: dt.date
    valid_until: dt.date | None = None
    units_pledged: int | None = None
    ended_on: dt.date | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Agreement) and other.agreement_id == self.agreement_id

    def __hash__(self) -> int:
        return hash(self.agreement_id)

    @classmethod
    def sign(
        cls,
        agreement_id: UUID,
        counterpart_kind: CounterpartKind,
        signed_on: dt.date,
        valid_until: dt.date | None = None,
        units_pledged: int | None = None,
    ) -> Agreement:
        """Record a newly signed agreement."""
        if valid_until is not None:
            _checks.not_before(valid_until, signed_on, "an agreement cannot expire before signing")
        if units_pledged is not None:
            _checks.range("units_pledged", units_pledged, MIN_UNITS_PLEDGED, MAX_UNITS_PLEDGED)
        agreement = cls(agreement_id, counterpart_kind, signed_on, valid_until, units_pledged)
        agreement.events.append(
            AgreementSigned(
                agreement_id=agreement_id,
                counterpart_kind=counterpart_kind,
                signed_on=signed_on,
                valid_until=valid_until,
                units_pledged=units_pledged,
            )
        )
        return agreement

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    def end(self, on: dt.date) -> None:
        """End the agreement (once; repeating the same end changes nothing)."""
        if self.ended_on == on:
            return
        if self.ended_on is not None:
            raise InvalidTransition(f"the agreement already ended on {self.ended_on}")
        _checks.not_before(on, self.signed_on, "an agreement cannot end before it was signed")
        self.ended_on = on
        self.events.append(AgreementEnded(agreement_id=self.agreement_id, ended_on=on))


# --- requests ----------------------------------------------------------------------------


@dataclass(eq=False)
class HousingRequest:
    """A household's request for housing: open, then satisfied, unsatisfied or withdrawn."""

    request_id: UUID
    person_ref: str
    household_size: int
    need: HousingNeed
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    status: RequestStatus = RequestStatus.OPEN
    closed_on: dt.date | None = None
    placement_id: UUID | None = None
    unsatisfied_reason: UnsatisfiedReason | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HousingRequest) and other.request_id == self.request_id

    def __hash__(self) -> int:
        return hash(self.request_id)

    @classmethod
    def submit(
        cls,
        request_id: UUID,
        person_ref: str,
        household_size: int,
        need: HousingNeed,
        submitted_on: dt.date,
        sex: Sex,
        age_band: AgeBand,
        protection_status: ProtectionStatus,
    ) -> HousingRequest:
        """Record a new open request."""
        _checks.person_ref(person_ref)
        _checks.range("household_size", household_size, MIN_HOUSEHOLD, MAX_HOUSEHOLD)
        request = cls(
            request_id=request_id,
            person_ref=person_ref,
            household_size=household_size,
            need=need,
            submitted_on=submitted_on,
            sex=sex,
            age_band=age_band,
            protection_status=protection_status,
        )
        request.events.append(
            RequestSubmitted(
                request_id=request_id,
                person_ref=person_ref,
                household_size=household_size,
                need=need,
                submitted_on=submitted_on,
                sex=sex,
                age_band=age_band,
                protection_status=protection_status,
            )
        )
        return request

    @property
    def is_open(self) -> bool:
        return self.status is RequestStatus.OPEN

    def check_can_close(self, on: dt.date) -> None:
        """Raise unless the request is open and ``on`` is not before its submission."""
        if not self.is_open:
            raise InvalidTransition(f"the request is already closed ({self.status.value})")
        _checks.not_before(on, self.submitted_on, "a request cannot close before it was submitted")

    def satisfy(self, on: dt.date, placement_id: UUID) -> None:
        """Close the request with a placement."""
        self.check_can_close(on)
        self.status, self.closed_on, self.placement_id = RequestStatus.SATISFIED, on, placement_id
        self.events.append(
            RequestSatisfied(request_id=self.request_id, closed_on=on, placement_id=placement_id)
        )

    def declare_unsatisfied(self, on: dt.date, reason: UnsatisfiedReason) -> None:
        """Close the request without a placement (repeating it changes nothing)."""
        if repeats(self, status=RequestStatus.UNSATISFIED, closed_on=on, unsatisfied_reason=reason):
            return
        self.check_can_close(on)
        self.status, self.closed_on = RequestStatus.UNSATISFIED, on
        self.unsatisfied_reason = reason
        self.events.append(
            RequestUnsatisfied(request_id=self.request_id, closed_on=on, reason=reason)
        )

    def withdraw(self, on: dt.date) -> None:
        """Close the request because the household withdrew it (repeating it changes nothing)."""
        if repeats(self, status=RequestStatus.WITHDRAWN, closed_on=on):
            return
        self.check_can_close(on)
        self.status, self.closed_on = RequestStatus.WITHDRAWN, on
        self.events.append(RequestWithdrawn(request_id=self.request_id, closed_on=on))


# --- placements --------------------------------------------------------------------------


@dataclass(eq=False)
class Placement:
    """A household living in a unit: active, then ended with an exit outcome.

    Created by :meth:`HousingUnit.start_placement`, which records ``PlacementStarted``.
    """

    placement_id: UUID
    unit_id: UUID
    person_ref: str
    household_size: int
    started_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    request_id: UUID | None = None
    planned_end_on: dt.date | None = None
    status: PlacementStatus = PlacementStatus.ACTIVE
    ended_on: dt.date | None = None
    exit_outcome: ExitOutcome | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Placement) and other.placement_id == self.placement_id

    def __hash__(self) -> int:
        return hash(self.placement_id)

    @property
    def is_active(self) -> bool:
        return self.status is PlacementStatus.ACTIVE

    def _check_active(self) -> None:
        if not self.is_active:
            raise InvalidTransition(f"the placement already ended on {self.ended_on}")

    def extend(self, planned_end_on: dt.date) -> None:
        """Set a new planned end (not before the start) on an active placement."""
        self._check_active()
        _checks.not_before(
            planned_end_on, self.started_on, "the planned end cannot be before the start"
        )
        self.planned_end_on = planned_end_on
        self.events.append(
            PlacementExtended(placement_id=self.placement_id, planned_end_on=planned_end_on)
        )

    def end(self, on: dt.date, exit_outcome: ExitOutcome) -> None:
        """End an active placement (not before its start) with the household's exit outcome;
        repeating the same end changes nothing."""
        if repeats(self, ended_on=on, exit_outcome=exit_outcome):
            return
        self._check_active()
        _checks.not_before(on, self.started_on, "a placement cannot end before it started")
        self.status, self.ended_on, self.exit_outcome = PlacementStatus.ENDED, on, exit_outcome
        self.events.append(
            PlacementEnded(
                placement_id=self.placement_id,
                unit_id=self.unit_id,
                ended_on=on,
                exit_outcome=exit_outcome,
            )
        )


# --- units -------------------------------------------------------------------------------


@dataclass(eq=False)
class HousingUnit:
    """A housing unit with its beds and its active placements (loaded by the repository)."""

    unit_id: UUID
    municipality_code: str
    beds: int
    monthly_rent_eur: int
    rent_regime: RentRegime
    provider: UnitProvider
    available_from: dt.date
    agreement_id: UUID | None = None
    withdrawn_on: dt.date | None = None
    active_placements: list[Placement] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HousingUnit) and other.unit_id == self.unit_id

    def __hash__(self) -> int:
        return hash(self.unit_id)

    @classmethod
    def register(
        cls,
        unit_id: UUID,
        municipality_code: str,
        beds: int,
        monthly_rent_eur: int,
        rent_regime: RentRegime,
        provider: UnitProvider,
        available_from: dt.date,
        agreement_id: UUID | None = None,
    ) -> HousingUnit:
        """Record a new unit."""
        _checks.municipality_code(municipality_code)
        _checks.range("beds", beds, MIN_BEDS, MAX_BEDS)
        _check_rent(monthly_rent_eur, rent_regime)
        if provider is UnitProvider.ESTATE_AGENCY_AGREEMENT and agreement_id is None:
            raise InvalidValue("a unit provided through an estate-agency agreement needs one")
        unit = cls(
            unit_id=unit_id,
            municipality_code=municipality_code,
            beds=beds,
            monthly_rent_eur=monthly_rent_eur,
            rent_regime=rent_regime,
            provider=provider,
            available_from=available_from,
            agreement_id=agreement_id,
        )
        unit.events.append(
            UnitRegistered(
                unit_id=unit_id,
                municipality_code=municipality_code,
                beds=beds,
                monthly_rent_eur=monthly_rent_eur,
                rent_regime=rent_regime,
                provider=provider,
                agreement_id=agreement_id,
                available_from=available_from,
            )
        )
        return unit

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None

    @property
    def occupied_beds(self) -> int:
        """Beds taken by the households of the active placements."""
        return sum(p.household_size for p in self.active_placements if p.is_active)

    @property
    def free_beds(self) -> int:
        return self.beds - self.occupied_beds

    def _check_not_withdrawn(self) -> None:
        if self.withdrawn_on is not None:
            raise InvalidTransition(f"the unit was withdrawn on {self.withdrawn_on}")

    def update(
        self,
        *,
        beds: int | None = None,
        monthly_rent_eur: int | None = None,
        rent_regime: RentRegime | None = None,
    ) -> None:
        """Change beds, rent or rent regime (``None`` keeps the current value)."""
        self._check_not_withdrawn()
        new_beds = self.beds if beds is None else beds
        new_rent = self.monthly_rent_eur if monthly_rent_eur is None else monthly_rent_eur
        new_regime = self.rent_regime if rent_regime is None else rent_regime
        _checks.range("beds", new_beds, MIN_BEDS, MAX_BEDS)
        _check_rent(new_rent, new_regime)
        if new_beds < self.occupied_beds:
            raise CapacityExceeded(
                f"the unit has {self.occupied_beds} beds occupied: "
                f"it cannot be reduced to {new_beds} beds"
            )
        self.beds, self.monthly_rent_eur, self.rent_regime = new_beds, new_rent, new_regime
        self.events.append(
            UnitUpdated(
                unit_id=self.unit_id,
                beds=new_beds,
                monthly_rent_eur=new_rent,
                rent_regime=new_regime,
            )
        )

    def withdraw(self, on: dt.date) -> None:
        """Take the unit off the list; only possible with no active placement (repeating
        the same withdrawal changes nothing)."""
        if self.withdrawn_on == on:
            return
        self._check_not_withdrawn()
        active = sum(1 for p in self.active_placements if p.is_active)
        if active:
            raise InvalidTransition(
                f"the unit has {active} active placement(s): end them before withdrawing it"
            )
        self.withdrawn_on = on
        self.events.append(UnitWithdrawn(unit_id=self.unit_id, withdrawn_on=on))

    def start_placement(
        self,
        placement_id: UUID,
        person_ref: str,
        household_size: int,
        started_on: dt.date,
        planned_end_on: dt.date | None,
        sex: Sex,
        age_band: AgeBand,
        protection_status: ProtectionStatus,
        request: HousingRequest | None,
        person_active_placements: Sequence[Placement],
    ) -> Placement:
        """Place a household in this unit and return the new active placement.

        ``person_active_placements`` are the placements the repository found for
        ``person_ref``; any active one refuses the command. A given ``request``
        must be open and the same person's: it is marked satisfied.
        """
        self._check_not_withdrawn()
        _checks.person_ref(person_ref)
        _checks.range("household_size", household_size, MIN_HOUSEHOLD, MAX_HOUSEHOLD)
        _checks.not_before(
            started_on, self.available_from, f"the unit is available from {self.available_from}"
        )
        if planned_end_on is not None:
            _checks.not_before(
                planned_end_on, started_on, "the planned end cannot be before the start"
            )
        if household_size > self.free_beds:
            raise CapacityExceeded(
                f"the unit has {self.free_beds} free bed(s) of {self.beds}: "
                f"a household of {household_size} does not fit"
            )
        candidates = [*person_active_placements, *self.active_placements]
        if any(p.is_active and p.person_ref == person_ref for p in candidates):
            raise PersonAlreadyPlaced("the person already has an active placement")
        if request is not None:
            if request.person_ref != person_ref:
                raise InvalidValue("the request belongs to another person")
            request.check_can_close(started_on)

        placement = Placement(
            placement_id=placement_id,
            unit_id=self.unit_id,
            person_ref=person_ref,
            household_size=household_size,
            started_on=started_on,
            sex=sex,
            age_band=age_band,
            protection_status=protection_status,
            request_id=None if request is None else request.request_id,
            planned_end_on=planned_end_on,
        )
        placement.events.append(
            PlacementStarted(
                placement_id=placement_id,
                unit_id=self.unit_id,
                request_id=placement.request_id,
                person_ref=person_ref,
                household_size=household_size,
                started_on=started_on,
                planned_end_on=planned_end_on,
                sex=sex,
                age_band=age_band,
                protection_status=protection_status,
            )
        )
        if request is not None:
            request.satisfy(started_on, placement_id)
        self.active_placements.append(placement)
        return placement
