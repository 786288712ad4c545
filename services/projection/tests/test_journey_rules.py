"""The journeys' outcome rules, without I/O."""

from __future__ import annotations

import datetime as dt

import pytest
from franoi_projection.domain.journeys import (
    Kind,
    Outcome,
    Step,
    add_months,
    axes_of,
    median_days,
    outcomes,
)

D = dt.date


def contact(partner: str, on: dt.date, axis: str = "cases") -> Step:
    return Step(partner, axis, Kind.CONTACT, on)


def hire(partner: str, on: dt.date, until: dt.date | None = None) -> Step:
    return Step(partner, "employment", Kind.HIRE, on, until)


def ids(result: list[Outcome]) -> dict[str, Outcome]:
    return {o.indicator_id + ("" if o.dimension == "all" else ":" + o.dimension): o for o in result}


def test_first_contact_is_the_earliest_at_any_partner_with_every_axis_touched() -> None:
    result = ids(
        outcomes(
            [
                contact("p07", D(2024, 3, 5), "housing"),
                contact("p02", D(2024, 2, 9), "events"),
                hire("p07", D(2024, 9, 1)),
            ]
        )
    )
    assert result["journeys_first_contacts"] == Outcome(
        "journeys_first_contacts", "p02", D(2024, 2, 1)
    )
    assert result["journeys_first_contacts:axes"].key == "employment+events+housing"
    assert result["journeys_first_hires"].partner_id == "p07"
    assert result["journeys_first_hires:days"].key == str((D(2024, 9, 1) - D(2024, 2, 9)).days)


def test_equal_first_days_go_to_the_lowest_partner_id() -> None:
    result = ids(outcomes([contact("p09", D(2024, 1, 1)), contact("p03", D(2024, 1, 1))]))
    assert result["journeys_first_contacts"].partner_id == "p03"


def test_a_hire_before_any_contact_is_no_first_hire() -> None:
    result = ids(outcomes([hire("p01", D(2024, 1, 1)), contact("p01", D(2024, 2, 1))]))
    assert "journeys_first_hires" not in result


def test_no_contact_no_first_contact() -> None:
    assert outcomes([hire("p01", D(2024, 1, 1))]) == []


def test_autonomy_needs_housing_and_work_at_once_or_a_plan_closed_with_it() -> None:
    exit_ = Step("p04", "housing", Kind.PLACEMENT_ENDED, D(2024, 6, 10), detail="autonomous_rent")
    ended_before = hire("p05", D(2023, 1, 1), D(2024, 6, 9))
    assert "journeys_autonomy_reached" not in ids(outcomes([exit_, ended_before]))
    later_hire = hire("p05", D(2024, 8, 20))
    reached = ids(outcomes([exit_, ended_before, later_hire]))["journeys_autonomy_reached"]
    assert (reached.partner_id, reached.month) == ("p05", D(2024, 8, 1))
    ongoing = hire("p05", D(2024, 1, 1), D(2024, 6, 10))
    reached = ids(outcomes([exit_, ongoing]))["journeys_autonomy_reached"]
    assert (reached.partner_id, reached.month) == ("p04", D(2024, 6, 1))
    plan = Step(
        "p09", "cases", Kind.PLAN_CLOSED, D(2024, 3, 3), detail="completed_autonomy_reached"
    )
    reached = ids(outcomes([exit_, later_hire, plan]))["journeys_autonomy_reached"]
    assert (reached.partner_id, reached.month) == ("p09", D(2024, 3, 1))
    other = Step("p04", "housing", Kind.PLACEMENT_ENDED, D(2024, 6, 10), detail="other_project")
    assert "journeys_autonomy_reached" not in ids(outcomes([other, later_hire]))
    stay = Step("p06", "hosting", Kind.STAY_ENDED, D(2024, 7, 1), detail="completed_with_autonomy")
    assert "journeys_autonomy_reached" in ids(outcomes([stay, hire("p01", D(2024, 7, 1))]))


@pytest.mark.parametrize(
    ("hire_step", "in_work"),
    [
        (hire("p02", D(2024, 11, 30)), True),
        (hire("p02", D(2024, 12, 1)), False),
        (hire("p02", D(2024, 1, 1), D(2024, 11, 30)), True),
        (hire("p02", D(2024, 1, 1), D(2024, 11, 29)), False),
    ],
)
def test_in_work_six_months_after_the_first_internship_or_stay_ended(
    hire_step: Step, in_work: bool
) -> None:
    internship = Step("p01", "employment", Kind.INTERNSHIP_ENDED, D(2024, 5, 30))
    later_stay = Step("p03", "hosting", Kind.STAY_ENDED, D(2024, 8, 1), detail="other")
    result = ids(outcomes([later_stay, internship, hire_step]))
    assert result["journeys_followed_6_months"] == Outcome(
        "journeys_followed_6_months", "p01", D(2024, 11, 1)
    )
    assert ("journeys_in_work_6_months" in result) is in_work


@pytest.mark.parametrize(
    ("back_on", "within_6", "within_12"),
    [
        (D(2024, 1, 31), False, False),  # the exit's own day: not after it
        (D(2024, 2, 1), True, True),
        (D(2024, 7, 31), True, True),
        (D(2024, 8, 1), False, True),
        (D(2025, 1, 31), False, True),
        (D(2025, 2, 1), False, False),
    ],
)
def test_back_in_reception_within_six_and_twelve_months_of_the_first_exit(
    back_on: dt.date, within_6: bool, within_12: bool
) -> None:
    exit_ = Step("p08", "housing", Kind.PLACEMENT_ENDED, D(2024, 1, 31), detail="public_housing")
    back = Step("p02", "housing", Kind.REQUEST, back_on, detail="exit_from_reception")
    result = ids(outcomes([exit_, back]))
    assert result["journeys_exits_to_autonomy_6_months"].month == D(2024, 7, 1)
    assert result["journeys_exits_to_autonomy_12_months"].month == D(2025, 1, 1)
    assert result["journeys_exits_to_autonomy_12_months"].partner_id == "p08"
    assert ("journeys_back_in_reception_6_months" in result) is within_6
    assert ("journeys_back_in_reception_12_months" in result) is within_12


def test_a_placement_ended_back_to_reception_is_a_return_too() -> None:
    exit_ = Step(
        "p08", "hosting", Kind.STAY_ENDED, D(2024, 1, 10), detail="completed_with_autonomy"
    )
    back = Step("p08", "housing", Kind.PLACEMENT_ENDED, D(2024, 3, 1), detail="back_to_reception")
    request = Step("p08", "housing", Kind.REQUEST, D(2024, 3, 1), detail="homeless")
    assert "journeys_back_in_reception_6_months" in ids(outcomes([exit_, back]))
    assert "journeys_back_in_reception_6_months" not in ids(outcomes([exit_, request]))


def test_months_are_added_like_the_database_does() -> None:
    assert add_months(D(2024, 8, 31), 6) == D(2025, 2, 28)
    assert add_months(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert add_months(D(2024, 12, 15), 12) == D(2025, 12, 15)


def test_median_of_a_distribution_of_days() -> None:
    assert median_days({}) is None
    assert median_days({10: 1}) == 10
    assert median_days({10: 1, 20: 1}) == 15
    assert median_days({1: 3, 100: 1, 1000: 1}) == 1
    assert median_days({5: 2, 7: 2}) == 6
    assert median_days({0: 0, 3: 1}) == 3


def test_axes_of_a_summary_key() -> None:
    assert axes_of("employment+housing") == ["employment", "housing"]
    assert axes_of("") == []
