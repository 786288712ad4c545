"""What commands are made of: the base of every command body, the bounded values they take
(:data:`Day`, :data:`Label`, :data:`ClientId`), and how a command names a person: an
identifier pseudonymised at once, or a ``person_ref``.

Every partner service takes a person the same way, so the same person gets the
same ``person_ref`` in every service and partner (see :mod:`franoi_common.pseudonym`).
The identifier is never stored or logged: it becomes a ``person_ref`` at the API edge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Self
from uuid import UUID

from franoi_contracts.base import PersonRef
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from franoi_common.errors import InvalidValue
from franoi_common.pseudonym import person_ref

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (PostgreSQL text cannot hold NUL; none belongs in a label)."""

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)

Day = Annotated[
    dt.date,
    Field(ge=FIRST_DAY, le=LAST_DAY, description="A date between 2000-01-01 and 2100-12-31"),
]
"""A date the network can record: 2000-01-01 to 2100-12-31."""

Label = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
"""A local label (a name, a title): printable, 1 to 200 characters; kept in its service."""

ClientId = Annotated[
    UUID | None,
    Field(description="Client-chosen id: retrying the identical request answers the same resource"),
]
"""The id a create's client may choose, which makes the create safe to retry."""


def stand_in_ref(name: str) -> str:
    """A stand-in ``person_ref`` for a name, for examples and tests: 64 hex digits like a
    pseudonym, the same for the same name, never the network's pseudonym of anyone."""
    return hashlib.sha256(f"stand-in {name}".encode()).hexdigest()


class Command(BaseModel):
    """Base of every command body: unknown fields are refused.

    A service's commands are what its users ask it to do, and its API's request bodies
    too, so their validation is the API's: bad input is refused before anything is
    written. Dates are bounded (:data:`Day`: 2000 to 2100)."""

    model_config = ConfigDict(extra="forbid")


class PersonInput(Command):
    """Who a command is for: an identifier (pseudonymised at once, never stored) or an
    already computed ``person_ref``."""

    person_identifier: SecretStr | None = Field(
        None,
        description="Tax code or permit number; turned into person_ref and discarded",
        min_length=6,
        max_length=64,
    )
    person_ref: PersonRef | None = None

    @model_validator(mode="after")
    def _exactly_one_person(self) -> Self:
        if (self.person_identifier is None) == (self.person_ref is None):
            raise ValueError("give exactly one of person_identifier and person_ref")
        return self


class Pseudonymiser:
    """Turns a command's person into its ``person_ref`` under the network key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def person_ref_of(self, person: PersonInput) -> str:
        if person.person_ref is not None:
            return person.person_ref
        assert person.person_identifier is not None
        try:
            return person_ref(person.person_identifier.get_secret_value(), self._key)
        except ValueError as exc:
            raise InvalidValue(str(exc)) from exc
