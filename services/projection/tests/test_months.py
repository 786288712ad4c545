import datetime as dt

import pytest
from franoi_projection.domain.months import (
    MAX_MONTHS,
    InvalidPeriod,
    add_months,
    month_label,
    parse_month,
    period,
)

TODAY = dt.date(2026, 11, 23)


def test_parse_and_label_round_trip() -> None:
    assert parse_month("2026-03") == dt.date(2026, 3, 1)
    assert month_label(dt.date(2026, 3, 1)) == "2026-03"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026-1", "", "2026-01-01"])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_month(text)


def test_add_months_crosses_years() -> None:
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)


def test_default_period_is_the_last_twelve_months() -> None:
    assert period(None, None, TODAY) == (dt.date(2025, 12, 1), dt.date(2026, 11, 1))


def test_explicit_period() -> None:
    assert period("2026-02", "2026-04", TODAY) == (dt.date(2026, 2, 1), dt.date(2026, 4, 1))
    assert period(None, "2026-04", TODAY)[0] == dt.date(2025, 5, 1)


def test_period_must_be_ordered_and_bounded() -> None:
    with pytest.raises(InvalidPeriod):
        period("2026-05", "2026-04", TODAY)
    with pytest.raises(InvalidPeriod):
        period("2010-01", "2026-01", TODAY)
    first, last = period("2017-02", "2027-01", TODAY)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    assert months == MAX_MONTHS
