"""Commands: what a hub's staff ask the events service to do.

They are the API's request bodies too, so their validation is the API's: bad
input is refused before anything is written. Dates are bounded (2000 to 2100).
Names, titles and opening hours are public labels kept in this service only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self
from uuid import UUID

from franoi_common.persons import PRINTABLE, Command, Day, PersonInput
from franoi_contracts.base import MunicipalityCode
from franoi_contracts.events import (
    MAX_ACCESSES_PER_LINE,
    MAX_CO_ORGANISERS,
    MAX_DURATION_MINUTES,
    MAX_KNOWN_PERSONS,
    MAX_PARTICIPANTS,
    MIN_DURATION_MINUTES,
    AccessTopic,
    CancellationReason,
    CommunityEventKind,
    HubKind,
)
from pydantic import Field, field_validator, model_validator

CLIENT_ID = "Client-chosen id: retrying the identical request answers the same resource"

Label = Annotated[str, Field(min_length=1, max_length=160, pattern=PRINTABLE)]
Count = Annotated[int, Field(ge=0, le=MAX_PARTICIPANTS)]
CoOrganisersCount = Annotated[int, Field(ge=0, le=MAX_CO_ORGANISERS)]


class OpeningSlotIn(Command):
    weekday: Annotated[int, Field(ge=1, le=7, description="ISO weekday: 1 = Monday")]
    opens: dt.time = Field(description="Local time, e.g. 09:00")
    closes: dt.time = Field(description="Local time, after opens")

    @field_validator("opens", "closes")
    @classmethod
    def _local_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give the local time without an offset")
        return value

    @model_validator(mode="after")
    def _closes_after_opening(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError("a slot closes after it opens")
        return self


class OpenHub(Command):
    hub_id: UUID | None = Field(None, description=CLIENT_ID)
    name: Label = Field(description="Public label of the place, e.g. 'OP Cafè Rho'")
    municipality_code: MunicipalityCode = Field(description="Cadastral code, e.g. H264 (Rho)")
    kind: HubKind
    opened_on: Day
    opening_hours: Annotated[list[OpeningSlotIn], Field(max_length=28)] = []


class DescribeHub(Command):
    name: Label | None = None
    opening_hours: Annotated[list[OpeningSlotIn], Field(max_length=28)] | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.name is None and self.opening_hours is None:
            raise ValueError("give at least one of name, opening_hours")
        return self


class CloseHub(Command):
    closed_on: Day


class CoOrganisersIn(Command):
    """Organisations co-organising with the partner, counted by kind (never named)."""

    associations: CoOrganisersCount = 0
    public_bodies: CoOrganisersCount = 0
    companies: CoOrganisersCount = 0
    others: CoOrganisersCount = 0


class StartLabSeries(Command):
    lab_series_id: UUID | None = Field(None, description=CLIENT_ID)
    kind: CommunityEventKind = Field(description="socialisation_lab or community_lab")
    title: Label = Field(description="Public label of the lab; kept in this service only")
    hub_id: UUID | None = None
    municipality_code: MunicipalityCode | None = None
    started_on: Day


class CloseLabSeries(Command):
    """The series-level figures: each person counted once over all the sessions."""

    closed_on: Day
    distinct_participants: Count
    distinct_beneficiaries: Count
    distinct_volunteers: Count


class ScheduleCommunityEvent(Command):
    community_event_id: UUID | None = Field(None, description=CLIENT_ID)
    kind: CommunityEventKind
    title: Label = Field(description="Public label of the event; kept in this service only")
    hub_id: UUID | None = Field(None, description="Where, if at a hub")
    municipality_code: MunicipalityCode | None = Field(None, description="Where, if not at a hub")
    lab_series_id: UUID | None = Field(
        None,
        description="The series this lab session belongs to (the session takes place where "
        "the series does: hub_id and municipality_code may then be left out)",
    )
    starts_on: Day
    duration_minutes: Annotated[int, Field(ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES)]
    co_organisers: CoOrganisersIn = CoOrganisersIn()


class HoldCommunityEvent(Command):
    held_on: Day
    participants: Count
    beneficiaries: Count = Field(description="Of the participants, service users")
    volunteers: Count = Field(description="Of the participants, volunteers")


class CancelCommunityEvent(Command):
    cancelled_on: Day
    reason: CancellationReason


class AnonymousAccessesIn(Command):
    topic: AccessTopic
    referred: bool = Field(description="Referred to a desk (sportello)")
    accesses: Annotated[int, Field(ge=0, le=MAX_ACCESSES_PER_LINE)]


class KnownPersonAccessIn(PersonInput):
    """An access by a person the partner follows: identifier (pseudonymised at once) or
    person_ref."""

    topic: AccessTopic
    referred: bool = False


class RecordAccesses(Command):
    """One day's walk-in accesses at a hub, recorded at once."""

    access_batch_id: UUID = Field(
        description="Client-chosen id of the batch: a retried request is recorded once"
    )
    hub_id: UUID
    accessed_on: Day
    anonymous: Annotated[list[AnonymousAccessesIn], Field(max_length=len(AccessTopic) * 2)] = []
    known_persons: Annotated[list[KnownPersonAccessIn], Field(max_length=MAX_KNOWN_PERSONS)] = []

    @model_validator(mode="after")
    def _canonical_order(self) -> Self:
        """Lines in a fixed order, so a retry listing them differently is the same request."""
        order = list(AccessTopic)
        self.anonymous.sort(key=lambda a: (order.index(a.topic), a.referred))
        self.known_persons.sort(
            key=lambda k: (
                k.person_ref or "",
                "" if k.person_identifier is None else k.person_identifier.get_secret_value(),
                order.index(k.topic),
            )
        )
        return self
