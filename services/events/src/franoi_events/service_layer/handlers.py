"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all, and it answers the
aggregate it created or changed. Lock
order is hub → lab series → community event, so two commands on the same hub
or series cannot interleave. Creates with a client-chosen id are safe to retry:
an identical retry answers the existing resource and records nothing; the same
id with a different request is refused (409). An access batch always has a
client-chosen id, so a day's accesses are never counted twice.
"""

from __future__ import annotations

import datetime as dt
import functools
from uuid import UUID

from franoi_common.commands import CommandUnit, PartnerServices, changes, new
from franoi_contracts.events import AnonymousAccesses, KnownPersonAccess

from franoi_events.adapters.repository import EventsRepository
from franoi_events.domain.model import (
    AccessBatch,
    Attendance,
    CommunityEvent,
    CoOrganisers,
    Hub,
    LabSeries,
    OpeningSlot,
)
from franoi_events.service_layer.commands import (
    CancelCommunityEvent,
    CloseHub,
    CloseLabSeries,
    DescribeHub,
    HoldCommunityEvent,
    OpenHub,
    OpeningSlotIn,
    RecordAccesses,
    ScheduleCommunityEvent,
    StartLabSeries,
)

events_services = functools.partial(
    PartnerServices,
    repository=EventsRepository,
    names={
        Hub: "hub",
        LabSeries: "lab series",
        CommunityEvent: "community event",
        AccessBatch: "access batch",
    },
)
"""What the handlers need (given the pool, the outbox and the keys), built by bootstrap."""


def _repo(uow: CommandUnit) -> EventsRepository:
    return uow.repository(EventsRepository)


def _slots(slots: list[OpeningSlotIn]) -> list[OpeningSlot]:
    return [OpeningSlot(s.weekday, s.opens, s.closes) for s in slots]


# --- hubs --------------------------------------------------------------------------------


async def open_hub(s: PartnerServices, partner_id: str, cmd: OpenHub) -> Hub:
    def open_(hub_id: UUID) -> Hub:
        return Hub.open(
            hub_id,
            cmd.name,
            cmd.municipality_code,
            cmd.kind,
            cmd.opened_on,
            _slots(cmd.opening_hours),
        )

    return await new(s, partner_id, Hub, cmd.hub_id, cmd, open_)


async def describe_hub(s: PartnerServices, partner_id: str, hub_id: UUID, cmd: DescribeHub) -> Hub:
    """Change a hub's name or opening hours: kept here only, so no event is published."""
    async with s.uow() as uow:
        hub = await uow.must_get(Hub, partner_id, hub_id)
        hours = None if cmd.opening_hours is None else _slots(cmd.opening_hours)
        hub.describe(name=cmd.name, opening_hours=hours)
        await uow.repo.update(partner_id, hub)
    return hub


async def close_hub(s: PartnerServices, partner_id: str, hub_id: UUID, cmd: CloseHub) -> Hub:
    async with s.uow() as uow:
        hub = await uow.must_get(Hub, partner_id, hub_id)
        last = await _repo(uow).last_activity_at_hub(partner_id, hub_id)
        hub.close(cmd.closed_on, last_activity_on=last)
        await uow.save(partner_id, hub)
    return hub


# --- lab series --------------------------------------------------------------------------


async def start_lab_series(s: PartnerServices, partner_id: str, cmd: StartLabSeries) -> LabSeries:
    async def start(uow: CommandUnit, series_id: UUID) -> LabSeries:
        hub = None
        if cmd.hub_id is not None:
            hub = await uow.must_get(Hub, partner_id, cmd.hub_id, for_update=False)
        return LabSeries.start(
            series_id,
            cmd.kind,
            cmd.title,
            cmd.started_on,
            hub=hub,
            municipality_code=cmd.municipality_code,
        )

    return await new(s, partner_id, LabSeries, cmd.lab_series_id, cmd, start)


@changes(LabSeries)
def close_lab_series(series: LabSeries, cmd: CloseLabSeries) -> None:
    distinct = Attendance(
        cmd.distinct_participants, cmd.distinct_beneficiaries, cmd.distinct_volunteers
    )
    series.close(cmd.closed_on, distinct, dt.date.today())


# --- community events --------------------------------------------------------------------


async def schedule_community_event(
    s: PartnerServices, partner_id: str, cmd: ScheduleCommunityEvent
) -> CommunityEvent:
    async def schedule(uow: CommandUnit, event_id: UUID) -> CommunityEvent:
        hub_id = cmd.hub_id
        if hub_id is None and cmd.lab_series_id is not None and cmd.municipality_code is None:
            # a session takes place where its series does: at the series' hub, if it has one
            peek = await uow.must_get(LabSeries, partner_id, cmd.lab_series_id, for_update=False)
            hub_id = peek.hub_id
        hub = None
        if hub_id is not None:  # locked first: a hub closing meanwhile waits for this
            hub = await uow.must_get(Hub, partner_id, hub_id)
        series = None
        if cmd.lab_series_id is not None:
            series = await uow.must_get(LabSeries, partner_id, cmd.lab_series_id)
        co = cmd.co_organisers
        return CommunityEvent.schedule(
            event_id,
            cmd.kind,
            cmd.title,
            cmd.starts_on,
            cmd.duration_minutes,
            hub=hub,
            municipality_code=cmd.municipality_code,
            series=series,
            co_organisers=CoOrganisers(co.associations, co.public_bodies, co.companies, co.others),
        )

    return await new(s, partner_id, CommunityEvent, cmd.community_event_id, cmd, schedule)


async def hold_community_event(
    s: PartnerServices, partner_id: str, event_id: UUID, cmd: HoldCommunityEvent
) -> CommunityEvent:
    attendance = Attendance(cmd.participants, cmd.beneficiaries, cmd.volunteers)
    async with s.uow() as uow:
        peek = await uow.must_get(CommunityEvent, partner_id, event_id, for_update=False)
        hub = None
        if peek.hub_id is not None:  # hub first, then the event (the lock order)
            hub = await uow.must_get(Hub, partner_id, peek.hub_id)
        event = await uow.must_get(CommunityEvent, partner_id, event_id)
        event.hold(cmd.held_on, attendance, dt.date.today(), hub)
        await uow.save(partner_id, event)
    return event


@changes(CommunityEvent)
def cancel_community_event(event: CommunityEvent, cmd: CancelCommunityEvent) -> None:
    event.cancel(cmd.cancelled_on, cmd.reason, dt.date.today())


# --- walk-in accesses --------------------------------------------------------------------


async def record_accesses(s: PartnerServices, partner_id: str, cmd: RecordAccesses) -> AccessBatch:
    """Record a day's accesses at a hub: one request, one batch, one event. A retry of the
    same request (same batch id and content) records nothing and answers the batch."""
    anonymous = [
        AnonymousAccesses(topic=a.topic, referred=a.referred, accesses=a.accesses)
        for a in cmd.anonymous
    ]
    known = [
        KnownPersonAccess(person_ref=s.person_ref_of(k), topic=k.topic, referred=k.referred)
        for k in cmd.known_persons
    ]

    async def record(uow: CommandUnit, batch_id: UUID) -> AccessBatch:
        hub = await uow.must_get(Hub, partner_id, cmd.hub_id)  # locked against its closing
        return hub.record_accesses(batch_id, cmd.accessed_on, anonymous, known, dt.date.today())

    return await new(s, partner_id, AccessBatch, cmd.access_batch_id, cmd, record)
