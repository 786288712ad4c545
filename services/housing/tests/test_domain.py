"""Housing aggregates: invariants, transitions and recorded events (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from franoi_common.persons import stand_in_ref
from franoi_common.testing import AMINA, BOBO, CHIDI, days
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.housing import (
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
from franoi_housing.domain.model import (
    Agreement,
    CapacityExceeded,
    HousingError,
    HousingRequest,
    HousingUnit,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    PersonAlreadyPlaced,
    Placement,
    PlacementStatus,
    RequestStatus,
)

D0, D1, D2, D3 = days("2025-03-01", "2025-04-01", "2025-09-30", "2025-10-15")


UNIT: dict[str, Any] = {
    "municipality_code": "L219",
    "monthly_rent_eur": 450,
    "rent_regime": RentRegime.AGREED,
    "provider": UnitProvider.PRIVATE_OWNER,
    "available_from": D0,
}
"""A unit's registration, which each test changes as it needs."""


def make_unit(beds: int = 4, **kwargs: Any) -> HousingUnit:
    unit = HousingUnit.register(**UNIT | {"unit_id": uuid4(), "beds": beds} | kwargs)
    unit.events.clear()
    return unit


def make_request(person_ref: str = AMINA, household_size: int = 2) -> HousingRequest:
    request = HousingRequest.submit(
        request_id=uuid4(),
        person_ref=person_ref,
        household_size=household_size,
        need=HousingNeed.EXIT_FROM_RECEPTION,
        submitted_on=D0,
        sex=Sex.FEMALE,
        age_band=AgeBand.AGE_25_34,
        protection_status=ProtectionStatus.REFUGEE,
    )
    request.events.clear()
    return request


def place(
    unit: HousingUnit,
    person_ref: str = AMINA,
    household_size: int = 2,
    *,
    started_on: dt.date = D1,
    planned_end_on: dt.date | None = D2,
    request: HousingRequest | None = None,
    person_placements: list[Placement] | None = None,
    unit_placements: list[Placement] | None = None,
    placement_id: UUID | None = None,
    ended_on: dt.date | None = None,
    exit_outcome: ExitOutcome | None = None,
) -> Placement:
    """Place a household; the unit's placements are its active ones unless given (as the
    repository would find them)."""
    return unit.start_placement(
        placement_id=placement_id or uuid4(),
        person_ref=person_ref,
        household_size=household_size,
        started_on=started_on,
        planned_end_on=planned_end_on,
        sex=Sex.FEMALE,
        age_band=AgeBand.AGE_25_34,
        protection_status=ProtectionStatus.REFUGEE,
        request=request,
        person_placements=person_placements or [],
        unit_placements=unit.active_placements if unit_placements is None else unit_placements,
        ended_on=ended_on,
        exit_outcome=exit_outcome,
    )


# --- units ---------------------------------------------------------------------------


def test_register_unit_records_unit_registered() -> None:
    registered = UNIT | {
        "unit_id": uuid4(),
        "municipality_code": "A662",
        "beds": 3,
        "monthly_rent_eur": 380,
        "provider": UnitProvider.ESTATE_AGENCY_AGREEMENT,
        "agreement_id": uuid4(),
    }
    unit = HousingUnit.register(**registered)
    assert unit.events == [UnitRegistered(**registered)]
    assert (unit.occupied_beds, unit.free_beds, unit.is_withdrawn) == (0, 3, False)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"beds": 0},
        {"beds": 51},
        {"monthly_rent_eur": -1},
        {"monthly_rent_eur": 10_001},
        {"municipality_code": "Torino"},
        {"rent_regime": RentRegime.FREE, "monthly_rent_eur": 100},
        {"provider": UnitProvider.ESTATE_AGENCY_AGREEMENT, "agreement_id": None},
    ],
)
def test_register_unit_refuses_invalid_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        make_unit(**kwargs)


def test_free_unit_with_zero_rent_is_accepted() -> None:
    unit = make_unit(rent_regime=RentRegime.FREE, monthly_rent_eur=0)
    assert unit.rent_regime is RentRegime.FREE


