"""What an indicator is: its texts, its unit, and how it is computed from the read models.

An :class:`Indicator` is computed from :class:`Source` rows, each "for every row of
``table`` where ``when`` holds, add ``amount`` in the month of ``month``"; a source can
also count a group of rows once (``group``: the distinct persons, labs or stays among
them). A *flow* sums its amounts over the months of a period; a *stock* is its value at
the end of the period's last month (its sources add and remove); a *rate* is its numerator
over its denominator, both flows of the catalogue; a *score* is a mean (wellbeing on a 1-5
scale) kept as the sum of the means over its denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    COUNT = "count"
    PERSONS = "persons"
    HOUSEHOLDS = "households"
    BEDS = "beds"
    RATE = "rate"
    DAYS = "days"
    SCORE = "score"


class By(StrEnum):
    """How a table breaks an indicator down."""

    MONTH = "month"
    PARTNER = "partner"
    REGION = "region"
    SEX = "sex"
    AGE_BAND = "age_band"
    PROTECTION_STATUS = "protection_status"


PERSON_DIMENSIONS: tuple[By, ...] = (By.SEX, By.AGE_BAND, By.PROTECTION_STATUS)
"""Disaggregations that describe the person (or a household's reference person)."""
PLACE_AND_TIME: tuple[By, ...] = (By.MONTH, By.PARTNER, By.REGION)
ALL_DIMENSIONS: tuple[By, ...] = PLACE_AND_TIME + PERSON_DIMENSIONS

SCORE_SCALE = 1_000_000
"""A score's counters hold the sum of its means in millionths of a point."""
MIN_SCORED = 5
"""A score is shown only when its denominator (stays visited...) is at least this."""


@dataclass(frozen=True)
class Text:
    it: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.it


@dataclass(frozen=True)
class FactTable:
    """A read-model table indicators are computed from: the key of the aggregate its rows
    belong to, and whether its rows carry the person columns (sex, age_band,
    protection_status)."""

    name: str
    key: str
    person_columns: bool


@dataclass(frozen=True)
class Source:
    """For every row of ``table`` where ``when`` holds, add ``amount`` in the month of the
    date ``month`` (SQL over the row's columns, the row being ``t``; a NULL date adds
    nothing).

    With ``group`` (the columns naming a group of rows, the first not NULL: a person, a
    lab), the rows of one group count once a month, and ``amount`` is an aggregate over
    the group's rows of the month (by default 1: the indicator counts distinct groups)."""

    table: str
    month: str
    amount: str = "1"
    when: str = "true"
    group: tuple[str, ...] = ()


@dataclass(frozen=True)
class Split:
    """A breakdown the monthly views show as a dictionary: the indicator's counters are
    also kept per value of ``value`` (SQL over the row) under the dimension ``dimension``."""

    dimension: str
    value: str


@dataclass(frozen=True)
class Indicator:
    id: str
    axis: str
    label: Text
    description: Text
    unit: Unit
    counts: str
    """What one unit is: persons, households, requests, placements, beds..."""
    sources: tuple[Source, ...] = ()
    stock: bool = False
    numerator: str | None = None
    denominator: str | None = None
    disaggregations: tuple[By, ...] = ALL_DIMENSIONS
    journey: Text | None = None
    """For an outcome of the pseudonymous journeys: how it is computed from a person's
    journey (kept by the journeys' statements, migration 009, instead of ``sources``)."""
    split: Split | None = None
    key_number: bool = False
    """Shown in the key numbers (the table a project publishes)."""
    network: bool = True
    """Listed in the network views (the catalogue, tables, key numbers): every count and
    rate; a score is shown in its partner-by-month view only."""

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None

    @property
    def is_score(self) -> bool:
        return self.unit is Unit.SCORE

    @property
    def parts(self) -> tuple[str, ...]:
        """The indicators whose counters make this one's value: a rate's numerator and
        denominator, a score and its denominator, or itself."""
        if self.is_rate:
            assert self.numerator and self.denominator
            return (self.numerator, self.denominator)
        if self.is_score:
            assert self.denominator
            return (self.id, self.denominator)
        return (self.id,)
