"""What every domain model shares: the aggregate base, the value checks, the retry rule.

:class:`Entity` and :class:`Aggregate` are the bases of the services' domain objects: an
entity is told apart by its identity (its first field: ``placement_id``...), so two copies
of one placement are equal and hash alike whatever their state; an aggregate also collects
the events its methods record (``self.record_event(PlacementEnded)``) until the service
layer moves them to the outbox.

Each service keeps its own family of refusals (``HousingError``...), so its tests and
callers can catch the family; the refusals every domain has are the shared classes of
:mod:`franoi_common.errors` mixed into that family, which keeps their code, status and
title the same in every service::

    class InvalidValue(errors.InvalidValue, HousingError):
        \"\"\"A value is out of its range or malformed.\"\"\"

A model then checks its values through one :class:`Checks` made with those classes::

    _checks = Checks(InvalidValue, InvalidDates)
    _checks.range("beds", beds, MIN_BEDS, MAX_BEDS)

:func:`creates` makes an aggregate's factory from the classmethod that checks a new one:
its arguments are the new aggregate's fields and the factory records the creation event, so
each field is written once (in the dataclass and the factory's parameters).

:func:`repeats` is the test behind "a terminal transition repeated with the same data
records nothing": a client retrying "end this placement" gets a success, not a conflict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from franoi_contracts.base import LANGUAGE_PATTERN, MUNICIPALITY_CODE_PATTERN, DomainEvent

from franoi_common.errors import DomainError, InvalidDates, InvalidTransition, InvalidValue

E = TypeVar("E", bound=DomainEvent)
A = TypeVar("A", bound="Aggregate")
P = ParamSpec("P")

PERSON_REF = re.compile(r"^[0-9a-f]{64}$")
"""A ``person_ref``: the keyed pseudonym of a person, 64 lowercase hex digits."""
_MUNICIPALITY_CODE = re.compile(MUNICIPALITY_CODE_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)


_IDENTITIES: dict[type[Any], str] = {}


def _identity_of(cls: type[Any]) -> str:
    found = _IDENTITIES.get(cls)
    if found is None:
        found = _IDENTITIES[cls] = next(f.name for f in dataclasses.fields(cls) if not f.kw_only)
    return found


class Entity:
    """A domain object told apart by its identity, the first field of its dataclass: equal
    to another of its class with the same identity, and hashed by it."""

    __slots__ = ()

    @property
    def entity_id(self) -> Any:
        """The value of the entity's first field: what tells it apart."""
        return getattr(self, _identity_of(type(self)))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.entity_id == self.entity_id

    def __hash__(self) -> int:
        return hash(self.entity_id)


@dataclass(eq=False)
class Aggregate(Entity):
    """An entity whose changes the network hears of: its methods record events, which the
    service layer moves to the outbox in the transaction that saves it. Subclasses are
    ``@dataclass(eq=False)``, so that equality stays the identity's."""

    events: list[DomainEvent] = field(default_factory=list, repr=False, kw_only=True)

    def record_event(self, event_type: type[E], **values: Any) -> E:
        """Record an event of ``event_type``: each of its fields is ``values[name]`` when
        given, else this aggregate's attribute of that name (the two agree by design: an
        event says what the aggregate now holds)."""
        event = event_type(
            **{
                name: values[name] if name in values else getattr(self, name)
                for name in event_type.model_fields
            }
        )
        self.events.append(event)
        return event


Check = Callable[Concatenate[type[A], P], Mapping[str, Any]]
Factory = Callable[Concatenate[type[A], P], A]


def creates(event: type[DomainEvent]) -> Callable[[Check[A, P]], Factory[A, P]]:
    """The factory of an aggregate that records ``event``, from the classmethod that checks
    a new one: its parameters named like the aggregate's fields are those fields, and it
    answers the fields it derives or cleans (a person's attributes, a trimmed label, an
    agreement's id), so that each field is written once::

        @classmethod
        @creates(contract.ConsultationRecorded)
        def record(cls, consultation_id: UUID, person: Person, minutes: int) -> Fields:
            _checks.within("minutes", minutes, Minutes)
            return person.fields()
    """

    def factory_of(check: Check[A, P]) -> Factory[A, P]:
        signature = inspect.signature(check)

        @functools.wraps(check)
        def factory(cls: type[A], /, *args: P.args, **kwargs: P.kwargs) -> A:
            derived = check(cls, *args, **kwargs)
            given = signature.bind(cls, *args, **kwargs)
            given.apply_defaults()
            names = {f.name for f in dataclasses.fields(cls)}
            fields = {n: v for n, v in given.arguments.items() if n in names} | dict(derived)
            aggregate = cls(**fields)
            aggregate.record_event(event)
            return aggregate

        return factory

    return factory_of


Fields = Mapping[str, Any]
"""What a factory under :func:`creates` derives of the new aggregate's fields."""


def bounds(bounded: Any) -> tuple[int, int]:
    """The inclusive bounds of a constrained whole number of the contract (``Beds``...)."""
    found = [m for a in typing.get_args(bounded)[1:] for m in getattr(a, "metadata", [a])]
    low = next(m.ge for m in found if hasattr(m, "ge"))
    high = next(m.le for m in found if hasattr(m, "le"))
    return int(low), int(high)


@dataclass(frozen=True)
class Checks:
    """The checks of one domain, raising its ``invalid_value``, ``invalid_dates`` and
    ``invalid_transition`` errors."""

    invalid_value: type[DomainError] = InvalidValue
    invalid_dates: type[DomainError] = InvalidDates
    invalid_transition: type[DomainError] = InvalidTransition

    def allowed(self, condition: bool, message: str) -> None:
        """Refuse (with ``message``) a transition the aggregate's state does not allow."""
        if not condition:
            raise self.invalid_transition(message)

    def range(self, name: str, value: int, low: int, high: int) -> None:
        """Refuse ``value`` unless it is a whole number (not a bool) from ``low`` to ``high``."""
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.invalid_value(f"{name} must be between {low} and {high}, got {value!r}")

    def within(self, name: str, value: int, bounded: Any) -> None:
        """Refuse ``value`` outside the range of the contract's type ``bounded`` (``Beds``...),
        so that the range is written once, in the contract."""
        self.range(name, value, *bounds(bounded))

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
