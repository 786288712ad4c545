"""The base of the event contract: every event type is a pydantic model with a CloudEvents
type, and the vocabulary the domains share (pseudonymous references, places, the coarse
attributes events may carry).

An event's *data* is the model's JSON; its identity (``ce_id``), time, source, partner and
sequence travel beside it as CloudEvents attributes (:mod:`franoi_contracts.wire`). Models
forbid extra fields, so an event can never carry more than its published schema.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, StringConstraints

EVENT_TYPE_PATTERN = re.compile(r"^it\.franoi\.([a-z]+)\.([a-z_]+)\.([a-z_]+)\.v([0-9]+)$")
"""``it.franoi.<domain>.<entity>.<what happened>.v<major>``"""

PersonRef = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A keyed pseudonym of a person (HMAC-SHA256 of the normalised identifier under the network
key, in hex), never an identifier. On the topics of a partner that shreds pseudonyms
(every partner in production) the value is the person's *token* in the partner's key
store instead: 64 random hex digits, the same on every event of the person at that
partner, that only the key store's holders can open to the reference, and nobody once the
partner erased the person (``docs/privacy.md``, "Shredded pseudonyms on the stream")."""

MUNICIPALITY_CODE_PATTERN = r"^[A-Z][0-9]{3}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}$"
"""An ISO 639 language code in lower case (``it``, ``ti``)."""

MunicipalityCode = Annotated[str, StringConstraints(pattern=MUNICIPALITY_CODE_PATTERN)]
"""ISTAT/cadastral municipality code (e.g. ``L219`` Torino): a place, not a person's address."""


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class AgeBand(StrEnum):
    UNDER_18 = "0-17"
    AGE_18_24 = "18-24"
    AGE_25_34 = "25-34"
    AGE_35_44 = "35-44"
    AGE_45_54 = "45-54"
    AGE_55_PLUS = "55+"


def age_band_on(born_on: dt.date, on: dt.date) -> AgeBand:
    """A person's age band on a day (what a record of that day carries, never the birth
    date itself)."""
    age = on.year - born_on.year - ((on.month, on.day) < (born_on.month, born_on.day))
    for limit, band in (
        (18, AgeBand.UNDER_18),
        (25, AgeBand.AGE_18_24),
        (35, AgeBand.AGE_25_34),
        (45, AgeBand.AGE_35_44),
        (55, AgeBand.AGE_45_54),
    ):
        if age < limit:
            return band
    return AgeBand.AGE_55_PLUS


class ProtectionStatus(StrEnum):
    REFUGEE = "refugee"
    SUBSIDIARY = "subsidiary_protection"
    SPECIAL = "special_protection"
    TRAFFICKING_VICTIM = "trafficking_victim_permit"
    OTHER = "other"


class DomainEvent(BaseModel):
    """Base of every event type.

    Subclasses set ``TYPE`` (the CloudEvents type) and ``KEY`` (the name of the
    field holding the aggregate id: the Kafka key and ``ce_subject``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    KEY: ClassVar[str]

    _registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        event_type = cls.__dict__.get("TYPE")
        if event_type is None:  # an intermediate base class
            return
        if not EVENT_TYPE_PATTERN.match(event_type):
            raise TypeError(f"{cls.__name__}.TYPE {event_type!r} is not a valid event type")
        if cls.KEY not in cls.model_fields:
            raise TypeError(f"{cls.__name__}.KEY {cls.KEY!r} is not a field")
        other = DomainEvent._registry.get(event_type)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {event_type} defined twice")
        DomainEvent._registry[event_type] = cls

    @property
    def aggregate_id(self) -> str:
        return str(getattr(self, self.KEY))

    @classmethod
    def domain(cls) -> str:
        match = EVENT_TYPE_PATTERN.match(cls.TYPE)
        assert match is not None
        return match.group(1)

    @classmethod
    def schema_name(cls) -> str:
        """Name of the published JSON Schema: the event type."""
        return cls.TYPE

    def data(self) -> dict[str, Any]:
        """The event data as JSON-compatible values."""
        return self.model_dump(mode="json")


def event_types(domain: str | None = None) -> dict[str, type[DomainEvent]]:
    """Every registered event type (import the domain's events module first)."""
    return {t: c for t, c in sorted(DomainEvent._registry.items()) if domain in (None, c.domain())}


def event_class(event_type: str) -> type[DomainEvent] | None:
    return DomainEvent._registry.get(event_type)
