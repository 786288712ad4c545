"""A person's request for what a service offers: one lifecycle for every service that takes
requests (a home from housing, a host family or family support from hosting).

A request is submitted open, then closed once: satisfied (by what the service gave: a
placement, a stay), declared unsatisfied (with the service's reason) or withdrawn by the
person. It cannot close before it was submitted. A close repeated with the same data (a
client retrying "withdraw this request") records nothing, so retries are safe; with other
data, or on a request already closed otherwise, it is refused.

A service's request class names its events (the contract's ``RequestSubmitted``...), its
checks (its own refusals) and the contract's ``HouseholdSize``, and adds its own fields; its
handler of the submission comes from :func:`submitting`, those of the closes from
:func:`closing_handlers`::

    @dataclass(eq=False)
    class HousingRequest(PersonRequest):
        need: HousingNeed
        placement_id: UUID | None = field(default=None, kw_only=True)
        unsatisfied_reason: UnsatisfiedReason | None = field(default=None, kw_only=True)

        EVENTS = RequestEvents.of(contract)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import Any, ClassVar, NamedTuple, Self, TypeVar
from uuid import UUID

from franoi_contracts.base import AgeBand, DomainEvent, ProtectionStatus, Sex
from pydantic import BaseModel

from franoi_common.commands import PartnerServices, changes, new
from franoi_common.domain import Aggregate, Checks, repeats
from franoi_common.persons import Command, Day

R = TypeVar("R", bound="PersonRequest")


class RequestStatus(StrEnum):
    OPEN = "open"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    WITHDRAWN = "withdrawn"


class RequestEvents(NamedTuple):
    """The events a service publishes for its requests, from its contract."""

    submitted: type[DomainEvent]
    satisfied: type[DomainEvent]
    unsatisfied: type[DomainEvent]
    withdrawn: type[DomainEvent]

    @classmethod
    def of(cls, contract: ModuleType) -> RequestEvents:
        """A service's request events, named alike in every contract: its module's
        ``RequestSubmitted``, ``RequestSatisfied``, ``RequestUnsatisfied`` and
        ``RequestWithdrawn``."""
        return cls(*(getattr(contract, f"Request{field.capitalize()}") for field in cls._fields))


@dataclass(eq=False)
class PersonRequest(Aggregate):
    """A person's request, with the coarse attributes the network counts by."""

    request_id: UUID
    person_ref: str
    household_size: int
    submitted_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    status: RequestStatus = field(default=RequestStatus.OPEN, kw_only=True)
    closed_on: dt.date | None = field(default=None, kw_only=True)
    unsatisfied_reason: Any = field(default=None, kw_only=True)
    """The service's reason (its contract's ``UnsatisfiedReason``), once declared."""

    EVENTS: ClassVar[RequestEvents]
    CHECKS: ClassVar[Checks]
    HOUSEHOLD_SIZE: ClassVar[Any]
    """The contract's ``HouseholdSize`` (its range)."""

    @classmethod
    def submit(cls, *values: Any, **fields: Any) -> Self:
        """A new open request; its fields in the order of the service's ``RequestSubmitted``
        event (the published contract), or by name."""
        names = list(cls.EVENTS.submitted.model_fields)
        if len(values) > len(names):
            raise TypeError(f"{cls.__name__}.submit takes at most {len(names)} values")
        given = dict(zip(names, values, strict=False)) | fields
        cls.CHECKS.person_ref(given.get("person_ref"))  # type: ignore[arg-type]
        cls.CHECKS.within("household_size", given.get("household_size"), cls.HOUSEHOLD_SIZE)  # type: ignore[arg-type]
        request = cls(**given)
        request.record_event(cls.EVENTS.submitted)
        return request

    @property
    def is_open(self) -> bool:
        return self.status is RequestStatus.OPEN

    def check_can_close(self, on: dt.date) -> None:
        """Raise unless the request is open and ``on`` is not before its submission."""
        if not self.is_open:
            raise self.CHECKS.invalid_transition(
                f"the request is already closed ({self.status.value})"
            )
        self.CHECKS.not_before(
            on, self.submitted_on, "a request cannot close before it was submitted"
        )

    def declare_unsatisfied(self, on: dt.date, reason: Any) -> None:
        """Close the request without satisfying it, for ``reason``."""
        self._close(
            RequestStatus.UNSATISFIED,
            on,
            self.EVENTS.unsatisfied,
            {"unsatisfied_reason": reason},
            reason=reason,
        )

    def withdraw(self, on: dt.date) -> None:
        """Close the request because the person withdrew it."""
        self._close(RequestStatus.WITHDRAWN, on, self.EVENTS.withdrawn, {})

    def _satisfy(self, on: dt.date, **by: Any) -> None:
        """Close the request as satisfied by what ``by`` names (a placement, a stay)."""
        self._close(RequestStatus.SATISFIED, on, self.EVENTS.satisfied, by)

    def _close(
        self,
        status: RequestStatus,
        on: dt.date,
        event: type[DomainEvent],
        changes: dict[str, Any],
        **values: Any,
    ) -> None:
        if repeats(self, status=status, closed_on=on, **changes):
            return
        self.check_can_close(on)
        self.status, self.closed_on = status, on
        for name, value in changes.items():
            setattr(self, name, value)
        self.record_event(event, **values)


class WithdrawRequest(Command):
    closed_on: Day


Handler = Callable[[PartnerServices, str, UUID, Any], Awaitable[R]]


def submitting(
    cls: type[R], submit: type[BaseModel]
) -> Callable[[PartnerServices, str, Any], Awaitable[R]]:
    """The handler of ``submit`` (the service's command, a person's data): a new request of
    ``cls`` for the person's pseudonym, with the command's fields that the service's
    ``RequestSubmitted`` names; safe to retry with the same ``request_id``."""
    names = [n for n in cls.EVENTS.submitted.model_fields if n in submit.model_fields]

    async def submit_request(s: PartnerServices, partner_id: str, cmd: Any) -> R:
        fields = {n: getattr(cmd, n) for n in names} | {"person_ref": s.person_ref_of(cmd)}

        def made(request_id: UUID) -> R:
            return cls.submit(**fields | {"request_id": request_id})

        return await new(s, partner_id, cls, cmd.request_id, cmd, made)

    submit_request.__annotations__ = {
        "s": PartnerServices,
        "partner_id": str,
        "cmd": submit,
        "return": cls,
    }
    return submit_request


def closing_handlers(cls: type[R], declare: type[BaseModel]) -> tuple[Handler[R], Handler[R]]:
    """The handlers of ``declare_unsatisfied`` (its command, ``declare``, has the service's
    ``closed_on`` and ``reason``) and ``withdraw`` (:class:`WithdrawRequest`) for ``cls``."""

    def declare_request_unsatisfied(request: R, cmd: Any) -> None:
        request.declare_unsatisfied(cmd.closed_on, cmd.reason)

    def withdraw_request(request: R, cmd: WithdrawRequest) -> None:
        request.withdraw(cmd.closed_on)

    return changes(cls, declare)(declare_request_unsatisfied), changes(cls)(withdraw_request)
