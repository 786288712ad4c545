"""The events REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. Social workers and
partner admins record events and accesses; opening, describing and closing a
hub is for partner admins. Errors are RFC 9457 problems
(:mod:`franoi_common.http`); creates with a client-chosen id are safe to retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Self, TypeVar
from uuid import UUID

import asyncpg
from fastapi import Depends, Query
from franoi_common.api import (
    Answer,
    Caller,
    Day,
    Limit,
    MunicipalityQuery,
    Offset,
    Page,
    PartnerApi,
    Services,
    paged,
    partner_member,
)
from franoi_common.auth import Role
from franoi_common.commands import PartnerServices
from franoi_common.errors import InvalidDates
from franoi_common.importing import Sheet
from franoi_contracts.events import (
    AccessTopic,
    CancellationReason,
    CommunityEventKind,
    HubKind,
)
from pydantic import BaseModel

from franoi_events.adapters.repository import (
    EventsRepository,
    ListFilter,
    Listing,
    hub_of,
    series_of,
)
from franoi_events.domain.model import (
    AccessBatch,
    Attendance,
    CommunityEvent,
    CommunityEventStatus,
    Hub,
    LabSeries,
)
from franoi_events.service_layer import handlers


class OpeningSlotOut(BaseModel):
    weekday: int
    opens: dt.time
    closes: dt.time


class HubOut(Answer):
    hub_id: UUID
    partner_id: str
    name: str
    municipality_code: str
    kind: HubKind
    opened_on: dt.date
    closed_on: dt.date | None
    opening_hours: list[OpeningSlotOut]


class LabSeriesOut(Answer):
    lab_series_id: UUID
    partner_id: str
    kind: CommunityEventKind
    title: str
    hub_id: UUID | None
    municipality_code: str
    started_on: dt.date
    status: str
    closed_on: dt.date | None
    sessions_held: int | None
    distinct_participants: int | None
    distinct_beneficiaries: int | None
    distinct_volunteers: int | None

    @classmethod
    def of(cls, partner_id: str, source: Any) -> Self:
        """A series with its status and, once closed, its figures."""
        figures = source.figures
        distinct = _counts(None if figures is None else figures.distinct)
        return super().of(
            partner_id,
            {
                **vars(source),
                "status": "closed" if source.is_closed else "open",
                "sessions_held": None if figures is None else figures.sessions_held,
                **{f"distinct_{name}": n for name, n in distinct.items()},
            },
        )


def _counts(attendance: Attendance | None) -> dict[str, int | None]:
    """Participants, beneficiaries and volunteers (None before they are known)."""
    if attendance is None:
        return dict.fromkeys(("participants", "beneficiaries", "volunteers"))
    return vars(attendance)


class CoOrganisersOut(BaseModel):
    associations: int
    public_bodies: int
    companies: int
    others: int


class CommunityEventOut(Answer):
    community_event_id: UUID
    partner_id: str
    kind: CommunityEventKind
    title: str
    hub_id: UUID | None
    municipality_code: str
    lab_series_id: UUID | None
    starts_on: dt.date
    duration_minutes: int
    co_organisers: CoOrganisersOut
    status: CommunityEventStatus
    held_on: dt.date | None
    participants: int | None
    beneficiaries: int | None
    volunteers: int | None
    cancelled_on: dt.date | None
    cancellation_reason: CancellationReason | None

    @classmethod
    def of(cls, partner_id: str, source: Any) -> Self:
        """An event with its attendance, once held."""
        return super().of(partner_id, {**vars(source), **_counts(source.attendance)})


class AnonymousAccessesOut(BaseModel):
    topic: AccessTopic
    referred: bool
    accesses: int


class KnownPersonAccessOut(BaseModel):
    person_ref: str
    topic: AccessTopic
    referred: bool


class AccessBatchOut(Answer):
    access_batch_id: UUID
    partner_id: str
    hub_id: UUID
    accessed_on: dt.date
    total: int
    anonymous: list[AnonymousAccessesOut]
    known_persons: list[KnownPersonAccessOut]


AnswerT = TypeVar("AnswerT", bound=Answer)
FromQuery = Annotated[Day | None, Query(alias="from", description="On or after this day")]
ToQuery = Annotated[Day | None, Query(alias="to", description="On or before this day")]


def _period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidDates("'from' is after 'to'")


def aggregates(
    answer: type[AnswerT], of: Callable[[asyncpg.Record], Any]
) -> Callable[[PartnerServices, str, list[asyncpg.Record]], Awaitable[list[AnswerT]]]:
    """The answers of listed rows, each read into its aggregate by ``of`` first (rows that
    hold opening hours or a series' figures)."""

    async def answers(
        s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
    ) -> list[AnswerT]:
        return [answer.of(partner_id, of(r)) for r in rows]

    return answers


api = PartnerApi(EventsRepository)
router = api.router
read = api.read

Rows = Callable[[EventsRepository, str, ListFilter, int, int], Awaitable[Listing]]
"""A repository's page of aggregates: ``(repository, partner_id, filter, limit, offset)``."""


def by_day(
    path: str,
    answer: type[Answer],
    tag: str,
    rows: Rows,
    wanted: Callable[..., ListFilter],
    **route: Any,
) -> None:
    """``GET <path>``: a page of the caller's partner's aggregates, latest day first, as the
    repository's ``rows`` lists them (the shared :meth:`PartnerApi.listing` lists the newest
    created first). ``wanted`` takes the query's filters (its parameters) into a filter."""

    async def endpoint(
        who: Caller,
        s: Services,
        f: ListFilter = Depends(wanted),  # noqa: B008 (a route's own dependency)
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Any:
        found = await read(s, lambda repo: rows(repo, who.partner_id, f, limit, offset))
        items = [answer.of(who.partner_id, x) for x in found.items]
        return paged(items, found.total, limit, offset)

    router.get(path, response_model=Page[answer], tags=[tag], **route)(endpoint)  # type: ignore[valid-type]


ADMIN = [Depends(partner_member(Role.PARTNER_ADMIN))]
"""Opening, describing and closing a hub is for partner admins."""

# --- hubs --------------------------------------------------------------------------------

HUBS = "hubs"
api.create("/hubs", handlers.open_hub, HubOut, HUBS, dependencies=ADMIN)


def open_that_day(open_on: dt.date | None) -> tuple[list[str], list[Any]]:
    """Hubs open on that day (opened by it, not closed before it)."""
    if open_on is None:
        return [], []
    return ["opened_on <= $2 AND (closed_on IS NULL OR closed_on >= $2)"], [open_on]


OpenOn = Annotated[Day | None, Query(description="Open on this day")]
HUB_FILTERS = {"kind": HubKind, "municipality_code": MunicipalityQuery, "open_on": OpenOn}
hubs_out = aggregates(HubOut, hub_of)
api.listing("/hubs", Hub, HubOut, HUBS, query=HUB_FILTERS, where=open_that_day, answers=hubs_out)
api.one("/hubs/{hub_id}", Hub, HubOut, HUBS)
api.action(
    "/hubs/{hub_id}",
    handlers.describe_hub,
    HubOut,
    HUBS,
    method="PATCH",
    dependencies=ADMIN,
    description="Change the name or opening hours (kept in this service only: no event).",
)
api.action("/hubs/{hub_id}/close", handlers.close_hub, HubOut, HUBS, dependencies=ADMIN)

# --- lab series --------------------------------------------------------------------------

LABS = "labs"
api.create("/lab-series", handlers.start_lab_series, LabSeriesOut, LABS)


def running(
    status: str | None, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[list[str], list[Any]]:
    """Series open or closed, running in the period."""
    _period(date_from, date_to)
    clauses = [
        "($2::date IS NULL OR coalesce(closed_on, 'infinity'::date) >= $2)",
        "($3::date IS NULL OR started_on <= $3)",
    ]
    if status is not None:
        clauses.append("closed_on IS NULL" if status == "open" else "closed_on IS NOT NULL")
    return clauses, [date_from, date_to]


OpenOrClosed = Annotated[str | None, Query(pattern="^(open|closed)$")]
SERIES_FILTERS = {"hub_id": UUID, "kind": CommunityEventKind, "status": OpenOrClosed}
api.listing(
    "/lab-series",
    LabSeries,
    LabSeriesOut,
    LABS,
    query={**SERIES_FILTERS, "date_from": FromQuery, "date_to": ToQuery},
    where=running,
    answers=aggregates(LabSeriesOut, series_of),
    description="Series running at some time in the period (started by ``to``, not closed"
    " before\n``from``).",
)
api.one("/lab-series/{lab_series_id}", LabSeries, LabSeriesOut, LABS)
api.action(
    "/lab-series/{lab_series_id}/close",
    handlers.close_lab_series,
    LabSeriesOut,
    LABS,
    description="Close the series with its distinct participants (each person once over the\n"
    "series), bounded by its sessions' figures.",
)

# --- community events --------------------------------------------------------------------

EVENTS = "events"
api.create(
    "/community-events",
    handlers.schedule_community_event,
    CommunityEventOut,
    EVENTS,
    name="schedule_event",
)


def events_wanted(
    hub_id: UUID | None = None,
    kind: CommunityEventKind | None = None,
    status: CommunityEventStatus | None = None,
    lab_series_id: UUID | None = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> ListFilter:
    _period(date_from, date_to)
    kind_value = None if kind is None else kind.value
    status_value = None if status is None else status.value
    return ListFilter(hub_id, kind_value, status_value, lab_series_id, date_from, date_to)


by_day(
    "/community-events",
    CommunityEventOut,
    EVENTS,
    EventsRepository.list_events,
    events_wanted,
    name="list_events",
    description="Events whose day (held on, or scheduled for) is in the period, latest first.",
)


EVENT = "/community-events/{community_event_id}"
api.one(EVENT, CommunityEvent, CommunityEventOut, EVENTS, name="get_event")
api.action(
    f"{EVENT}/hold", handlers.hold_community_event, CommunityEventOut, EVENTS, name="hold_event"
)
api.action(
    f"{EVENT}/cancel",
    handlers.cancel_community_event,
    CommunityEventOut,
    EVENTS,
    name="cancel_event",
)

# --- walk-in accesses --------------------------------------------------------------------

ACCESSES = "accesses"
api.create(
    "/access-batches",
    handlers.record_accesses,
    AccessBatchOut,
    ACCESSES,
    description="A hub's walk-in accesses of one day, in one request: counts by topic and"
    " referred\nflag, and accesses of known persons. The client-chosen ``access_batch_id``"
    " makes a\nretry safe: the identical request answers the recorded batch, counted once.",
)


def batches_wanted(
    hub_id: UUID | None = None, date_from: FromQuery = None, date_to: ToQuery = None
) -> ListFilter:
    _period(date_from, date_to)
    return ListFilter(hub_id=hub_id, date_from=date_from, date_to=date_to)


by_day(
    "/access-batches",
    AccessBatchOut,
    ACCESSES,
    EventsRepository.list_batches,
    batches_wanted,
    name="list_access_batches",
)
api.one("/access-batches/{access_batch_id}", AccessBatch, AccessBatchOut, ACCESSES)

# --- the person's file -------------------------------------------------------------------


async def records_of(
    s: PartnerServices, repo: EventsRepository, partner_id: str, person_ref: str
) -> dict[str, list[Any]]:
    batches = await repo.batches_of_person(partner_id, person_ref)
    return {"access_batches": [AccessBatchOut.of(partner_id, b) for b in batches]}


api.person_records(
    "events",
    records_of,
    "Everything this service holds for one person of the caller's partner (empty lists\n"
    "when nothing): the batches with the person's walk-in accesses, showing only the\n"
    "person's own lines.",
)


# --- history from spreadsheets -----------------------------------------------------------

api.imports(
    Sheet(
        "hubs",
        handlers.open_hub,
        "hub_id",
        omit=frozenset({"opening_hours"}),
        then=[handlers.close_hub],
    ),
    Sheet(
        "lab_series",
        handlers.start_lab_series,
        "lab_series_id",
        refers={"hub_id": "hubs"},
        then=[handlers.close_lab_series],
    ),
    Sheet(
        "community_events",
        handlers.schedule_community_event,
        "community_event_id",
        refers={"hub_id": "hubs", "lab_series_id": "lab_series"},
        omit=frozenset({"co_organisers"}),
        then=[handlers.hold_community_event, handlers.cancel_community_event],
    ),
)
