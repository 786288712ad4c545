"""The demo's plan: every call the partners' workers would have made over the years, dated
as the work happened, and what the key numbers should add up to.

Pure and seeded: the same seed, scale, partners and dates give the same calls with the same
client-chosen ids, so a plan can be replayed and compared. Each partner's calls are ordered
by the day they are recorded (a late entry is recorded days after it happened); on one day,
what frees a bed or a room is recorded before what takes one, so the services' rules
(capacity, one active placement or stay per person, one open internship) hold as they would
have held at the time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from franoi_projection.domain.indicators import BY_ID, KEY_NUMBERS
from franoi_projection.domain.indicators.model import Unit

#: The months of a project year, weighted: August and the Christmas weeks are quiet.
SEASON = {
    1: 0.9,
    2: 1.0,
    3: 1.1,
    4: 1.0,
    5: 1.1,
    6: 1.0,
    7: 0.8,
    8: 0.4,
    9: 1.1,
    10: 1.2,
    11: 1.1,
    12: 0.7,
}

#: Municipalities (cadastral codes) where a partner of a region works.
MUNICIPALITIES = {
    "Lombardia": ("F205", "H264", "D912", "E514", "I690"),
    "Piemonte": ("L219", "G674", "B791", "H355"),
    "Veneto": ("L781", "G224", "L840", "F241"),
    "Emilia-Romagna": ("A944", "F257", "H223"),
    "Lazio": ("H501", "G811"),
    "Toscana": ("D612", "G702"),
    "Campania": ("F839", "B963"),
    "Puglia": ("A662", "L049"),
    "Sicilia": ("G273", "C351"),
    "Sardegna": ("B354", "I452"),
}
ANYWHERE = ("F205", "L219", "L781")

#: Partners' sizes in the order they are given: one as busy as a real project, the others
#: smaller, so the network view shows partners of different weight.
DEFAULT_SIZES = (1.0, 0.6, 0.8, 0.5, 0.7)

_JOURNEYS = "journeys"
TALLIED = tuple(
    k for k in KEY_NUMBERS if BY_ID[k].axis != _JOURNEYS and BY_ID[k].unit is not Unit.RATE
)
"""The key numbers a plan tallies exactly: what it records adds up to them over the demo's
span. The journeys' figures (first contacts, autonomy, returns) depend on the order of a
person's records across axes and partners: the plan makes them occur, the projection
computes them."""
RATES = {
    k: (str(BY_ID[k].numerator), str(BY_ID[k].denominator))
    for k in KEY_NUMBERS
    if BY_ID[k].axis != _JOURNEYS and BY_ID[k].unit is Unit.RATE
}
"""Rates the plan tallies as numerator over denominator."""


@dataclass(frozen=True)
class PartnerProfile:
    """A partner as the demo sees it: its axes and region (from the directory) and its size
    (1.0: a partner as busy as seed 001's project, a few hundred persons a year)."""

    partner_id: str
    region: str
    axes: frozenset[str]
    size: float = 1.0


@dataclass(frozen=True)
class Call:
    """One request a worker of ``partner`` makes to one of its services."""

    recorded_on: dt.date
    happened_on: dt.date
    partner: str
    service: str
    method: str
    path: str
    body: dict[str, Any]
    frees: bool = False
    """It ends something that holds a bed, a room or an open slot: recorded first that day."""
    admin: bool = False
    """Only a coordinator (``partner_admin``) may make it."""

    @property
    def late(self) -> bool:
        return self.recorded_on > self.happened_on


@dataclass(frozen=True)
class DemoPlan:
    first_day: dt.date
    last_day: dt.date
    calls: dict[str, list[Call]]
    """Each partner's calls, in the order they are recorded."""
    tally: Counter[str]
    """What the tallied key numbers add up to over the whole span (and the rates' parts)."""

    @property
    def total_calls(self) -> int:
        return sum(len(c) for c in self.calls.values())

    def expected_key_numbers(self) -> dict[str, float]:
        """The tallied key numbers over the demo's span, the rates included."""
        expected: dict[str, float] = {k: float(self.tally[k]) for k in TALLIED}
        for rate, (numerator, denominator) in RATES.items():
            if self.tally[denominator]:
                expected[rate] = self.tally[numerator] / self.tally[denominator]
        return expected


@dataclass
class Person:
    """Someone a partner follows: the identifier is a fake document number, the ref the
    services derive from it is the same at every partner."""

    identifier: str
    person_id: str
    sex: str
    age_band: str
    protection_status: str
    registered_on: dt.date
    busy_until: dict[str, dt.date] = field(default_factory=dict)
    """Per thing that allows one at a time (placement, stay, internship): free from this day."""
    contacted_work_on: dt.date | None = None
    plan_id: str | None = None
    plan_opened_on: dt.date | None = None
    plan_months: int = 0
    key_worker: str | None = None

    def demographics(self) -> dict[str, str]:
        return {
            "sex": self.sex,
            "age_band": self.age_band,
            "protection_status": self.protection_status,
        }

    def free(self, what: str, on: dt.date) -> bool:
        return self.busy_until.get(what, dt.date.min) <= on


@dataclass
class Occupancy:
    """What a unit's beds or a family's rooms hold over time: (from, until or None, how many)
    for each stay, so a new stay is planned only where it fits on every one of its days."""

    capacity: int
    offered_from: dt.date
    stays: list[tuple[dt.date, dt.date | None, int]] = field(default_factory=list)

    def fits(self, size: int, start: dt.date, end: dt.date | None) -> bool:
        """``size`` more fit on every day of [start, end) (end None: from start on)."""
        if start < self.offered_from:
            return False
        overlapping = [
            (s, e, n)
            for s, e, n in self.stays
            if (end is None or s < end) and (e is None or start < e)
        ]
        # What is taken is highest at one of the overlapping stays' starts (or at start).
        days = {start} | {s for s, _, _ in overlapping if s > start}
        return all(
            size + sum(n for s, e, n in overlapping if s <= day and (e is None or day < e))
            <= self.capacity
            for day in days
        )

    def take(self, size: int, start: dt.date, end: dt.date | None) -> None:
        self.stays.append((start, end, size))


class PartnerPlanner:
    """What one partner records, axis by axis; the axis modules add to it."""

    def __init__(
        self,
        profile: PartnerProfile,
        first_day: dt.date,
        last_day: dt.date,
        scale: float,
        seed: int,
    ) -> None:
        self.profile = profile
        self.first_day, self.last_day = first_day, last_day
        self.rng = random.Random(f"{seed}:{profile.partner_id}")  # noqa: S311 - made-up data
        self.weight = profile.size * scale
        self.calls: list[Call] = []
        self.tally: Counter[str] = Counter()
        self.made: Counter[str] = Counter()
        """What the stories counted for themselves (e.g. how many returns so far)."""
        self.persons: list[Person] = []
        self.places = MUNICIPALITIES.get(profile.region, ANYWHERE)

    # -- time -----------------------------------------------------------------------------
    def months(self) -> Iterable[dt.date]:
        month = self.first_day.replace(day=1)
        while month <= self.last_day:
            yield month
            month = (month + dt.timedelta(days=32)).replace(day=1)

    def how_many(self, per_month: float, month: dt.date) -> int:
        """A count for the month: the partner's size, the season, and chance."""
        mean = per_month * self.weight * SEASON[month.month]
        return _poisson(self.rng, mean)

    def day_in(self, month: dt.date, weekdays_only: bool = True) -> dt.date:
        last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        first = max(month, self.first_day)
        last = min(last, self.last_day)
        for _ in range(20):
            day = first + dt.timedelta(days=self.rng.randint(0, max((last - first).days, 0)))
            if not weekdays_only or day.weekday() < 5:
                return day
        return first

    def later(self, day: dt.date, low: int, high: int) -> dt.date:
        return day + dt.timedelta(days=self.rng.randint(low, high))

    def within(self, day: dt.date) -> bool:
        return day <= self.last_day

    # -- choices --------------------------------------------------------------------------
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weighted: dict[str, float]) -> str:
        return self.rng.choices(list(weighted), weights=list(weighted.values()))[0]

    def person_for(
        self, on: dt.date, free_of: Sequence[str] = (), known_at_work: bool = False
    ) -> Person | None:
        """Someone registered by ``on`` (in the last 18 months), free on that day of each of
        ``free_of`` and, with ``known_at_work``, met by the work desk before."""
        since = on - dt.timedelta(days=540)
        known = [
            p
            for p in self.persons
            if since <= p.registered_on <= on
            and all(p.free(what, on) for what in free_of)
            and (
                not known_at_work or (p.contacted_work_on is not None and p.contacted_work_on <= on)
            )
        ]
        return self.rng.choice(known) if known else None

    # -- calls ----------------------------------------------------------------------------
    def call(
        self,
        happened_on: dt.date,
        service: str,
        path: str,
        body: dict[str, Any],
        *,
        frees: bool = False,
        late_by: int = 0,
        admin: bool = False,
        method: str = "POST",
    ) -> None:
        self.calls.append(
            Call(
                happened_on + dt.timedelta(days=late_by),
                happened_on,
                self.profile.partner_id,
                service,
                method,
                path,
                body,
                frees,
                admin,
            )
        )

    def ordered(self) -> list[Call]:
        # Stable: on one day, what frees first, then in the order the stories made them.
        return sorted(self.calls, key=lambda c: (c.recorded_on, not c.frees))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def demo_span(today: dt.date, years: int = 3) -> tuple[dt.date, dt.date]:
    """From the first day of the month ``years`` years ago to ``today``."""
    first = today.replace(day=1)
    first = first.replace(year=first.year - years)
    return first, today


def plan_network(
    partners: Sequence[PartnerProfile],
    *,
    today: dt.date,
    years: int = 3,
    scale: float = 1.0,
    seed: int = 1,
) -> DemoPlan:
    """The whole network's demo: each partner's work on its axes, persons who move from one
    partner to another, a few late entries and corrections, and one erasure."""
    from franoi_network.demo import community, hosting, housing, people, work

    first_day, last_day = demo_span(today, years)
    planners = [PartnerPlanner(p, first_day, last_day, scale, seed) for p in partners]
    movers: list[tuple[Person, dt.date]] = []
    for planner in planners:
        people.register_persons(planner, arriving=movers)
        if "housing" in planner.profile.axes:
            housing.plan(planner)
        if "employment" in planner.profile.axes:
            work.plan(planner)
        if "hosting" in planner.profile.axes:
            hosting.plan(planner)
        if "events" in planner.profile.axes:
            community.plan(planner)
        people.close_plans(planner, leaving=movers)
    people.erase_one(planners[-1])
    tally: Counter[str] = Counter()
    for planner in planners:
        tally.update(planner.tally)
    return DemoPlan(
        first_day,
        last_day,
        {p.profile.partner_id: p.ordered() for p in planners},
        tally,
    )
