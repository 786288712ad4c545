"""Housing aggregates: units, agreements, requests and placements.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and
records what happened as events of the contract (:mod:`franoi_contracts.housing`); the
service layer persists the aggregates and moves their events to the outbox. A method
that succeeds changes state and records exactly one event; a method that fails raises a
:class:`HousingError` and changes nothing. A terminal transition repeated with
the same data (a client retrying "end this placement") succeeds and records
nothing, so retries are safe.

Invariants:

* no unit over capacity: on every day, the household sizes of the unit's placements
  that cover it add up to at most the unit's beds;
* one placement at a time per person: a person's placements share no day.

Both hold on the dates the placements concern (a placement covers the days from its start
to its end, that day excluded, or on while it has not ended, see
:mod:`franoi_common.periods`): the repository passes :meth:`HousingUnit.start_placement`
the unit's and the person's placements that share a day with the new one, so history may
be recorded in any order. Ending a placement only shortens it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from franoi_common.agreements import SignedAgreement
from franoi_common.domain import Aggregate, Checks, Fields, creates, repeats
from franoi_common.errors import Conflict, DomainError, refusals
from franoi_common.periods import PlannedPeriod, busiest_day, check_one_at_a_time
from franoi_common.person_requests import PersonRequest, RequestEvents
from franoi_common.person_requests import RequestStatus as RequestStatus
from franoi_contracts import housing as contract
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.housing import (
    CounterpartKind,
    ExitOutcome,
    HousingNeed,
    RentRegime,
    UnitProvider,
    UnsatisfiedReason,
)

# --- errors ------------------------------------------------------------------------------


class HousingError(DomainError, code="housing_error"):
    """A command the housing domain refuses; ``str(error)`` is a message for people."""


class CapacityExceeded(Conflict, HousingError, code="capacity_exceeded", title="Capacity exceeded"):
    """The unit's placements would need more beds than it has, on some day."""


class PersonAlreadyPlaced(
    Conflict, HousingError, code="person_already_placed", title="Person already placed"
):
    """The person has another placement on some of the same days."""


InvalidTransition, InvalidDates, InvalidValue = refusals(HousingError)
_checks = Checks(InvalidValue, InvalidDates, InvalidTransition)


def _check_rent(monthly_rent_eur: int, rent_regime: RentRegime) -> None:
    _checks.within("monthly_rent_eur", monthly_rent_eur, contract.RentEur)
    if rent_regime is RentRegime.FREE and monthly_rent_eur != 0:
        raise InvalidValue("a unit under the free rent regime has a monthly rent of 0")


class PlacementStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


# --- agreements --------------------------------------------------------------------------


@dataclass(eq=False)
class Agreement(SignedAgreement):
    """An agreement with an estate agency, owner, cooperative or public body. Its
    counterpart's name is a local label, kept in this service and never published."""

    agreement_id: UUID
    counterpart_kind: CounterpartKind
    signed_on: dt.date
    valid_until: dt.date | None = None
    units_pledged: int | None = None
    ended_on: dt.date | None = None
    counterpart_name: str | None = None

    CHECKS = _checks
    ENDED = contract.AgreementEnded

    @classmethod
    @creates(contract.AgreementSigned)
    def sign(
        cls,
        agreement_id: UUID,
        counterpart_kind: CounterpartKind,
        signed_on: dt.date,
        valid_until: dt.date | None = None,
        units_pledged: int | None = None,
        counterpart_name: str | None = None,
    ) -> Fields:
        """Record a newly signed agreement."""
        cls.check_term(signed_on, valid_until)
        if units_pledged is not None:
            _checks.within("units_pledged", units_pledged, contract.UnitsPledged)
        return {}


# --- requests ----------------------------------------------------------------------------


@dataclass(eq=False)
class HousingRequest(PersonRequest):
    """A household's request for housing: open, then satisfied by a placement, unsatisfied
    or withdrawn (:class:`~franoi_common.person_requests.PersonRequest`)."""

    need: HousingNeed
    placement_id: UUID | None = field(default=None, kw_only=True)
    unsatisfied_reason: UnsatisfiedReason | None = field(default=None, kw_only=True)

    EVENTS = RequestEvents.of(contract)
    CHECKS = _checks
    HOUSEHOLD_SIZE = contract.HouseholdSize

    def satisfy(self, on: dt.date, placement_id: UUID) -> None:
        """Close the request with a placement."""
        self._satisfy(on, placement_id=placement_id)


# --- placements --------------------------------------------------------------------------