def test_update_unit_records_new_values() -> None:
    unit = make_unit(beds=4)
    unit.update(beds=6, monthly_rent_eur=500)
    assert (unit.beds, unit.monthly_rent_eur, unit.rent_regime) == (6, 500, RentRegime.AGREED)
    assert unit.events == [
        UnitUpdated(
            unit_id=unit.unit_id, beds=6, monthly_rent_eur=500, rent_regime=RentRegime.AGREED
        )
    ]


def test_update_cannot_reduce_beds_below_occupancy() -> None:
    unit = make_unit(beds=4)
    place(unit, AMINA, 3)
    with pytest.raises(CapacityExceeded):
        unit.update(beds=2)
    assert unit.beds == 4
    assert unit.events == []


def test_update_can_reduce_beds_to_exactly_the_occupancy() -> None:
    unit = make_unit(beds=4)
    place(unit, AMINA, 3)
    unit.update(beds=3)
    assert (unit.beds, unit.free_beds) == (3, 0)


def test_update_refuses_invalid_values_and_changes_nothing() -> None:
    unit = make_unit(beds=4)
    with pytest.raises(InvalidValue):
        unit.update(rent_regime=RentRegime.FREE)  # rent stays 450
    with pytest.raises(InvalidValue):
        unit.update(beds=0)
    assert (unit.beds, unit.rent_regime, unit.events) == (4, RentRegime.AGREED, [])


def test_withdraw_unit() -> None:
    unit = make_unit()
    unit.withdraw(D1)
    assert unit.withdrawn_on == D1
    assert unit.events == [UnitWithdrawn(unit_id=unit.unit_id, withdrawn_on=D1)]


def test_withdraw_refused_with_active_placements() -> None:
    unit = make_unit()
    place(unit)
    with pytest.raises(InvalidTransition):
        unit.withdraw(D1)
    assert unit.withdrawn_on is None


def test_withdraw_allowed_once_placements_ended() -> None:
    unit = make_unit()
    placement = place(unit)
    placement.end(D2, ExitOutcome.AUTONOMOUS_RENT)
    unit.withdraw(D2)
    assert unit.is_withdrawn


def test_withdraw_twice_refused() -> None:
    unit = make_unit()
    unit.withdraw(D1)
    with pytest.raises(InvalidTransition):
        unit.withdraw(D2)
    assert len(unit.events) == 1


def test_withdrawn_unit_cannot_be_updated_or_placed_into() -> None:
    unit = make_unit()
    unit.withdraw(D1)
    with pytest.raises(InvalidTransition):
        unit.update(beds=2)
    with pytest.raises(InvalidTransition):
        place(unit)


# --- capacity --------------------------------------------------------------------------


def test_household_that_fits_exactly_is_placed() -> None:
    unit = make_unit(beds=4)
    place(unit, AMINA, 2)
    place(unit, BOBO, 2)
    assert (unit.occupied_beds, unit.free_beds) == (4, 0)


def test_over_capacity_refused() -> None:
    unit = make_unit(beds=4)
    place(unit, AMINA, 3)
    with pytest.raises(CapacityExceeded) as error:
        place(unit, BOBO, 2)
    assert "1 free bed" in str(error.value)
    assert len(unit.active_placements) == 1
    assert unit.occupied_beds == 3


def test_household_larger_than_the_unit_refused() -> None:
    unit = make_unit(beds=2)
    with pytest.raises(CapacityExceeded):
        place(unit, AMINA, 3)


def test_ended_placements_free_their_beds() -> None:
    unit = make_unit(beds=4)
    first = place(unit, AMINA, 4)
    first.end(D2, ExitOutcome.PUBLIC_HOUSING)
    assert unit.free_beds == 4
    place(unit, BOBO, 4, started_on=D2)
    assert unit.occupied_beds == 4


# --- one active placement per person ---------------------------------------------------


def test_person_already_placed_elsewhere_refused() -> None:
    elsewhere = place(make_unit(), AMINA, 1)
    unit = make_unit()
    with pytest.raises(PersonAlreadyPlaced):
        place(unit, AMINA, 1, person_placements=[elsewhere])
    assert unit.active_placements == []


def test_person_already_placed_in_the_same_unit_refused() -> None:
    unit = make_unit(beds=6)
    place(unit, AMINA, 1)
    with pytest.raises(PersonAlreadyPlaced):
        place(unit, AMINA, 1)


