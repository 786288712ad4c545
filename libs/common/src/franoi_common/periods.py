"""A period a person spends somewhere: a placement in a housing unit, a stay with a host
family, an internship at a company. One lifecycle for every service that runs them: a period
is active from the day it started, and it ends once, not before it started; a period with a
planned end (:class:`PlannedPeriod`: a placement, an internship) also moves that end, never
before the start, while it is active. A family's stay is a :class:`Period` whose extension
counts in months, its own.

A service's class is a ``@dataclass(eq=False)`` with its own fields, among them
``started_on``, ``status`` and ``ended_on`` (and ``planned_end_on``); it names its checks, the
status it has while it is active (and the event of a moved planned end)::

    @dataclass(eq=False)
    class Placement(PlannedPeriod):
        placement_id: UUID
        ...
        CHECKS = _checks
        ACTIVE = PlacementStatus.ACTIVE
        EXTENDED = contract.PlacementExtended

Messages name the period by its class name's words in lower case ("the placement already
ended"). The command handler of an extension is the same for each (:func:`extending`), and
so is the query of the active periods of a unit, a family or a person (:func:`active`)::

    extend_placement = extending(Placement, ExtendPlacement)
    await active(repository, Placement, partner_id, unit_id=unit_id)

Rules of one at a time (one placement per person, a unit's beds, a family's rooms) hold on
the dates the periods concern, not on today: a period covers the days from its start to its
actual end, the day it ended excluded (that day is free for the next one: a move), and every
day from its start while it has not ended. :func:`overlapping` loads the periods of a unit, a
family or a person that share a day with a new one (history may be recorded in any order);
:func:`check_one_at_a_time` refuses one that shares a day with another of the same person,
:func:`busiest_day` finds the day they add up the most (beds, rooms). Ending a period only
shortens it, so it never makes an overlap; moving the planned end does not change its days.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Protocol, Self, TypeVar
from uuid import UUID

from franoi_contracts.base import DomainEvent
from pydantic import BaseModel, Field, model_validator

from franoi_common.commands import PartnerServices, changes
from franoi_common.db import serialise
from franoi_common.domain import Aggregate, Checks
from franoi_common.persons import Day
from franoi_common.repository import Repository

Q = TypeVar("Q", bound="Period")
S = TypeVar("S", bound="Spanned")
P = TypeVar("P", bound="PlannedPeriod")


class Period(Aggregate):
    """What every period holds and checks: active from its start, then ended."""

    started_on: dt.date
    status: StrEnum
    ended_on: dt.date | None

    CHECKS: ClassVar[Checks]
    ACTIVE: ClassVar[StrEnum]

    @property
    def is_active(self) -> bool:
        return self.status is self.ACTIVE

    @property
    def period_id(self) -> UUID:
        """The period's id (a ``Placement``'s ``placement_id``)."""
        found: UUID = getattr(self, _words(type(self))[-1] + "_id")
        return found

    @property
    def dates(self) -> str:
        """Its days in words: "from 2019-06-01" while open, "from … to …" once ended."""
        until = "" if self.ended_on is None else f" to {self.ended_on}"
        return f"from {self.started_on}{until}"

    def described(self) -> str:
        """The period for a refusal: its kind, its id and its dates ("active placement …
        from 2019-06-01", "placement … from 2019-02-01 to 2019-05-01")."""
        active = "active " if self.ended_on is None else ""
        return f"{active}{_name(self)} {self.period_id} {self.dates}"

    def overlaps(self, started_on: dt.date, ended_on: dt.date | None) -> bool:
        """Whether the period shares a day with the days from ``started_on`` to
        ``ended_on`` (that day excluded; None: open)."""
        return overlap(self.started_on, self.ended_on, started_on, ended_on)

    def check_active(self) -> None:
        """Refuse a change of a period that has ended."""
        self.CHECKS.allowed(self.is_active, f"the {_name(self)} already ended on {self.ended_on}")

    def check_end(self, on: dt.date) -> None:
        """Refuse to end a period that has ended already, or on a day before it started."""
        self.check_active()
        name = _name(self)
        article = "an" if name[0] in "aeiou" else "a"
        self.CHECKS.not_before(
            on, self.started_on, f"{article} {name} cannot end before it started"
        )


class Spanned(Protocol):
    """What takes a place from a day on: a period, or what holds a place without being one
    (:class:`Held`)."""

    @property
    def started_on(self) -> dt.date: ...

    def overlaps(self, started_on: dt.date, ended_on: dt.date | None) -> bool: ...

    def described(self) -> str: ...


@dataclass(frozen=True)
class Held:
    """A place held from a day on, open, by what is not a period (an accepted match waiting
    for its stay holds a family's room): ``described`` names it in a refusal."""

    started_on: dt.date
    described_as: str

    def overlaps(self, started_on: dt.date, ended_on: dt.date | None) -> bool:
        return overlap(self.started_on, None, started_on, ended_on)

    def described(self) -> str:
        return self.described_as


class PlannedPeriod(Period):
    """A period with a planned end, which moves while it is active."""

    planned_end_on: dt.date | None

    EXTENDED: ClassVar[type[DomainEvent]]

    def extend(self, planned_end_on: dt.date) -> None:
        """Move the planned end of an active period (not before its start)."""
        self.check_active()
        self.CHECKS.not_before(
            planned_end_on, self.started_on, "the planned end cannot be before the start"
        )
        self.planned_end_on = planned_end_on
        self.record_event(self.EXTENDED)


EndedOn = Annotated[
    Day | None, Field(description="A period of the past recorded at once: the day it ended")
]
"""The end a command starting a period may carry, to record a period of the past at once."""


class EndedAtOnce(BaseModel):
    """A command starting a period that may carry its end (``ended_on: EndedOn = None``)
    and, with it, what the end needs (``END_NEEDS``: an exit outcome...): given together or
    not at all."""

    END_NEEDS: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _end_with_what_it_needs(self) -> Self:
        ended = getattr(self, "ended_on", None) is not None
        for name in self.END_NEEDS:
            if ended != (getattr(self, name) is not None):
                raise ValueError(f"give ended_on and {name} together, or neither")
        return self


def extending(
    cls: type[P], command: type[BaseModel]
) -> Callable[[PartnerServices, str, UUID, Any], Awaitable[P]]:
    """The handler ``extend_<period>`` of ``command`` (the service's, with the new
    ``planned_end_on``): move the planned end of a period of ``cls``."""

    def extend(period: P, cmd: Any) -> None:
        period.extend(cmd.planned_end_on)

    extend.__name__ = extend.__qualname__ = "extend_" + "_".join(_words(cls))
    return changes(cls, command)(extend)


async def active(repository: Repository, cls: type[Q], partner_id: str, **equal: Any) -> list[Q]:
    """The partner's active periods of ``cls`` whose columns equal ``equal`` (a unit's, a
    person's...), oldest first."""
    return await repository.find(
        cls, partner_id, oldest_first_by="started_on", status=cls.ACTIVE, **equal
    )


def overlap(
    start: dt.date, end: dt.date | None, other_start: dt.date, other_end: dt.date | None
) -> bool:
    """Whether two spans of days (each from its start to its end excluded; an end of None:
    open) share a day. Touching spans (one ends the day the other starts) do not, nor does
    a span that ends the day it starts (it covers no day)."""
    ends = [day for day in (end, other_end) if day is not None]
    return not ends or max(start, other_start) < min(ends)


def check_one_at_a_time(
    others: Iterable[Period],
    started_on: dt.date,
    ended_on: dt.date | None,
    refusal: Callable[[str], Exception],
    whose: str = "the person",
) -> None:
    """Refuse (``refusal(message)``) a period of one person from ``started_on`` to
    ``ended_on`` that shares a day with one of ``others`` (the person's periods), naming
    the first such one and its dates."""
    for other in sorted(others, key=lambda p: p.started_on):
        if other.overlaps(started_on, ended_on):
            raise refusal(f"{whose} already has the {other.described()}")


def busiest_day(
    periods: Iterable[S],
    started_on: dt.date,
    ended_on: dt.date | None,
    size: Callable[[S], int] = lambda period: 1,
) -> tuple[int, dt.date, list[S]]:
    """Of the days from ``started_on`` to ``ended_on`` (excluded; None: open), the one on
    which ``periods`` take the most (each its ``size``: a household's beds, one room): what
    they take then, that day (the earliest of the busiest) and the periods covering it."""
    within = [p for p in periods if p.overlaps(started_on, ended_on)]
    best: tuple[int, dt.date, list[S]] = (0, started_on, [])
    # what is taken changes only on a start: the busiest day is one of them (or the first)
    for day in sorted({started_on, *(p.started_on for p in within if p.started_on > started_on)}):
        covering = [p for p in within if p.overlaps(day, day + dt.timedelta(days=1))]
        taken = sum(size(p) for p in covering)
        if taken > best[0]:
            best = (taken, day, covering)
    return best


async def overlapping(
    repository: Repository,
    cls: type[Q],
    partner_id: str,
    started_on: dt.date,
    ended_on: dt.date | None,
    **equal: Any,
) -> list[Q]:
    """The partner's periods of ``cls`` whose columns equal ``equal`` (a unit's, a
    person's...) and that share a day with the days from ``started_on`` to ``ended_on``
    (excluded; None: open), oldest first."""
    where, args = ["(ended_on IS NULL OR ended_on > $2)"], [started_on]
    if ended_on is not None:  # started before it ends (a plain range on the start's index)
        where.append("started_on < $3")
        args.append(ended_on)
    return await repository.find(
        cls, partner_id, oldest_first_by="started_on", where=where, where_args=args, **equal
    )


async def lock_person(repository: Repository, cls: type[Period], partner_id: str, ref: str) -> None:
    """Serialise, until the transaction ends, the commands that record a period of ``cls``
    for one person (the one-at-a-time rule reads the person's periods, then writes)."""
    await serialise(
        repository.conn,
        "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
        repository.table(cls).name,
        f"{partner_id}/{ref}",
    )


def _name(period: Period) -> str:
    return " ".join(_words(type(period)))


def _words(cls: type[Any]) -> list[str]:
    """A class name's words in lower case (a ``HostingStay``: hosting, stay)."""
    return [word.lower() for word in _WORD.findall(cls.__name__)]


_WORD = re.compile(r"[A-Z][a-z0-9]*")
