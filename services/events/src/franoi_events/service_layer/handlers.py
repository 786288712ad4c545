"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all. Lock
order is hub → lab series → community event, so two commands on the same hub
or series cannot interleave. Creates with a client-chosen id are safe to retry:
an identical retry answers the existing resource and records nothing; the same
id with a different request is refused (409). An access batch always has a
client-chosen id, so a day's accesses are never counted twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from franoi_common.commands import CommandUnit, PartnerServices, change
from franoi_common.outbox import Outbox
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
from franoi_events.service_layer import commands as c

NAMES: dict[type[Any], str] = {
    Hub: "hub",
    LabSeries: "lab series",
    CommunityEvent: "community event",
    AccessBatch: "access batch",
}

Today = Callable[[], dt.date]


def events_services(
    pool: asyncpg.Pool,
    outbox: Outbox,
    pseudonym_key: bytes,
    after_commit: Callable[[], None] | None = None,
) -> PartnerServices:
    """What the handlers need, built once by bootstrap."""
    return PartnerServices(
        pool=pool,
        outbox=outbox,
        pseudonym_key=pseudonym_key,
        repository=EventsRepository,
        names=NAMES,
        after_commit=after_commit,
    )


def _repo(uow: CommandUnit) -> EventsRepository:
    repo = uow.repo
    assert isinstance(repo, EventsRepository)
    return repo


def _slots(slots: list[c.OpeningSlotIn]) -> list[OpeningSlot]:
    return [OpeningSlot(s.weekday, s.opens, s.closes) for s in slots]


# --- hubs --------------------------------------------------------------------------------


async def open_hub(s: PartnerServices, partner_id: str, cmd: c.OpenHub) -> UUID:
    hub_id = cmd.hub_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(Hub, partner_id, cmd.hub_id, cmd):
            return hub_id
        hub = Hub.open(
            hub_id=hub_id,
            name=cmd.name,
            municipality_code=cmd.municipality_code,
            kind=cmd.kind,
            opened_on=cmd.opened_on,
            opening_hours=_slots(cmd.opening_hours),
        )
        await uow.add(partner_id, hub, command=cmd)
        await uow.publish(partner_id, hub)
    return hub_id


async def describe_hub(
    s: PartnerServices, partner_id: str, hub_id: UUID, cmd: c.DescribeHub
) -> Hub:
    """Change a hub's name or opening hours: kept here only, so no event is published."""
    async with s.uow() as uow:
        hub = await uow.must_get(Hub, partner_id, hub_id)
        hub.describe(
            name=cmd.name,
            opening_hours=None if cmd.opening_hours is None else _slots(cmd.opening_hours),
        )
        await uow.repo.update(partner_id, hub)
    return hub


async def close_hub(s: PartnerServices, partner_id: str, hub_id: UUID, cmd: c.CloseHub) -> Hub:
    async with s.uow() as uow:
        hub = await uow.must_get(Hub, partner_id, hub_id)
        last = await _repo(uow).last_activity_at_hub(partner_id, hub_id)
        hub.close(cmd.closed_on, last_activity_on=last)
        if hub.events:
            await uow.repo.update(partner_id, hub)
            await uow.publish(partner_id, hub)
    return hub


# --- lab series --------------------------------------------------------------------------


async def start_lab_series(s: PartnerServices, partner_id: str, cmd: c.StartLabSeries) -> UUID:
    series_id = cmd.lab_series_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(LabSeries, partner_id, cmd.lab_series_id, cmd):
            return series_id
        hub = None
        if cmd.hub_id is not None:
            hub = await uow.must_get(Hub, partner_id, cmd.hub_id, for_update=False)
        series = LabSeries.start(
            series_id,
            cmd.kind,
            cmd.title,
            cmd.started_on,
            hub=hub,
            municipality_code=cmd.municipality_code,
        )
        await uow.add(partner_id, series, command=cmd)
        await uow.publish(partner_id, series)
    return series_id


async def close_lab_series(
    s: PartnerServices, partner_id: str, series_id: UUID, cmd: c.CloseLabSeries, today: Today
) -> LabSeries:
    distinct = Attendance(
        cmd.distinct_participants, cmd.distinct_beneficiaries, cmd.distinct_volunteers
    )
    return await change(
        s, partner_id, LabSeries, series_id, lambda x: x.close(cmd.closed_on, distinct, today())
    )


# --- community events --------------------------------------------------------------------


async def schedule_community_event(
    s: PartnerServices, partner_id: str, cmd: c.ScheduleCommunityEvent
) -> UUID:
    event_id = cmd.community_event_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(CommunityEvent, partner_id, cmd.community_event_id, cmd):
            return event_id
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
        event = CommunityEvent.schedule(
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
        await uow.add(partner_id, event, command=cmd)
        await uow.publish(partner_id, event)
    return event_id


async def hold_community_event(
    s: PartnerServices, partner_id: str, event_id: UUID, cmd: c.HoldCommunityEvent, today: Today
) -> CommunityEvent:
    attendance = Attendance(cmd.participants, cmd.beneficiaries, cmd.volunteers)
    async with s.uow() as uow:
        peek = await uow.must_get(CommunityEvent, partner_id, event_id, for_update=False)
        hub = None
        if peek.hub_id is not None:  # hub first, then the event (the lock order)
            hub = await uow.must_get(Hub, partner_id, peek.hub_id)
        event = await uow.must_get(CommunityEvent, partner_id, event_id)
        event.hold(cmd.held_on, attendance, today(), hub)
        if event.events:
            await uow.repo.update(partner_id, event)
            await uow.publish(partner_id, event)
    return event


async def cancel_community_event(
    s: PartnerServices,
    partner_id: str,
    event_id: UUID,
    cmd: c.CancelCommunityEvent,
    today: Today,
) -> CommunityEvent:
    return await change(
        s,
        partner_id,
        CommunityEvent,
        event_id,
        lambda e: e.cancel(cmd.cancelled_on, cmd.reason, today()),
    )


# --- walk-in accesses --------------------------------------------------------------------


async def record_accesses(
    s: PartnerServices, partner_id: str, cmd: c.RecordAccesses, today: Today
) -> UUID:
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
    async with s.uow() as uow:
        if await uow.replayed(AccessBatch, partner_id, cmd.access_batch_id, cmd):
            return cmd.access_batch_id
        hub = await uow.must_get(Hub, partner_id, cmd.hub_id)  # locked against its closing
        batch = hub.record_accesses(cmd.access_batch_id, cmd.accessed_on, anonymous, known, today())
        await uow.add(partner_id, batch, command=cmd)
        await uow.publish(partner_id, batch)
    return cmd.access_batch_id