@dataclass(eq=False)
class Placement(PlannedPeriod):
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

    CHECKS = _checks
    ACTIVE = PlacementStatus.ACTIVE
    EXTENDED = contract.PlacementExtended

    def end(self, on: dt.date, exit_outcome: ExitOutcome) -> None:
        """End an active placement (not before its start) with the household's exit outcome;
        repeating the same end changes nothing."""
        if repeats(self, ended_on=on, exit_outcome=exit_outcome):
            return
        self.check_end(on)
        self.status, self.ended_on, self.exit_outcome = PlacementStatus.ENDED, on, exit_outcome
        self.record_event(contract.PlacementEnded)


# --- units -------------------------------------------------------------------------------


@dataclass(eq=False)
class HousingUnit(Aggregate):
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

    @classmethod
    @creates(contract.UnitRegistered)
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
    ) -> Fields:
        """Record a new unit."""
        _checks.municipality_code(municipality_code)
        _checks.within("beds", beds, contract.Beds)
        _check_rent(monthly_rent_eur, rent_regime)
        if provider is UnitProvider.ESTATE_AGENCY_AGREEMENT and agreement_id is None:
            raise InvalidValue("a unit provided through an estate-agency agreement needs one")
        return {}

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
        _checks.allowed(self.withdrawn_on is None, f"the unit was withdrawn on {self.withdrawn_on}")

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
        _checks.within("beds", new_beds, contract.Beds)
        _check_rent(new_rent, new_regime)
        if new_beds < self.occupied_beds:
            raise CapacityExceeded(
                f"the unit has {self.occupied_beds} beds occupied: "
                f"it cannot be reduced to {new_beds} beds"
            )
        self.beds, self.monthly_rent_eur, self.rent_regime = new_beds, new_rent, new_regime
        self.record_event(contract.UnitUpdated)

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
        self.record_event(contract.UnitWithdrawn)

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
        unit_placements: Sequence[Placement],
        person_placements: Sequence[Placement],
        ended_on: dt.date | None = None,
        exit_outcome: ExitOutcome | None = None,
    ) -> Placement:
        """Place a household in this unit and return the new placement: active, or already
        ended when ``ended_on`` (with its ``exit_outcome``) is given, a stay of the past
        recorded at once (it records the same events as a start and an end).

        ``unit_placements`` and ``person_placements`` are the unit's and the person's
        placements the repository found sharing a day with the new one: the unit's beds on
        each day, and the person's other placement, refuse it. A given ``request`` must be
        open and the same person's: it is marked satisfied. A withdrawn unit takes only a
        placement of the past that ended by its withdrawal.
        """
        _checks.allowed(
            self.withdrawn_on is None or (ended_on is not None and ended_on <= self.withdrawn_on),
            f"the unit was withdrawn on {self.withdrawn_on}",
        )
        _checks.person_ref(person_ref)
        _checks.within("household_size", household_size, contract.HouseholdSize)
        _checks.not_before(
            started_on, self.available_from, f"the unit is available from {self.available_from}"
        )
        if planned_end_on is not None:
            _checks.not_before(
                planned_end_on, started_on, "the planned end cannot be before the start"
            )
        if (ended_on is None) != (exit_outcome is None):
            raise InvalidValue("a placement recorded with its end needs its exit outcome too")
        if ended_on is not None:
            _checks.not_before(ended_on, started_on, "a placement cannot end before it started")
        self._check_beds(unit_placements, household_size, started_on, ended_on)
        check_one_at_a_time(
            [p for p in [*person_placements, *unit_placements] if p.person_ref == person_ref],
            started_on,
            ended_on,
            PersonAlreadyPlaced,
        )
        if request is not None:
            if request.person_ref != person_ref:
                raise InvalidValue("the request belongs to another person")
            request.check_can_close(started_on)

        placement = Placement(
            placement_id,
            self.unit_id,
            person_ref,
            household_size,
            started_on,
            sex,
            age_band,
            protection_status,
            request_id=None if request is None else request.request_id,
            planned_end_on=planned_end_on,
        )
        placement.record_event(contract.PlacementStarted)
        if ended_on is not None and exit_outcome is not None:
            placement.end(ended_on, exit_outcome)
        if request is not None:
            request.satisfy(started_on, placement_id)
        if placement.is_active:
            self.active_placements.append(placement)
        return placement

    def _check_beds(
        self,
        placements: Sequence[Placement],
        household_size: int,
        started_on: dt.date,
        ended_on: dt.date | None,
    ) -> None:
        """Refuse a household that does not fit on one of its days, naming the placements
        that take the beds that day."""
        taken, day, covering = busiest_day(
            placements, started_on, ended_on, lambda p: p.household_size
        )
        free = self.beds - taken
        if household_size <= free:
            return
        by = ", ".join(f"the {p.described()} (household of {p.household_size})" for p in covering)
        when = f" from {day}, taken by {by}" if covering else ""
        raise CapacityExceeded(
            f"the unit has {free} free bed(s) of {self.beds}{when}: "
            f"a household of {household_size} does not fit"
        )
