"""Calendar months, the time grain of every network view."""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])$")
MAX_MONTHS = 120
FIRST_YEAR, LAST_YEAR = 2000, 2100
"""Months the network can report on: nothing before 2000 or after 2100 exists."""


class InvalidPeriod(ValueError):
    pass


def parse_month(text: str) -> dt.date:
    """``2026-03`` → 2026-03-01."""
    match = _MONTH.match(text)
    if match is None:
        raise InvalidPeriod(f"month {text!r} is not YYYY-MM")
    year = int(match["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidPeriod(f"month {text!r} is outside {FIRST_YEAR}-01 to {LAST_YEAR}-12")
    return dt.date(year, int(match["month"]), 1)


def add_months(month_start: dt.date, count: int) -> dt.date:
    index = month_start.year * 12 + month_start.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def period(first: str | None, last: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first days of the first and last month; by default the 12 months up to today's."""
    last_month = parse_month(last) if last else today.replace(day=1)
    first_month = parse_month(first) if first else add_months(last_month, -11)
    if first_month.year < FIRST_YEAR:  # a default window reaching before 2000
        first_month = dt.date(FIRST_YEAR, 1, 1)
    if first_month > last_month:
        raise InvalidPeriod("the first month is after the last")
    months = (last_month.year - first_month.year) * 12 + last_month.month - first_month.month + 1
    if months > MAX_MONTHS:
        raise InvalidPeriod(f"at most {MAX_MONTHS} months at a time")
    return first_month, last_month


def month_label(month_start: dt.date) -> str:
    return f"{month_start.year:04d}-{month_start.month:02d}"
