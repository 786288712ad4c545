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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from franoi_contracts.base import DomainEvent
from pydantic import BaseModel

from franoi_common.commands import PartnerServices, changes
from franoi_common.domain import Aggregate, Checks
from franoi_common.repository import Repository

Q = TypeVar("Q", bound="Period")
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


def _name(period: Period) -> str:
    return " ".join(_words(type(period)))


def _words(cls: type[Any]) -> list[str]:
    """A class name's words in lower case (a ``HostingStay``: hosting, stay)."""
    return [word.lower() for word in _WORD.findall(cls.__name__)]


_WORD = re.compile(r"[A-Z][a-z0-9]*")
