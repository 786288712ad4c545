"""How a command names a person: an identifier pseudonymised at once, or a ``person_ref``.

Every partner service takes a person the same way, so the same person gets the
same ``person_ref`` in every service and partner (see :mod:`franoi_common.pseudonym`).
The identifier is never stored or logged: it becomes a ``person_ref`` at the API edge.
"""

from __future__ import annotations

from typing import Self

from franoi_contracts.base import PersonRef
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from franoi_common.errors import InvalidValue
from franoi_common.pseudonym import person_ref

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (PostgreSQL text cannot hold NUL; none belongs in a label)."""


class Command(BaseModel):
    """Base of every command body: unknown fields are refused."""

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
