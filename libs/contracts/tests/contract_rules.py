"""What every event contract must satisfy, and what each domain declares for the checks
in ``test_every_contract.py`` (its events, one valid sample of each, the words no field
name may contain, the extra fields a social worker might try to add)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from franoi_contracts.base import DomainEvent

IDENTIFYING_WORDS = (
    "name", "address", "phone", "email", "tax", "fiscal", "permit", "note", "comment",
    "description", "text",
)  # fmt: skip
"""No property name of any event (nested ones included) contains any of these words."""


@dataclass(frozen=True)
class Contract:
    domain: str
    module: ModuleType
    events: tuple[type[DomainEvent], ...]
    samples: dict[type[DomainEvent], dict[str, Any]]
    also_forbidden: tuple[str, ...] = ()
    """Words the domain forbids in property names besides :data:`IDENTIFYING_WORDS`."""
    extra_fields: tuple[dict[str, Any], ...] = ({"notes": "free text"},)
    """Fields a client might try to add: each is refused."""
    nested: frozenset[str] | None = frozenset()
    """Titles of the nested objects allowed (closed, free of text themselves); ``None``:
    any closed object."""
    unique_arrays: bool = False
    """Lists are sets (``uniqueItems``)."""

    @property
    def forbidden_in_names(self) -> tuple[str, ...]:
        return IDENTIFYING_WORDS + self.also_forbidden

    def sample(self, cls: type[DomainEvent]) -> DomainEvent:
        return cls(**self.samples[cls])
