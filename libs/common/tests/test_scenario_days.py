"""The test scenarios' days: given once, in the order they happen."""

from __future__ import annotations

import datetime as dt

import pytest
from franoi_common.testing import days


def test_days_are_the_iso_dates_in_their_order() -> None:
    assert days("2025-03-01", "2025-04-01") == (dt.date(2025, 3, 1), dt.date(2025, 4, 1))


@pytest.mark.parametrize("iso", [("2025-04-01", "2025-03-01"), ("2025-03-01", "2025-03-01")])
def test_days_out_of_order_are_refused(iso: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="in the order they happen"):
        days(*iso)