def test_person_with_only_ended_placements_can_be_placed() -> None:
    old = place(make_unit(), AMINA, 1)
    old.end(D1, ExitOutcome.OTHER_PROJECT)
    placement = place(make_unit(), AMINA, 1, person_placements=[old])
    assert placement.is_active


# --- placement dates -------------------------------------------------------------------


def test_placement_before_unit_available_refused() -> None:
    unit = make_unit(available_from=D1)
    with pytest.raises(InvalidDates):
        place(unit, started_on=D0)


def test_placement_with_planned_end_before_start_refused() -> None:
    with pytest.raises(InvalidDates):
        place(make_unit(), started_on=D1, planned_end_on=D0)


@pytest.mark.parametrize(("person_ref", "size"), [("not-a-pseudonym", 1), (AMINA, 0)])
def test_placement_with_invalid_values_refused(person_ref: str, size: int) -> None:
    with pytest.raises(InvalidValue):
        place(make_unit(), person_ref, size)


def test_start_placement_records_placement_started() -> None:
    unit = make_unit()
    placement_id = uuid4()
    placement = place(unit, AMINA, 2, placement_id=placement_id)
    assert placement.status is PlacementStatus.ACTIVE
    assert placement in unit.active_placements
    assert unit.events == []
    assert placement.events == [
        PlacementStarted(
            placement_id=placement_id,
            unit_id=unit.unit_id,
            request_id=None,
            person_ref=AMINA,
            household_size=2,
            started_on=D1,
            planned_end_on=D2,
            sex=Sex.FEMALE,
            age_band=AgeBand.AGE_25_34,
            protection_status=ProtectionStatus.REFUGEE,
        )
    ]


def test_extend_placement() -> None:
    placement = place(make_unit())
    placement.events.clear()
    later = dt.date(2026, 3, 31)
    placement.extend(later)
    assert placement.planned_end_on == later
    assert placement.events == [
        PlacementExtended(placement_id=placement.placement_id, planned_end_on=later)
    ]


def test_extend_placement_before_start_refused() -> None:
    placement = place(make_unit())
    with pytest.raises(InvalidDates):
        placement.extend(D0)
    assert placement.planned_end_on == D2


def test_end_placement_records_outcome() -> None:
    unit = make_unit()
    placement = place(unit)
    placement.events.clear()
    placement.end(D2, ExitOutcome.AUTONOMOUS_RENT)
    assert (placement.status, placement.ended_on, placement.exit_outcome) == (
        PlacementStatus.ENDED,
        D2,
        ExitOutcome.AUTONOMOUS_RENT,
    )
    assert placement.events == [
        PlacementEnded(
            placement_id=placement.placement_id,
            unit_id=unit.unit_id,
            ended_on=D2,
            exit_outcome=ExitOutcome.AUTONOMOUS_RENT,
        )
    ]


def test_end_placement_on_its_start_day_is_allowed() -> None:
    placement = place(make_unit(), started_on=D1, planned_end_on=None)
    placement.end(D1, ExitOutcome.UNKNOWN)
    assert placement.ended_on == D1


def test_end_placement_before_start_refused() -> None:
    placement = place(make_unit(), started_on=D1)
    with pytest.raises(InvalidDates):
        placement.end(D0, ExitOutcome.UNKNOWN)
    assert placement.is_active


def test_end_placement_twice_refused() -> None:
    placement = place(make_unit())
    placement.end(D2, ExitOutcome.BACK_TO_RECEPTION)
    with pytest.raises(InvalidTransition):
        placement.end(D2, ExitOutcome.UNKNOWN)
    with pytest.raises(InvalidTransition):
        placement.extend(dt.date(2026, 1, 1))
    assert placement.exit_outcome is ExitOutcome.BACK_TO_RECEPTION
    assert len(placement.events) == 2  # started, ended


# --- requests --------------------------------------------------------------------------


def test_submit_request_records_request_submitted() -> None:
    submitted = {
        "request_id": uuid4(),
        "person_ref": BOBO,
        "household_size": 5,
        "need": HousingNeed.EVICTION_RISK,
        "submitted_on": D0,
        "sex": Sex.MALE,
        "age_band": AgeBand.AGE_35_44,
        "protection_status": ProtectionStatus.SUBSIDIARY,
    }
    request = HousingRequest.submit(**submitted)
    assert request.status is RequestStatus.OPEN
    assert request.events == [RequestSubmitted(**submitted)]


