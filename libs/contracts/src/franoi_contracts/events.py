"""Community events: the published contract of the events service.

Hubs (an "OP Cafè", a help desk), community events (socialisation and community
labs, public events, info sessions, festivals), lab series and the walk-in
accesses a hub records day by day.

Every event carries only ids, enums, dates, bounded integers and
pattern-constrained strings (``person_ref``, municipality code). A hub's name,
an event's title and a hub's opening hours are public labels, but they stay in
the service that owns them: no event carries a name, a title, a reason written
by hand or any other text. A person appears only as ``person_ref``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from franoi_contracts.base import DomainEvent, MunicipalityCode, PersonRef

MAX_PARTICIPANTS = 100_000
"""Participants of one event or one lab series (a festival can draw thousands)."""
MIN_DURATION_MINUTES, MAX_DURATION_MINUTES = 1, 14 * 24 * 60
"""From a one-minute flash mob to a two-week festival."""
MAX_CO_ORGANISERS = 200
"""Co-organising organisations of one kind for one event."""
MAX_ACCESSES_PER_LINE = 10_000
"""Walk-in accesses of one topic (referred or not) at one hub on one day."""
MAX_KNOWN_PERSONS = 500
"""Accesses linked to a known person in one batch."""
MAX_SESSIONS = 1_000
"""Sessions of one lab series."""

Participants = Annotated[int, Field(ge=0, le=MAX_PARTICIPANTS)]
DurationMinutes = Annotated[int, Field(ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES)]
CoOrganisers = Annotated[int, Field(ge=0, le=MAX_CO_ORGANISERS)]
AccessCount = Annotated[int, Field(ge=0, le=MAX_ACCESSES_PER_LINE)]
Sessions = Annotated[int, Field(ge=0, le=MAX_SESSIONS)]


class HubKind(StrEnum):
    """What a hub is."""

    CAFE_HUB = "cafe_hub"
    """An open community place such as the "OP Cafè"."""
    HELP_DESK = "help_desk"
    """A desk ("sportello") that takes walk-in questions."""
    OTHER = "other"


class CommunityEventKind(StrEnum):
    """What kind of community event."""

    SOCIALISATION_LAB = "socialisation_lab"
    """"Laboratorio di socialità": people meet around an activity."""
    COMMUNITY_LAB = "community_lab"
    """"Laboratorio di comunità": citizens build a shared service together."""
    PUBLIC_EVENT = "public_event"
    INFO_SESSION = "info_session"
    FESTIVAL = "festival"

    @property
    def is_lab(self) -> bool:
        return self in (CommunityEventKind.SOCIALISATION_LAB, CommunityEventKind.COMMUNITY_LAB)


LAB_KINDS = (CommunityEventKind.SOCIALISATION_LAB, CommunityEventKind.COMMUNITY_LAB)


class CancellationReason(StrEnum):
    """Why a scheduled community event did not take place."""

    LOW_ENROLMENT = "low_enrolment"
    ORGANISER_UNAVAILABLE = "organiser_unavailable"
    VENUE_UNAVAILABLE = "venue_unavailable"
    WEATHER = "weather"
    PUBLIC_HEALTH = "public_health"
    OTHER = "other"


class AccessTopic(StrEnum):
    """What a walk-in visitor asked about."""

    HOUSING = "housing"
    WORK = "work"
    FAMILY = "family"
    SAVINGS = "savings"
    DOCUMENTS = "documents"
    OTHER = "other"


def check_not_before(later: dt.date | None, earlier: dt.date, what: str) -> None:
    """``later`` (when given) is not before ``earlier``."""
    if later is not None and later < earlier:
        raise ValueError(what)


def check_attendance(participants: int, beneficiaries: int, volunteers: int) -> None:
    """Beneficiaries and volunteers are among the participants."""
    if beneficiaries + volunteers > participants:
        raise ValueError("beneficiaries + volunteers cannot exceed participants")


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnonymousAccesses(_Line):
    """How many walk-in accesses of one topic, referred to a desk or not, nobody known."""

    topic: AccessTopic
    referred: bool
    accesses: AccessCount


class KnownPersonAccess(_Line):
    """One walk-in access by a person the partner follows (only the pseudonym)."""

    person_ref: PersonRef
    topic: AccessTopic
    referred: bool


# --- hubs ----------------------------------------------------------------------------------


class HubOpened(DomainEvent):
    """A hub opened (its name and opening hours stay in the service)."""

    TYPE: ClassVar[str] = "it.franoi.events.hub.opened.v1"
    KEY: ClassVar[str] = "hub_id"

    hub_id: UUID
    municipality_code: MunicipalityCode
    kind: HubKind
    opened_on: dt.date


class HubClosed(DomainEvent):
    """A hub closed: it takes no accesses and hosts no event after this date."""

    TYPE: ClassVar[str] = "it.franoi.events.hub.closed.v1"
    KEY: ClassVar[str] = "hub_id"

    hub_id: UUID
    closed_on: dt.date


# --- lab series ----------------------------------------------------------------------------


class LabSeriesStarted(DomainEvent):
    """A lab that runs as a series of sessions started (each session is a community event)."""

    TYPE: ClassVar[str] = "it.franoi.events.lab_series.started.v1"
    KEY: ClassVar[str] = "lab_series_id"

    lab_series_id: UUID
    kind: CommunityEventKind
    hub_id: UUID | None = None
    municipality_code: MunicipalityCode
    started_on: dt.date

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.kind.is_lab:
            raise ValueError("a lab series is a socialisation lab or a community lab")
        return self


class LabSeriesClosed(DomainEvent):
    """A lab series closed with its series-level figures.

    ``distinct_participants`` counts each person once over the whole series (the
    lab's sign-in sheet), unlike the sum of the sessions' participants; of whom
    ``distinct_beneficiaries`` service users and ``distinct_volunteers`` volunteers.
    """

    TYPE: ClassVar[str] = "it.franoi.events.lab_series.closed.v1"
    KEY: ClassVar[str] = "lab_series_id"

    lab_series_id: UUID
    closed_on: dt.date
    sessions_held: Sessions
    distinct_participants: Participants
    distinct_beneficiaries: Participants
    distinct_volunteers: Participants

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_attendance(
            self.distinct_participants, self.distinct_beneficiaries, self.distinct_volunteers
        )
        return self


# --- community events ----------------------------------------------------------------------


class CommunityEventScheduled(DomainEvent):
    """A community event was scheduled at a hub or in a municipality (its title stays in the
    service). The organiser is the publishing partner; co-organising organisations are
    counted by kind, never named."""

    TYPE: ClassVar[str] = "it.franoi.events.community_event.scheduled.v1"
    KEY: ClassVar[str] = "community_event_id"

    community_event_id: UUID
    kind: CommunityEventKind
    hub_id: UUID | None = None
    municipality_code: MunicipalityCode
    lab_series_id: UUID | None = None
    starts_on: dt.date
    duration_minutes: DurationMinutes
    co_organising_associations: CoOrganisers = 0
    co_organising_public_bodies: CoOrganisers = 0
    co_organising_companies: CoOrganisers = 0
    co_organising_others: CoOrganisers = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.lab_series_id is not None and not self.kind.is_lab:
            raise ValueError("only a lab can be a session of a lab series")
        return self


class CommunityEventHeld(DomainEvent):
    """A scheduled community event took place, with its participants."""

    TYPE: ClassVar[str] = "it.franoi.events.community_event.held.v1"
    KEY: ClassVar[str] = "community_event_id"

    community_event_id: UUID
    held_on: dt.date
    participants: Participants
    beneficiaries: Participants
    volunteers: Participants

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_attendance(self.participants, self.beneficiaries, self.volunteers)
        return self


class CommunityEventCancelled(DomainEvent):
    """A scheduled community event was cancelled."""

    TYPE: ClassVar[str] = "it.franoi.events.community_event.cancelled.v1"
    KEY: ClassVar[str] = "community_event_id"

    community_event_id: UUID
    cancelled_on: dt.date
    reason: CancellationReason


# --- walk-in accesses ----------------------------------------------------------------------


class AccessBatchRecorded(DomainEvent):
    """A hub's walk-in accesses of one day, recorded at once.

    The batch id is chosen by the client, so a retried request and a redelivered
    event are applied once. The day's total is the anonymous accesses plus one
    per known-person line (a known person is not also in the anonymous counts).
    """

    TYPE: ClassVar[str] = "it.franoi.events.access_batch.recorded.v1"
    KEY: ClassVar[str] = "access_batch_id"

    access_batch_id: UUID
    hub_id: UUID
    accessed_on: dt.date
    anonymous: Annotated[list[AnonymousAccesses], Field(max_length=len(AccessTopic) * 2)]
    known_persons: Annotated[list[KnownPersonAccess], Field(max_length=MAX_KNOWN_PERSONS)] = []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        lines = [(line.topic, line.referred) for line in self.anonymous]
        if len(set(lines)) != len(lines):
            raise ValueError("one anonymous line per topic and referred flag")
        known = [(line.person_ref, line.topic) for line in self.known_persons]
        if len(set(known)) != len(known):
            raise ValueError("a known person appears once per topic in a batch")
        return self

    def totals(self) -> dict[tuple[AccessTopic, bool], int]:
        """Accesses by (topic, referred), anonymous and known together."""
        totals: dict[tuple[AccessTopic, bool], int] = {}
        for line in self.anonymous:
            key = (line.topic, line.referred)
            totals[key] = totals.get(key, 0) + line.accesses
        for person in self.known_persons:
            key = (person.topic, person.referred)
            totals[key] = totals.get(key, 0) + 1
        return totals


EVENTS_EVENTS: tuple[type[DomainEvent], ...] = (
    HubOpened,
    HubClosed,
    LabSeriesStarted,
    LabSeriesClosed,
    CommunityEventScheduled,
    CommunityEventHeld,
    CommunityEventCancelled,
    AccessBatchRecorded,
)
"""Every events-domain event type, in contract order."""
