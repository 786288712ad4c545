"""Errors a service raises for requests it refuses, each with its HTTP status.

A domain refuses a command by raising a :class:`DomainError` subclass; the
shared error handlers (:mod:`franoi_common.http`) turn it into an RFC 9457
problem with the class's ``status`` and ``code`` and ``str(error)`` as the
detail, so a service maps its rules to HTTP by declaring them, not by code. They are
declared in the class statement, under the class of the refusal they are::

    class CapacityExceeded(Conflict, HousingError, code="capacity_exceeded", title="No room"):
        \"\"\"The unit's active placements would need more beds than it has.\"\"\"
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A request the service refuses; ``str(error)`` is a message for people."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "Request refused"

    def __init_subclass__(
        cls,
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        **options: object,
    ) -> None:
        """A subclass's ``status``, ``code`` and ``title``, given in its class statement."""
        super().__init_subclass__(**options)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
        if title is not None:
            cls.title = title

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """No such resource for this partner (another partner's data is never found)."""

    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The request conflicts with the current state of a resource."""

    status = 409
    code = "conflict"
    title = "Conflict"


class AlreadyExists(Conflict):
    """A client-chosen id is taken by a resource created from a different request."""

    code = "already_exists"


class InvalidTransition(Conflict):
    """The resource is not in a state that allows the command."""

    code = "invalid_transition"
    title = "Not allowed in the current state"


class InvalidValue(DomainError):
    """A value is out of its range or malformed."""

    code = "invalid_value"
    title = "Invalid value"


class InvalidDates(DomainError):
    """The dates of the command are inconsistent."""

    code = "invalid_dates"
    title = "Inconsistent dates"


def refusals(
    family: type[DomainError],
) -> tuple[type[InvalidTransition], type[InvalidDates], type[InvalidValue]]:
    """The refusals every domain has, as members of a service's own ``family`` (so
    ``except HousingError`` catches them too) with the shared code, status and title::

        InvalidTransition, InvalidDates, InvalidValue = refusals(HousingError)
    """
    made = [
        type(
            shared.__name__,
            (shared, family),
            {"__module__": family.__module__, "__doc__": shared.__doc__},
        )
        for shared in (InvalidTransition, InvalidDates, InvalidValue)
    ]
    return made[0], made[1], made[2]
