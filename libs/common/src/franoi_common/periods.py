"""A period a person spends somewhere until a planned end: a placement in a housing unit,
a stay with a host family, an internship at a company. One lifecycle for every service that
runs them: it is active from the day it started, its planned end moves (never before the
start) while it is active, and it ends once, not before it started.

A service's class is a ``@dataclass(eq=False)`` with its own fields, among them
``started_on``, ``planned_end_on``, ``status`` and ``ended_on``; it names its checks, the
status it has while it is active, and the event of a moved planned end::

    @dataclass(eq=False)
    class Placement(PlannedPeriod):
        placement_id: UUID
        ...
        CHECKS = _checks
        ACTIVE = PlacementStatus.ACTIVE
        EXTENDED = contract.PlacementExtended

Messages name the period by its class name in lower case ("the placement already ended").
The command handler of an extension is the same for each (:func:`extending`)::

    extend_placement = extending(Placement, ExtendPlacement)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from franoi_contracts.base import DomainEvent
from pydantic import BaseModel

from franoi_common.commands import PartnerServices, changes
from franoi_common.domain import Aggregate, Checks

P = TypeVar("P", bound="PlannedPeriod")


class PlannedPeriod(Aggregate):
    """What every period with a planned end holds and does: active, extended, ended."""

    started_on: dt.date
    planned_end_on: dt.date | None
    status: StrEnum
    ended_on: dt.date | None

    CHECKS: ClassVar[Checks]
    ACTIVE: ClassVar[StrEnum]
    EXTENDED: ClassVar[type[DomainEvent]]

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

    extend.__name__ = extend.__qualname__ = f"extend_{cls.__name__.lower()}"
    return changes(cls, command)(extend)


def _name(period: PlannedPeriod) -> str:
    return type(period).__name__.lower()
