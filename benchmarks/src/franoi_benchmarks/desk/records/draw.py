"""How a partner's records are drawn: for whom, on which day, with what the record carries
of the person. A person's records follow their life: nothing before their registration, and
a twentieth of the persons followed ("frequent") hold a quarter of the records."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from franoi_contracts.base import age_band_on

from franoi_benchmarks.desk.partner import TODAY
from franoi_benchmarks.register import Generated

FREQUENT = 0.05
"""The share of the persons followed who come back again and again ("frequent")..."""
FREQUENT_SHARE = 0.25
"""...and the share of the records that are theirs."""


@dataclass(frozen=True)
class Person:
    """A person of the register, as the other services know them (by pseudonym)."""

    person_id: uuid.UUID
    ref: str
    born_on: dt.date
    sex: str
    status: str
    since: dt.date


@dataclass
class Rows:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def picker(values: Sequence[Any]) -> Callable[[random.Random], Any]:
    """One of ``values`` at each call, drawn with one random number."""

    def pick(rnd: random.Random) -> Any:
        return values[int(rnd.random() * len(values))]

    return pick


def values(enum: Any) -> list[str]:
    return [member.value for member in enum]


class Records:
    """Draws the records of a partner's persons (``pick``: one person, frequent ones more
    often) with their days (after the person's registration) and coarse attributes."""

    def __init__(self, rnd: random.Random, people: Sequence[Generated]) -> None:
        self.rnd = rnd
        followed = [
            Person(g.row[0], g.row[14], g.row[6], g.row[7], g.row[10], g.row[15])
            for g in people
            if g.row[14] is not None
        ]
        rnd.shuffle(followed)
        # four in five of the persons with a pseudonym have records; a twentieth of those
        # are frequent
        self.journey = followed[: max(1, len(followed) * 4 // 5)]
        self.frequent = self.journey[: max(1, int(len(self.journey) * FREQUENT))]

    def pick(self) -> Person:
        pool = self.frequent if self.rnd.random() < FREQUENT_SHARE else self.journey
        return pool[int(self.rnd.random() * len(pool))]

    def day(self, p: Person, at_least: dt.date | None = None) -> dt.date:
        """A day between the person's registration (or ``at_least``) and today."""
        first = max(p.since, at_least or p.since)
        span = (TODAY - first).days
        if span <= 0:
            return min(first, TODAY)
        return first + dt.timedelta(days=int(self.rnd.random() * (span + 1)))

    def after(self, day: dt.date, low: int, high: int) -> dt.date:
        """``low``..``high`` days after ``day``, never after today."""
        return min(TODAY, day + dt.timedelta(days=self.rnd.randint(low, high)))

    def any_day(self, years: int = 5) -> dt.date:
        return TODAY - dt.timedelta(days=self.rnd.randrange(365 * years))

    def stamp(self, day: dt.date) -> dt.datetime:
        """When a record of ``day`` was written (office hours)."""
        seconds = 28_800 + int(self.rnd.random() * 36_000)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
            seconds=seconds
        )

    def coarse(self, p: Person, day: dt.date) -> tuple[str, str, str]:
        """What a record carries of the person: sex, age band on the day, protection."""
        return p.sex, age_band_on(p.born_on, day).value, p.status

    def end_all_but_the_latest(
        self,
        rows: list[list[Any]],
        *,
        person: int,
        day: int,
        status: int,
        days: tuple[int, int],
        outcomes: Sequence[str],
    ) -> None:
        """Each person's latest row (by ``day``) is still under way one time in seven
        (``status`` "active"); every other row has ended ``days`` after its day (the column
        after ``status``), with one of ``outcomes`` (the next one)."""
        under_way = latest(rows, person, day)
        for i, row in enumerate(rows):
            if i in under_way and self.rnd.random() < 0.15:
                row[status] = "active"
            else:
                row[status + 1] = self.after(row[day], *days)
                row[status + 2] = self.rnd.choice(outcomes)


def latest(rows: list[list[Any]], person: int, day: int) -> set[int]:
    """The index of each person's latest row (the one that may still be open)."""
    found: dict[Any, tuple[dt.date, int]] = {}
    for i, row in enumerate(rows):
        key = row[person]
        if key not in found or row[day] >= found[key][0]:
            found[key] = (row[day], i)
    return {i for _, i in found.values()}


MUNICIPALITIES = ("F205", "H501", "L219", "A944", "G273", "D612", "C351", "L736")
