"""Value checks every domain model makes, raising the service's own errors.

Each service keeps its own family of refusals (``HousingError``...), so its tests and
callers can catch the family; the refusals every domain has are the shared classes of
:mod:`franoi_common.errors` mixed into that family, which keeps their code, status and
title the same in every service::

    class InvalidValue(errors.InvalidValue, HousingError):
        \"\"\"A value is out of its range or malformed.\"\"\"

A model then checks its values through one :class:`Checks` made with those classes::

    _checks = Checks(InvalidValue, InvalidDates)
    _checks.range("beds", beds, MIN_BEDS, MAX_BEDS)

:func:`repeats` is the test behind "a terminal transition repeated with the same data
records nothing": a client retrying "end this placement" gets a success, not a conflict.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from franoi_contracts.base import LANGUAGE_PATTERN, MUNICIPALITY_CODE_PATTERN

from franoi_common.errors import DomainError, InvalidDates, InvalidValue

PERSON_REF = re.compile(r"^[0-9a-f]{64}$")
"""A ``person_ref``: the keyed pseudonym of a person, 64 lowercase hex digits."""
_MUNICIPALITY_CODE = re.compile(MUNICIPALITY_CODE_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)


@dataclass(frozen=True)
class Checks:
    """The checks of one domain, raising its ``invalid_value`` and ``invalid_dates`` errors."""

    invalid_value: type[DomainError] = InvalidValue
    invalid_dates: type[DomainError] = InvalidDates

    def range(self, name: str, value: int, low: int, high: int) -> None:
        """Refuse ``value`` unless it is a whole number (not a bool) from ``low`` to ``high``."""
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.invalid_value(f"{name} must be between {low} and {high}, got {value!r}")

    def person_ref(self, person_ref: str) -> None:
        """Refuse anything but a person's pseudonym."""
        if not isinstance(person_ref, str) or not PERSON_REF.match(person_ref):
            raise self.invalid_value("person_ref must be a pseudonym (64 lowercase hex digits)")

    def municipality_code(self, code: str) -> None:
        """Refuse anything but a cadastral municipality code (a place, never an address)."""
        if not isinstance(code, str) or not _MUNICIPALITY_CODE.match(code):
            raise self.invalid_value("municipality_code must be a cadastral code like L219")

    def language(self, code: str) -> None:
        """Refuse anything but an ISO 639 language code in lower case."""
        if not isinstance(code, str) or not _LANGUAGE.match(code):
            raise self.invalid_value("a language is an ISO 639 code in lower case, like it or ti")

    def not_before(self, later: dt.date, earlier: dt.date | None, message: str) -> None:
        """Refuse (with ``message``) ``later`` before ``earlier``; no ``earlier``, no check."""
        if earlier is not None and later < earlier:
            raise self.invalid_dates(message)


def repeats(aggregate: object, **state: Any) -> bool:
    """Whether ``aggregate`` already holds every attribute in ``state`` with that value.

    A terminal transition asks it first: ``if repeats(self, status=WITHDRAWN, closed_on=on):
    return`` makes the retry of a command that already succeeded a no-op.
    """
    return all(getattr(aggregate, name) == value for name, value in state.items())
