"""Italian working days, for the deadlines counted in working days (the SAI rules' 3 and 5
days to record an event).

A working day is Monday to Friday and not a national public holiday. Limits, stated: a
town's patron saint's day (a holiday in that town only) is counted as a working day, and
the list of holidays is the law's as of 2026 (4 October a national holiday from 2026).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

_FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),  # Capodanno
    (1, 6),  # Epifania
    (4, 25),  # Festa della Liberazione
    (5, 1),  # Festa del lavoro
    (6, 2),  # Festa della Repubblica
    (8, 15),  # Ferragosto
    (11, 1),  # Ognissanti
    (12, 8),  # Immacolata Concezione
    (12, 25),  # Natale
    (12, 26),  # Santo Stefano
)
SAINT_FRANCIS_FROM = 2026
FIRST_YEAR = 1946
"""4 October (San Francesco d'Assisi) is a national holiday from this year on."""


def easter(year: int) -> dt.date:
    """Easter Sunday of ``year`` (Gregorian calendar; the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """Italy's national public holidays in ``year`` (Easter Monday included)."""
    days = {dt.date(year, month, day) for month, day in _FIXED_HOLIDAYS}
    days.add(easter(year) + dt.timedelta(days=1))
    if year >= SAINT_FRANCIS_FROM:
        days.add(dt.date(year, 10, 4))
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def _weekdays_through(day: dt.date) -> int:
    """Monday-to-Friday days from the calendar's first Monday (0001-01-01) through ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@cache
def _weekday_holidays_before(year: int) -> int:
    """National holidays falling Monday to Friday in the years before ``year`` (counted
    from 1946, the Republic's first; the calendar's rules are today's)."""
    return sum(
        sum(1 for h in holidays(y) if h.weekday() < 5)
        for y in range(FIRST_YEAR, max(year, FIRST_YEAR))
    )


def _working_through(day: dt.date) -> int:
    in_year = sum(1 for h in holidays(day.year) if h.weekday() < 5 and h <= day)
    return _weekdays_through(day) - _weekday_holidays_before(day.year) - in_year


@cache
def working_days_after(start: dt.date, end: dt.date) -> int:
    """The working days after ``start`` up to and including ``end``: an event of Friday
    entered on Monday took 1; entered the same day, 0; negative when ``end`` comes first."""
    return _working_through(end) - _working_through(start)