@pytest.mark.parametrize(("person_ref", "size"), [("Mario Rossi", 1), (AMINA, 0), (AMINA, 21)])
def test_submit_request_refuses_invalid_values(person_ref: str, size: int) -> None:
    with pytest.raises(InvalidValue):
        make_request(person_ref, size)


def test_request_satisfied_by_placement() -> None:
    unit = make_unit()
    request = make_request(AMINA, 2)
    placement = place(unit, AMINA, 2, request=request)
    assert request.status is RequestStatus.SATISFIED
    assert (request.closed_on, request.placement_id) == (D1, placement.placement_id)
    assert placement.request_id == request.request_id
    assert request.events == [
        RequestSatisfied(
            request_id=request.request_id, closed_on=D1, placement_id=placement.placement_id
        )
    ]
    assert [type(e) for e in placement.events] == [PlacementStarted]
    started = placement.events[0]
    assert isinstance(started, PlacementStarted)
    assert started.request_id == request.request_id


def test_placement_from_a_closed_request_refused() -> None:
    unit = make_unit()
    request = make_request(AMINA)
    request.withdraw(D1)
    with pytest.raises(InvalidTransition):
        place(unit, AMINA, request=request)
    assert unit.active_placements == []
    assert request.status is RequestStatus.WITHDRAWN


def test_placement_from_another_persons_request_refused() -> None:
    unit = make_unit()
    request = make_request(BOBO)
    with pytest.raises(InvalidValue):
        place(unit, AMINA, request=request)
    assert request.is_open
    assert unit.active_placements == []


def test_placement_starting_before_the_request_refused() -> None:
    unit = make_unit(available_from=dt.date(2025, 1, 1))
    request = make_request(AMINA)  # submitted on D0
    with pytest.raises(InvalidDates):
        place(unit, AMINA, request=request, started_on=dt.date(2025, 2, 1))
    assert request.is_open


def test_failed_placement_leaves_the_request_open() -> None:
    unit = make_unit(beds=1)
    request = make_request(AMINA, 2)
    with pytest.raises(CapacityExceeded):
        place(unit, AMINA, 2, request=request)
    assert request.is_open
    assert request.events == []


def test_declare_request_unsatisfied() -> None:
    request = make_request()
    request.declare_unsatisfied(D2, UnsatisfiedReason.NO_UNIT_AVAILABLE)
    assert (request.status, request.unsatisfied_reason) == (
        RequestStatus.UNSATISFIED,
        UnsatisfiedReason.NO_UNIT_AVAILABLE,
    )
    assert request.events == [
        RequestUnsatisfied(
            request_id=request.request_id,
            closed_on=D2,
            reason=UnsatisfiedReason.NO_UNIT_AVAILABLE,
        )
    ]


def test_withdraw_request() -> None:
    request = make_request()
    request.withdraw(D1)
    assert request.status is RequestStatus.WITHDRAWN
    assert request.events == [RequestWithdrawn(request_id=request.request_id, closed_on=D1)]


@pytest.mark.parametrize(
    "close",
    [
        lambda r: r.satisfy(D2, uuid4()),
        lambda r: r.declare_unsatisfied(D2, UnsatisfiedReason.LOST_CONTACT),
        lambda r: r.withdraw(D2),
    ],
    ids=["satisfy", "unsatisfied", "withdraw"],
)
def test_closing_a_request_twice_refused(close: Callable[[HousingRequest], None]) -> None:
    request = make_request()
    close(request)
    with pytest.raises(InvalidTransition):
        request.satisfy(D2, uuid4())
    with pytest.raises(InvalidTransition):
        request.declare_unsatisfied(D2, UnsatisfiedReason.OTHER)
    with pytest.raises(InvalidTransition):
        request.withdraw(D3)
    assert len(request.events) == 1


def test_repeating_a_terminal_transition_with_the_same_data_records_nothing() -> None:
    """Retries are safe: the same end again changes nothing; different data is refused."""
    withdrawn = make_request()
    withdrawn.withdraw(D2)
    withdrawn.withdraw(D2)
    assert len(withdrawn.events) == 1
    unsatisfied = make_request()
    unsatisfied.declare_unsatisfied(D2, UnsatisfiedReason.LOST_CONTACT)
    unsatisfied.declare_unsatisfied(D2, UnsatisfiedReason.LOST_CONTACT)
    with pytest.raises(InvalidTransition):
        unsatisfied.declare_unsatisfied(D2, UnsatisfiedReason.OTHER)
    assert len(unsatisfied.events) == 1


