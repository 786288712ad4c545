"""The pure view builders: display strings, key numbers, tables and their suppression."""

from __future__ import annotations

import datetime as dt

from franoi_projection.domain.indicators import BY_ID, KEY_NUMBERS, By
from franoi_projection.domain.views import Sums, format_count, key_numbers, table

D = dt.date


def test_counts_are_written_the_italian_or_english_way() -> None:
    assert format_count(1298, "it") == "1.298" and format_count(1298, "en") == "1,298"
    assert format_count(9059, "it") == "9.059"


def test_the_key_numbers_are_those_a_project_publishes() -> None:
    seed_001 = set(
        """
        events_accesses employment_job_consultations employment_orientation_participants
        employment_training_participants employment_hires hosting_requests_submitted
        hosting_satisfaction_rate employment_savings_consultations
        employment_financial_education_participants employment_school_pupils
        housing_requests_submitted housing_units_available housing_persons_housed
        events_held events_participants events_socialisation_labs
        events_socialisation_lab_participants events_community_labs
        """.split()
    )
    fra_noi = set(
        """
        cases_plans_opened cases_plans_completed cases_plans_autonomy_reached
        hosting_stays_started housing_leases_signed
        """.split()
    )
    assert seed_001 | fra_noi <= set(KEY_NUMBERS)
    assert KEY_NUMBERS[0] == "events_accesses"


def test_key_numbers_show_rates_as_percent_and_hide_small_parts_outside() -> None:
    rate = BY_ID["housing_satisfaction_rate"]
    submitted = BY_ID["housing_requests_submitted"]
    totals = {
        "housing_requests_satisfied": (454, 454),
        "housing_requests_decided": (1298, 1298),
        "housing_requests_submitted": (3, 3),
    }
    exact = key_numbers([rate, submitted], totals, "it", suppressed=False)
    assert exact[0]["display"] == "35%" and exact[0]["numerator"] == 454
    assert exact[1] == exact[1] | {"value": 3, "display": "3"}
    outside = key_numbers([rate, submitted], totals, "it", suppressed=True)
    assert outside[1]["value"] is None and outside[1]["display"] == "<5"
    small = {"housing_requests_satisfied": (3, 3), "housing_requests_decided": (10, 10)}
    hidden = key_numbers([rate], small, "en", suppressed=True)[0]
    assert hidden["value"] is None and hidden["numerator"] is None and hidden["display"] == "n/a"


def test_a_stock_by_month_is_its_running_value_and_its_total_the_last() -> None:
    beds = BY_ID["housing_beds_available"]
    monthly = {"housing_beds_available": {D(2025, 1, 1): 10, D(2025, 3, 1): -4, D(2025, 4, 1): 2}}
    keys = [(m, m) for m in ("2025-02", "2025-03", "2025-04")]
    result = table(beds, By.MONTH, keys, {}, monthly, D(2025, 2, 1), D(2025, 4, 1), "it", False)
    assert [r["value"] for r in result["rows"]] == [10, 6, 8]
    assert result["total"]["value"] == 8


def test_a_table_outside_hides_a_complement_for_a_single_small_cell() -> None:
    submitted = BY_ID["housing_requests_submitted"]
    sums = {"housing_requests_submitted": Sums({"a": 3, "b": 12, "c": 40}, {})}
    keys = [("a", "A"), ("b", "B"), ("c", "C")]
    result = table(submitted, By.PARTNER, keys, sums, {}, D(2025, 1, 1), D(2025, 1, 1), "it", True)
    assert [r["display"] for r in result["rows"]] == ["<5", "n.d.", "40"]
    assert result["total"] == {"value": 55, "display": "55"}
