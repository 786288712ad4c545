"""PostgreSQL persistence of the community aggregates, always scoped by partner.

The aggregates hold value objects (opening hours, attendance, co-organisers,
batch lines, a series' sessions), so this repository maps them explicitly
instead of column per field; it keeps the shared
:class:`franoi_common.repository.Repository` interface (``add``, ``update``,
``get`` by class, the table names) that the shared command unit relies on.

Every read takes the caller's ``partner_id``: a row of another partner is
simply not found. ``for_update`` locks the aggregate's row for the rest of the
transaction, so commands on one hub, series or event are serialised (which
also keeps that aggregate's outbox order).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from franoi_common.repository import Repository, Table
from franoi_contracts.events import (
    AccessTopic,
    AnonymousAccesses,
    CancellationReason,
    CommunityEventKind,
    HubKind,
    KnownPersonAccess,
)

from franoi_events.domain.model import (
    AccessBatch,
    Attendance,
    CommunityEvent,
    CommunityEventStatus,
    CoOrganisers,
    Hub,
    LabSeries,
    OpeningSlot,
    SeriesFigures,
)


@dataclass(frozen=True)
class Listing:
    """A page of aggregates and how many match in all."""

    items: list[Any]
    total: int


@dataclass(frozen=True)
class ListFilter:
    """Optional filters of the list endpoints (hub, kind, status, series, period)."""

    hub_id: UUID | None = None
    kind: str | None = None
    status: str | None = None
    lab_series_id: UUID | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


# --- row mapping -------------------------------------------------------------------------


def _slots_to_json(slots: Sequence[OpeningSlot]) -> str:
    return json.dumps(
        [
            {"weekday": s.weekday, "opens": s.opens.isoformat(), "closes": s.closes.isoformat()}
            for s in slots
        ]
    )


def _slots_from_json(value: Any) -> tuple[OpeningSlot, ...]:
    items = json.loads(value) if isinstance(value, str) else value
    return tuple(
        OpeningSlot(
            int(i["weekday"]), dt.time.fromisoformat(i["opens"]), dt.time.fromisoformat(i["closes"])
        )
        for i in items
    )


def _columns(row: asyncpg.Record, *names: str) -> dict[str, Any]:
    """The fields stored as they are, each in the column of its name."""
    return {name: row[name] for name in names}


_PLACE = ("hub_id", "municipality_code")


def hub_of(row: asyncpg.Record) -> Hub:
    return Hub(
        **_columns(row, *_PLACE, "name", "opened_on", "closed_on"),
        kind=HubKind(row["kind"]),
        opening_hours=_slots_from_json(row["opening_hours"]),
    )


def _event(row: asyncpg.Record) -> CommunityEvent:
    attendance = None
    if row["participants"] is not None:
        attendance = Attendance(row["participants"], row["beneficiaries"], row["volunteers"])
    reason = row["cancellation_reason"]
    co_organisers = ("associations", "public_bodies", "companies", "others")
    return CommunityEvent(
        **_columns(row, *_PLACE, "community_event_id", "title", "lab_series_id"),
        **_columns(row, "starts_on", "duration_minutes", "held_on", "cancelled_on"),
        kind=CommunityEventKind(row["kind"]),
        co_organisers=CoOrganisers(**{o: row[f"co_organising_{o}"] for o in co_organisers}),
        status=CommunityEventStatus(row["status"]),
        attendance=attendance,
        cancellation_reason=None if reason is None else CancellationReason(reason),
    )


def series_of(row: asyncpg.Record) -> LabSeries:
    figures = None
    if row["closed_on"] is not None:
        figures = SeriesFigures(
            sessions_held=row["sessions_held"],
            distinct=Attendance(
                row["distinct_participants"],
                row["distinct_beneficiaries"],
                row["distinct_volunteers"],
            ),
        )
    return LabSeries(
        **_columns(row, *_PLACE, "lab_series_id", "title", "started_on", "closed_on"),
        kind=CommunityEventKind(row["kind"]),
        figures=figures,
    )


A = TypeVar("A")


class EventsRepository(Repository):
    tables = {
        Hub: Table("hubs", "hub_id", by_hand="hub"),
        LabSeries: Table("lab_series", "lab_series_id", by_hand="series"),
        CommunityEvent: Table("community_events", "community_event_id", by_hand="event"),
        AccessBatch: Table("access_batches", "access_batch_id", by_hand="batch"),
    }

    # --- hubs ------------------------------------------------------------------------------

    async def add_hub(self, partner_id: str, hub: Hub) -> None:
        await self.conn.execute(
            "INSERT INTO hubs (hub_id, partner_id, name, municipality_code, kind, opening_hours,"
            " opened_on, closed_on) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
            hub.hub_id,
            partner_id,
            hub.name,
            hub.municipality_code,
            hub.kind.value,
            _slots_to_json(hub.opening_hours),
            hub.opened_on,
            hub.closed_on,
        )

    async def update_hub(self, partner_id: str, hub: Hub) -> None:
        await self.conn.execute(
            "UPDATE hubs SET name = $3, opening_hours = $4::jsonb, closed_on = $5"
            " WHERE partner_id = $1 AND hub_id = $2",
            partner_id,
            hub.hub_id,
            hub.name,
            _slots_to_json(hub.opening_hours),
            hub.closed_on,
        )

    async def get_hub(
        self, partner_id: str, hub_id: UUID, *, for_update: bool = False
    ) -> Hub | None:
        row = await self.get_row(Hub, partner_id, hub_id, for_update=for_update)
        return None if row is None else hub_of(row)

    async def last_activity_at_hub(self, partner_id: str, hub_id: UUID) -> dt.date | None:
        """The latest day of an access, or of a community event (its date or the day it was
        held) or lab series recorded at the hub."""
        value: dt.date | None = await self.conn.fetchval(
            "SELECT max(d) FROM ("
            " SELECT accessed_on AS d FROM access_batches WHERE partner_id = $1 AND hub_id = $2"
            " UNION ALL SELECT greatest(starts_on, held_on) FROM community_events"
            "  WHERE partner_id = $1 AND hub_id = $2 AND status <> 'cancelled'"
            " UNION ALL SELECT started_on FROM lab_series WHERE partner_id = $1 AND hub_id = $2"
            ") AS activity",
            partner_id,
            hub_id,
        )
        return value

    # --- lab series ------------------------------------------------------------------------

    async def add_series(self, partner_id: str, series: LabSeries) -> None:
        await self.conn.execute(
            "INSERT INTO lab_series (lab_series_id, partner_id, kind, title, hub_id,"
            " municipality_code, started_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            series.lab_series_id,
            partner_id,
            series.kind.value,
            series.title,
            series.hub_id,
            series.municipality_code,
            series.started_on,
        )

    async def update_series(self, partner_id: str, series: LabSeries) -> None:
        figures = series.figures
        await self.conn.execute(
            "UPDATE lab_series SET closed_on = $3, sessions_held = $4, distinct_participants = $5,"
            " distinct_beneficiaries = $6, distinct_volunteers = $7"
            " WHERE partner_id = $1 AND lab_series_id = $2",
            partner_id,
            series.lab_series_id,
            series.closed_on,
            None if figures is None else figures.sessions_held,
            None if figures is None else figures.distinct.participants,
            None if figures is None else figures.distinct.beneficiaries,
            None if figures is None else figures.distinct.volunteers,
        )

    async def get_series(
        self, partner_id: str, lab_series_id: UUID, *, for_update: bool = False
    ) -> LabSeries | None:
        row = await self.get_row(LabSeries, partner_id, lab_series_id, for_update=for_update)
        if row is None:
            return None
        series = series_of(row)
        sessions = await self.conn.fetch(
            "SELECT * FROM community_events WHERE partner_id = $1 AND lab_series_id = $2"
            " ORDER BY starts_on, community_event_id",
            partner_id,
            lab_series_id,
        )
        series.sessions = [_event(s) for s in sessions]
        return series

    # --- community events ------------------------------------------------------------------

    async def add_event(self, partner_id: str, event: CommunityEvent) -> None:
        co = event.co_organisers
        await self.conn.execute(
            "INSERT INTO community_events (community_event_id, partner_id, kind, title, hub_id,"
            " municipality_code, lab_series_id, starts_on, duration_minutes,"
            " co_organising_associations, co_organising_public_bodies, co_organising_companies,"
            " co_organising_others, status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            event.community_event_id,
            partner_id,
            event.kind.value,
            event.title,
            event.hub_id,
            event.municipality_code,
            event.lab_series_id,
            event.starts_on,
            event.duration_minutes,
            co.associations,
            co.public_bodies,
            co.companies,
            co.others,
            event.status.value,
        )

    async def update_event(self, partner_id: str, event: CommunityEvent) -> None:
        a = event.attendance
        await self.conn.execute(
            "UPDATE community_events SET status = $3, held_on = $4, participants = $5,"
            " beneficiaries = $6, volunteers = $7, cancelled_on = $8, cancellation_reason = $9"
            " WHERE partner_id = $1 AND community_event_id = $2",
            partner_id,
            event.community_event_id,
            event.status.value,
            event.held_on,
            None if a is None else a.participants,
            None if a is None else a.beneficiaries,
            None if a is None else a.volunteers,
            event.cancelled_on,
            None if event.cancellation_reason is None else event.cancellation_reason.value,
        )

    async def get_event(
        self, partner_id: str, community_event_id: UUID, *, for_update: bool = False
    ) -> CommunityEvent | None:
        row = await self.get_row(
            CommunityEvent, partner_id, community_event_id, for_update=for_update
        )
        return None if row is None else _event(row)

    async def list_events(self, partner_id: str, f: ListFilter, limit: int, offset: int) -> Listing:
        where = (
            "partner_id = $1 AND ($2::uuid IS NULL OR hub_id = $2)"
            " AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR status = $4)"
            " AND ($5::uuid IS NULL OR lab_series_id = $5)"
            " AND ($6::date IS NULL OR coalesce(held_on, starts_on) >= $6)"
            " AND ($7::date IS NULL OR coalesce(held_on, starts_on) <= $7)"
        )
        args = (partner_id, f.hub_id, f.kind, f.status, f.lab_series_id, f.date_from, f.date_to)
        total = await self.conn.fetchval(
            f"SELECT count(*) FROM community_events WHERE {where}",  # noqa: S608
            *args,
        )
        rows = await self.conn.fetch(
            f"SELECT * FROM community_events WHERE {where}"  # noqa: S608
            " ORDER BY coalesce(held_on, starts_on) DESC, created_at DESC,"
            " community_event_id DESC LIMIT $8 OFFSET $9",
            *args,
            limit,
            offset,
        )
        return Listing([_event(r) for r in rows], int(total))

    # --- access batches --------------------------------------------------------------------

    async def add_batch(self, partner_id: str, batch: AccessBatch) -> None:
        await self.conn.execute(
            "INSERT INTO access_batches (access_batch_id, partner_id, hub_id, accessed_on)"
            " VALUES ($1, $2, $3, $4)",
            batch.access_batch_id,
            partner_id,
            batch.hub_id,
            batch.accessed_on,
        )
        await self.conn.executemany(
            "INSERT INTO access_counts (access_batch_id, topic, referred, accesses)"
            " VALUES ($1, $2, $3, $4)",
            [
                (batch.access_batch_id, a.topic.value, a.referred, a.accesses)
                for a in batch.anonymous
            ],
        )
        await self.conn.executemany(
            "INSERT INTO access_known_persons (access_batch_id, partner_id, person_ref, topic,"
            " referred) VALUES ($1, $2, $3, $4, $5)",
            [
                (batch.access_batch_id, partner_id, k.person_ref, k.topic.value, k.referred)
                for k in batch.known_persons
            ],
        )

    async def get_batch(
        self, partner_id: str, access_batch_id: UUID, *, for_update: bool = False
    ) -> AccessBatch | None:
        """A batch (recorded once, never changed: nothing to lock)."""
        batches = await self._batches(
            "b.partner_id = $1 AND b.access_batch_id = $2", (partner_id, access_batch_id)
        )
        return batches[0] if batches else None

    async def list_batches(
        self, partner_id: str, f: ListFilter, limit: int, offset: int
    ) -> Listing:
        where = (
            "b.partner_id = $1 AND ($2::uuid IS NULL OR b.hub_id = $2)"
            " AND ($3::date IS NULL OR b.accessed_on >= $3)"
            " AND ($4::date IS NULL OR b.accessed_on <= $4)"
        )
        args = (partner_id, f.hub_id, f.date_from, f.date_to)
        total = await self.conn.fetchval(
            f"SELECT count(*) FROM access_batches b WHERE {where}",  # noqa: S608
            *args,
        )
        items = await self._batches(where, args, limit=limit, offset=offset)
        return Listing(items, int(total))

    async def batches_of_person(self, partner_id: str, person_ref: str) -> list[AccessBatch]:
        """The batches holding an access of the person (with only that person's lines)."""
        batches = await self._batches(
            "b.partner_id = $1 AND b.access_batch_id IN (SELECT access_batch_id FROM"
            " access_known_persons WHERE partner_id = $1 AND person_ref = $2)",
            (partner_id, person_ref),
        )
        return [
            AccessBatch(
                b.access_batch_id,
                b.hub_id,
                b.accessed_on,
                (),
                tuple(k for k in b.known_persons if k.person_ref == person_ref),
            )
            for b in batches
        ]

    async def _batches(
        self, where: str, args: Sequence[Any], *, limit: int | None = None, offset: int = 0
    ) -> list[AccessBatch]:
        """Batches matching ``where`` (``limit`` None: all of them), latest day first."""
        n = len(args)
        rows = await self.conn.fetch(
            "SELECT b.access_batch_id, b.hub_id, b.accessed_on,"  # noqa: S608
            " coalesce((SELECT jsonb_agg(jsonb_build_array(c.topic, c.referred, c.accesses))"
            "   FROM access_counts c WHERE c.access_batch_id = b.access_batch_id), '[]')"
            "   AS anonymous,"
            " coalesce((SELECT jsonb_agg(jsonb_build_array(k.person_ref, k.topic, k.referred))"
            "   FROM access_known_persons k WHERE k.access_batch_id = b.access_batch_id), '[]')"
            "   AS known"
            f" FROM access_batches b WHERE {where}"
            f" ORDER BY b.accessed_on DESC, b.created_at DESC, b.access_batch_id DESC"
            f" LIMIT ${n + 1} OFFSET ${n + 2}",
            *args,
            limit,
            offset,
        )
        order = list(AccessTopic)
        result = []
        for row in rows:
            anonymous = sorted(
                (
                    AnonymousAccesses(topic=AccessTopic(t), referred=r, accesses=a)
                    for t, r, a in _json(row["anonymous"])
                ),
                key=lambda x: (order.index(x.topic), x.referred),
            )
            known = sorted(
                (
                    KnownPersonAccess(person_ref=p, topic=AccessTopic(t), referred=r)
                    for p, t, r in _json(row["known"])
                ),
                key=lambda x: (x.person_ref, order.index(x.topic)),
            )
            result.append(
                AccessBatch(
                    row["access_batch_id"],
                    row["hub_id"],
                    row["accessed_on"],
                    tuple(anonymous),
                    tuple(known),
                )
            )
        return result


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