def test_closing_a_request_before_submission_refused() -> None:
    request = make_request()
    with pytest.raises(InvalidDates):
        request.withdraw(dt.date(2025, 2, 28))
    assert request.is_open


# --- agreements ------------------------------------------------------------------------


def test_sign_and_end_agreement() -> None:
    agreement_id = uuid4()
    agreement = Agreement.sign(
        agreement_id=agreement_id,
        counterpart_kind=CounterpartKind.ESTATE_AGENCY,
        signed_on=D0,
        valid_until=dt.date(2027, 2, 28),
        units_pledged=10,
    )
    agreement.end(D2)
    assert agreement.is_ended
    assert agreement.events == [
        AgreementSigned(
            agreement_id=agreement_id,
            counterpart_kind=CounterpartKind.ESTATE_AGENCY,
            signed_on=D0,
            valid_until=dt.date(2027, 2, 28),
            units_pledged=10,
        ),
        AgreementEnded(agreement_id=agreement_id, ended_on=D2),
    ]


def test_agreement_expiring_before_signing_refused() -> None:
    with pytest.raises(InvalidDates):
        Agreement.sign(uuid4(), CounterpartKind.PRIVATE_OWNER, D1, valid_until=D0)


def test_agreement_with_negative_units_pledged_refused() -> None:
    with pytest.raises(InvalidValue):
        Agreement.sign(uuid4(), CounterpartKind.PUBLIC_BODY, D1, units_pledged=-1)


def test_end_agreement_twice_or_before_signing_refused() -> None:
    agreement = Agreement.sign(uuid4(), CounterpartKind.HOUSING_COOPERATIVE, D1)
    with pytest.raises(InvalidDates):
        agreement.end(D0)
    agreement.end(D2)
    agreement.end(D2)  # a retry of the same end: nothing new
    with pytest.raises(InvalidTransition):
        agreement.end(D3)
    assert agreement.ended_on == D2
    assert len(agreement.events) == 2


# --- errors ----------------------------------------------------------------------------


def test_domain_errors_share_a_base_with_a_message_and_code() -> None:
    errors = [CapacityExceeded, PersonAlreadyPlaced, InvalidTransition, InvalidDates, InvalidValue]
    assert all(issubclass(e, HousingError) for e in errors)
    assert len({e.code for e in errors}) == len(errors)
    error = CapacityExceeded("no room")
    assert (str(error), error.message) == ("no room", "no room")


def test_aggregates_compare_by_identity_field() -> None:
    unit = make_unit()
    placement = place(unit)
    same = Placement(**{**vars(placement), "events": []})
    assert same == placement
    assert hash(same) == hash(placement)
    assert make_unit() != unit


# --- the rules on the dates the placements concern ------------------------------------

FEB, MAY, JUN, SEP = days("2019-02-01", "2019-05-01", "2019-06-01", "2019-09-01")


def past(
    unit: HousingUnit, person_ref: str, size: int, start: dt.date, end: dt.date | None, **kw: Any
) -> Placement:
    """A placement recorded with its end at once (or open, with ``end`` None)."""
    outcome = None if end is None else ExitOutcome.OTHER_PROJECT
    return place(
        unit, person_ref, size, started_on=start, planned_end_on=None, ended_on=end,
        exit_outcome=outcome, **kw,
    )  # fmt: skip


def test_earlier_stay_recorded_after_a_later_one_fits() -> None:
    """The reported case: a household of 2 fills a 2-bed unit from June; a stay of one
    person from February to May, recorded afterwards, shares no day with it."""
    unit = make_unit(beds=2, available_from=FEB)
    later = past(unit, AMINA, 2, JUN, None)
    earlier = past(unit, BOBO, 1, FEB, MAY, unit_placements=[later])
    assert earlier.status is PlacementStatus.ENDED and earlier.ended_on == MAY
    assert [type(e) for e in earlier.events] == [PlacementStarted, PlacementEnded]
    assert unit.active_placements == [later]


