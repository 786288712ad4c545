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
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from franoi_common.api import (
    Caller,
    Day,
    Limit,
    Offset,
    Page,
    Reads,
    Services,
    add_person_records,
    paged,
)
from franoi_common.auth import Role, require_partner_member
from franoi_common.commands import PartnerServices
from franoi_common.errors import InvalidDates
from franoi_contracts.events import (
    AccessTopic,
    CancellationReason,
    CommunityEventKind,
    HubKind,
)
from pydantic import BaseModel

from franoi_events.adapters.repository import EventsRepository, ListFilter
from franoi_events.domain.model import (
    AccessBatch,
    CommunityEvent,
    CommunityEventStatus,
    Hub,
    LabSeries,
)
from franoi_events.service_layer import commands as c
from franoi_events.service_layer import handlers as h


class OpeningSlotOut(BaseModel):
    weekday: int
    opens: dt.time
    closes: dt.time


class HubOut(BaseModel):
    hub_id: UUID
    partner_id: str
    name: str
    municipality_code: str
    kind: HubKind
    opened_on: dt.date
    closed_on: dt.date | None
    opening_hours: list[OpeningSlotOut]


class LabSeriesOut(BaseModel):
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


class CoOrganisersOut(BaseModel):
    associations: int
    public_bodies: int
    companies: int
    others: int


class CommunityEventOut(BaseModel):
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


class AnonymousAccessesOut(BaseModel):
    topic: AccessTopic
    referred: bool
    accesses: int


class KnownPersonAccessOut(BaseModel):
    person_ref: str
    topic: AccessTopic
    referred: bool


class AccessBatchOut(BaseModel):
    access_batch_id: UUID
    partner_id: str
    hub_id: UUID
    accessed_on: dt.date
    total: int
    anonymous: list[AnonymousAccessesOut]
    known_persons: list[KnownPersonAccessOut]


def hub_out(partner_id: str, hub: Hub) -> HubOut:
    return HubOut(
        hub_id=hub.hub_id,
        partner_id=partner_id,
        name=hub.name,
        municipality_code=hub.municipality_code,
        kind=hub.kind,
        opened_on=hub.opened_on,
        closed_on=hub.closed_on,
        opening_hours=[
            OpeningSlotOut(weekday=s.weekday, opens=s.opens, closes=s.closes)
            for s in hub.opening_hours
        ],
    )


def series_out(partner_id: str, series: LabSeries) -> LabSeriesOut:
    figures = series.figures
    return LabSeriesOut(
        lab_series_id=series.lab_series_id,
        partner_id=partner_id,
        kind=series.kind,
        title=series.title,
        hub_id=series.hub_id,
        municipality_code=series.municipality_code,
        started_on=series.started_on,
        status="closed" if series.is_closed else "open",
        closed_on=series.closed_on,
        sessions_held=None if figures is None else figures.sessions_held,
        distinct_participants=None if figures is None else figures.distinct.participants,
        distinct_beneficiaries=None if figures is None else figures.distinct.beneficiaries,
        distinct_volunteers=None if figures is None else figures.distinct.volunteers,
    )


def event_out(partner_id: str, event: CommunityEvent) -> CommunityEventOut:
    co, a = event.co_organisers, event.attendance
    return CommunityEventOut(
        community_event_id=event.community_event_id,
        partner_id=partner_id,
        kind=event.kind,
        title=event.title,
        hub_id=event.hub_id,
        municipality_code=event.municipality_code,
        lab_series_id=event.lab_series_id,
        starts_on=event.starts_on,
        duration_minutes=event.duration_minutes,
        co_organisers=CoOrganisersOut(
            associations=co.associations,
            public_bodies=co.public_bodies,
            companies=co.companies,
            others=co.others,
        ),
        status=event.status,
        held_on=event.held_on,
        participants=None if a is None else a.participants,
        beneficiaries=None if a is None else a.beneficiaries,
        volunteers=None if a is None else a.volunteers,
        cancelled_on=event.cancelled_on,
        cancellation_reason=event.cancellation_reason,
    )


def batch_out(partner_id: str, batch: AccessBatch) -> AccessBatchOut:
    return AccessBatchOut(
        access_batch_id=batch.access_batch_id,
        partner_id=partner_id,
        hub_id=batch.hub_id,
        accessed_on=batch.accessed_on,
        total=batch.total,
        anonymous=[
            AnonymousAccessesOut(topic=a.topic, referred=a.referred, accesses=a.accesses)
            for a in batch.anonymous
        ],
        known_persons=[
            KnownPersonAccessOut(person_ref=k.person_ref, topic=k.topic, referred=k.referred)
            for k in batch.known_persons
        ],
    )