@pytest.mark.parametrize("first_open", [True, False])
def test_overlapping_stay_refused_naming_the_other_in_any_order(first_open: bool) -> None:
    unit = make_unit(beds=2, available_from=FEB)
    other = past(unit, AMINA, 2, JUN, None if first_open else SEP)
    with pytest.raises(CapacityExceeded) as refused:
        past(unit, BOBO, 1, FEB, dt.date(2019, 6, 2), unit_placements=[other])
    message = str(refused.value)
    assert "0 free bed(s) of 2 from 2019-06-01" in message
    assert f"placement {other.placement_id} from 2019-06-01" in message
    assert "household of 2" in message
    # the other way round: the earlier one first, the later one overlapping it
    first = past(make_unit(beds=2, available_from=FEB), BOBO, 1, FEB, dt.date(2019, 6, 2))
    with pytest.raises(CapacityExceeded, match=str(first.placement_id)):
        past(make_unit(beds=2, available_from=FEB), AMINA, 2, JUN, None, unit_placements=[first])


def test_touching_stays_fit_the_day_one_ends_is_the_next_ones_first() -> None:
    unit = make_unit(beds=2, available_from=FEB)
    later = past(unit, AMINA, 2, JUN, None)
    assert past(unit, BOBO, 2, FEB, JUN, unit_placements=[later]).ended_on == JUN
    after = past(make_unit(beds=2, available_from=FEB), BOBO, 2, FEB, JUN)
    assert past(unit, AMINA, 2, JUN, SEP, unit_placements=[after]).started_on == JUN


def test_beds_add_up_only_on_the_days_that_are_shared() -> None:
    """Two households of 1 on different days leave a bed for a third that crosses both."""
    unit = make_unit(beds=2, available_from=FEB)
    one = past(unit, AMINA, 1, FEB, MAY)
    two = past(unit, BOBO, 1, JUN, SEP)
    crossing = past(unit, CHIDI, 1, FEB, SEP, unit_placements=[one, two])
    assert crossing.ended_on == SEP
    with pytest.raises(CapacityExceeded, match="from 2019-06-01"):
        past(unit, stand_in_ref("dina"), 1, MAY, SEP, unit_placements=[one, two, crossing])


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [(FEB, MAY, False), (JUN, None, False), (FEB, dt.date(2019, 5, 2), True), (MAY, None, True)],
)
def test_person_one_placement_at_a_time_on_the_dates(
    start: dt.date, end: dt.date | None, refused: bool
) -> None:
    """The person's other placement (May to June, elsewhere) shares a day or not."""
    elsewhere = past(make_unit(available_from=FEB), AMINA, 1, MAY, JUN)
    unit = make_unit(available_from=FEB)
    if not refused:
        assert past(unit, AMINA, 1, start, end, person_placements=[elsewhere]).started_on == start
        return
    with pytest.raises(PersonAlreadyPlaced) as error:
        past(unit, AMINA, 1, start, end, person_placements=[elsewhere])
    assert f"placement {elsewhere.placement_id} from 2019-05-01 to 2019-06-01" in str(error.value)


def test_end_given_at_start_checked_like_an_end() -> None:
    with pytest.raises(InvalidDates):
        past(make_unit(available_from=FEB), AMINA, 1, MAY, FEB)
    with pytest.raises(InvalidValue):
        place(make_unit(), AMINA, 1, ended_on=D2)


def test_ending_only_shortens_a_placement() -> None:
    """Ending the open placement of June on any day after its start leaves the earlier one
    (February to May) untouched: an end never makes an overlap."""
    unit = make_unit(beds=1, available_from=FEB)
    later = past(unit, AMINA, 1, JUN, None)
    past(unit, BOBO, 1, FEB, MAY, unit_placements=[later])
    later.end(SEP, ExitOutcome.OTHER_PROJECT)
    assert not later.overlaps(FEB, MAY)


def test_a_withdrawn_unit_takes_only_placements_that_ended_by_its_withdrawal() -> None:
    unit = make_unit(beds=2, available_from=FEB)
    unit.withdraw(JUN)
    assert past(unit, AMINA, 1, FEB, JUN).ended_on == JUN  # history before the withdrawal
    for end in (None, SEP):
        with pytest.raises(InvalidTransition, match="withdrawn on 2019-06-01"):
            past(unit, BOBO, 1, FEB, end)