MunicipalityQuery = Annotated[str | None, Query(pattern=r"^[A-Z][0-9]{3}$")]
FromQuery = Annotated[Day | None, Query(alias="from", description="On or after this day")]
ToQuery = Annotated[Day | None, Query(alias="to", description="On or before this day")]


def _period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidDates("'from' is after 'to'")


def build_router(partner_ids: tuple[str, ...]) -> APIRouter:
    """The events API; its handlers reach the wired services through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_partner_member(partner_ids))])
    admin = [Depends(require_partner_member(partner_ids, Role.PARTNER_ADMIN))]
    today = dt.date.today

    read = Reads(EventsRepository)
    one = read.get

    # hubs

    @router.post("/hubs", status_code=201, response_model=HubOut, tags=["hubs"], dependencies=admin)
    async def open_hub(body: c.OpenHub, who: Caller, s: Services) -> Any:
        hub_id = await h.open_hub(s, who.partner_id, body)
        return hub_out(who.partner_id, await one(s, Hub, who.partner_id, hub_id))

    @router.get("/hubs", response_model=Page[HubOut], tags=["hubs"])
    async def list_hubs(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        kind: HubKind | None = None,
        municipality_code: MunicipalityQuery = None,
        open_on: Annotated[Day | None, Query(description="Open on this day")] = None,
    ) -> Any:
        page = await read(
            s,
            lambda repo: repo.list_hubs(
                who.partner_id,
                None if kind is None else kind.value,
                municipality_code,
                open_on,
                limit,
                offset,
            ),
        )
        return paged([hub_out(who.partner_id, x) for x in page.items], page.total, limit, offset)

    @router.get("/hubs/{hub_id}", response_model=HubOut, tags=["hubs"])
    async def get_hub(hub_id: UUID, who: Caller, s: Services) -> Any:
        return hub_out(who.partner_id, await one(s, Hub, who.partner_id, hub_id))

    @router.patch("/hubs/{hub_id}", response_model=HubOut, tags=["hubs"], dependencies=admin)
    async def describe_hub(hub_id: UUID, body: c.DescribeHub, who: Caller, s: Services) -> Any:
        """Change the name or opening hours (kept in this service only: no event)."""
        return hub_out(who.partner_id, await h.describe_hub(s, who.partner_id, hub_id, body))

    @router.post("/hubs/{hub_id}/close", response_model=HubOut, tags=["hubs"], dependencies=admin)
    async def close_hub(hub_id: UUID, body: c.CloseHub, who: Caller, s: Services) -> Any:
        return hub_out(who.partner_id, await h.close_hub(s, who.partner_id, hub_id, body))

    # lab series

    @router.post("/lab-series", status_code=201, response_model=LabSeriesOut, tags=["labs"])
    async def start_lab_series(body: c.StartLabSeries, who: Caller, s: Services) -> Any:
        series_id = await h.start_lab_series(s, who.partner_id, body)
        return series_out(who.partner_id, await one(s, LabSeries, who.partner_id, series_id))

    @router.get("/lab-series", response_model=Page[LabSeriesOut], tags=["labs"])
    async def list_lab_series(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        hub_id: UUID | None = None,
        kind: CommunityEventKind | None = None,
        status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
        date_from: FromQuery = None,
        date_to: ToQuery = None,
    ) -> Any:
        """Series running at some time in the period (started by ``to``, not closed before
        ``from``)."""
        _period(date_from, date_to)
        f = ListFilter(
            hub_id=hub_id,
            kind=None if kind is None else kind.value,
            status=status,
            date_from=date_from,
            date_to=date_to,
        )
        page = await read(s, lambda repo: repo.list_series(who.partner_id, f, limit, offset))
        return paged([series_out(who.partner_id, x) for x in page.items], page.total, limit, offset)

    @router.get("/lab-series/{lab_series_id}", response_model=LabSeriesOut, tags=["labs"])
    async def get_lab_series(lab_series_id: UUID, who: Caller, s: Services) -> Any:
        return series_out(who.partner_id, await one(s, LabSeries, who.partner_id, lab_series_id))

    @router.post("/lab-series/{lab_series_id}/close", response_model=LabSeriesOut, tags=["labs"])
    async def close_lab_series(
        lab_series_id: UUID, body: c.CloseLabSeries, who: Caller, s: Services
    ) -> Any:
        """Close the series with its distinct participants (each person once over the
        series), bounded by its sessions' figures."""
        await h.close_lab_series(s, who.partner_id, lab_series_id, body, today)
        return series_out(who.partner_id, await one(s, LabSeries, who.partner_id, lab_series_id))

    # community events

    @router.post(
        "/community-events", status_code=201, response_model=CommunityEventOut, tags=["events"]
    )
    async def schedule_event(body: c.ScheduleCommunityEvent, who: Caller, s: Services) -> Any:
        event_id = await h.schedule_community_event(s, who.partner_id, body)
        return event_out(who.partner_id, await one(s, CommunityEvent, who.partner_id, event_id))

    @router.get("/community-events", response_model=Page[CommunityEventOut], tags=["events"])
    async def list_events(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        hub_id: UUID | None = None,
        kind: CommunityEventKind | None = None,
        status: CommunityEventStatus | None = None,
        lab_series_id: UUID | None = None,
        date_from: FromQuery = None,
        date_to: ToQuery = None,
    ) -> Any:
        """Events whose day (held on, or scheduled for) is in the period, latest first."""
        _period(date_from, date_to)
        f = ListFilter(
            hub_id=hub_id,
            kind=None if kind is None else kind.value,
            status=None if status is None else status.value,
            lab_series_id=lab_series_id,
            date_from=date_from,
            date_to=date_to,
        )
        page = await read(s, lambda repo: repo.list_events(who.partner_id, f, limit, offset))
        return paged([event_out(who.partner_id, x) for x in page.items], page.total, limit, offset)

    @router.get(
        "/community-events/{community_event_id}", response_model=CommunityEventOut, tags=["events"]
    )
    async def get_event(community_event_id: UUID, who: Caller, s: Services) -> Any:
        found = await one(s, CommunityEvent, who.partner_id, community_event_id)
        return event_out(who.partner_id, found)

    @router.post(
        "/community-events/{community_event_id}/hold",
        response_model=CommunityEventOut,
        tags=["events"],
    )
    async def hold_event(
        community_event_id: UUID, body: c.HoldCommunityEvent, who: Caller, s: Services
    ) -> Any:
        event = await h.hold_community_event(s, who.partner_id, community_event_id, body, today)
        return event_out(who.partner_id, event)

    @router.post(
        "/community-events/{community_event_id}/cancel",
        response_model=CommunityEventOut,
        tags=["events"],
    )
    async def cancel_event(
        community_event_id: UUID, body: c.CancelCommunityEvent, who: Caller, s: Services
    ) -> Any:
        event = await h.cancel_community_event(s, who.partner_id, community_event_id, body, today)
        return event_out(who.partner_id, event)

    # walk-in accesses

    @router.post(
        "/access-batches", status_code=201, response_model=AccessBatchOut, tags=["accesses"]
    )
    async def record_accesses(body: c.RecordAccesses, who: Caller, s: Services) -> Any:
        """A hub's walk-in accesses of one day, in one request: counts by topic and referred
        flag, and accesses of known persons. The client-chosen ``access_batch_id`` makes a
        retry safe: the identical request answers the recorded batch, counted once."""
        batch_id = await h.record_accesses(s, who.partner_id, body, today)
        return batch_out(who.partner_id, await one(s, AccessBatch, who.partner_id, batch_id))

    @router.get("/access-batches", response_model=Page[AccessBatchOut], tags=["accesses"])
    async def list_access_batches(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        hub_id: UUID | None = None,
        date_from: FromQuery = None,
        date_to: ToQuery = None,
    ) -> Any:
        _period(date_from, date_to)
        f = ListFilter(hub_id=hub_id, date_from=date_from, date_to=date_to)
        page = await read(s, lambda repo: repo.list_batches(who.partner_id, f, limit, offset))
        return paged([batch_out(who.partner_id, x) for x in page.items], page.total, limit, offset)

    @router.get(
        "/access-batches/{access_batch_id}", response_model=AccessBatchOut, tags=["accesses"]
    )
    async def get_access_batch(access_batch_id: UUID, who: Caller, s: Services) -> Any:
        return batch_out(who.partner_id, await one(s, AccessBatch, who.partner_id, access_batch_id))

    # the person's file

    async def records_of(
        s: PartnerServices, repo: EventsRepository, partner_id: str, person_ref: str
    ) -> dict[str, list[Any]]:
        batches = await repo.batches_of_person(partner_id, person_ref)
        return {"access_batches": [batch_out(partner_id, b) for b in batches]}

    add_person_records(
        router,
        read,
        "events",
        records_of,
        "Everything this service holds for one person of the caller's partner (empty lists\n"
        "when nothing): the batches with the person's walk-in accesses, showing only the\n"
        "person's own lines.",
    )

    return router
