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
from franoi_common.columns import set_columns
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


_ATTENDANCE = ("participants", "beneficiaries", "volunteers")


def _attendance_columns(attendance: Attendance | None, prefix: str = "") -> dict[str, Any]:
    """An attendance in its columns (``prefix``: ``distinct_`` for a series' figures)."""
    counts = dict.fromkeys(_ATTENDANCE) if attendance is None else vars(attendance)
    return {f"{prefix}{n}": counts[n] for n in _ATTENDANCE}


def _attendance_of(row: asyncpg.Record, prefix: str = "") -> Attendance | None:
    """The attendance in a row's columns; None before it is known."""
    if row[f"{prefix}participants"] is None:
        return None
    return Attendance(*(row[f"{prefix}{n}"] for n in _ATTENDANCE))


def _event(row: asyncpg.Record) -> CommunityEvent:
    reason = row["cancellation_reason"]
    co_organisers = ("associations", "public_bodies", "companies", "others")
    return CommunityEvent(
        **_columns(row, *_PLACE, "community_event_id", "title", "lab_series_id"),
        **_columns(row, "starts_on", "duration_minutes", "held_on", "cancelled_on"),
        kind=CommunityEventKind(row["kind"]),
        co_organisers=CoOrganisers(**{o: row[f"co_organising_{o}"] for o in co_organisers}),
        status=CommunityEventStatus(row["status"]),
        attendance=_attendance_of(row),
        cancellation_reason=None if reason is None else CancellationReason(reason),
    )


def series_of(row: asyncpg.Record) -> LabSeries:
    distinct = _attendance_of(row, "distinct_")  # written with closed_on, at the close
    figures = None if distinct is None else SeriesFigures(row["sessions_held"], distinct)
    return LabSeries(
        **_columns(row, *_PLACE, "lab_series_id", "title", "started_on", "closed_on"),
        kind=CommunityEventKind(row["kind"]),
        figures=figures,
    )


A = TypeVar("A")


class EventsRepository(Repository):
    tables = {
        Hub: Table("hubs", "hub_id", by_hand="hub"),
        LabSeries: Table(
            "lab_series", "lab_series_id", frozenset({"events", "figures", "sessions"}), "series"
        ),
        CommunityEvent: Table(
            "community_events",
            "community_event_id",
            frozenset({"events", "co_organisers", "attendance"}),
            "event",
        ),
        AccessBatch: Table("access_batches", "access_batch_id", by_hand="batch"),
    }

    async def _insert(self, partner_id: str, aggregate: Any, **columns: Any) -> None:
        """The aggregate's row: its fields, each in the column of its name (but those not
        stored), and ``columns`` made from the others (value objects, JSON)."""
        statement, args = self.insert(partner_id, aggregate, **columns)
        await self.conn.execute(statement, *args)

    async def _set(self, aggregate: Any, partner_id: str, **columns: Any) -> None:
        """What a change of the aggregate sets in its row."""
        table = self.tables[type(aggregate)]
        await set_columns(self.conn, table, partner_id, getattr(aggregate, table.key), columns)

    # --- hubs ------------------------------------------------------------------------------

    async def add_hub(self, partner_id: str, hub: Hub) -> None:
        await self._insert(partner_id, hub, opening_hours=_slots_to_json(hub.opening_hours))

    async def update_hub(self, partner_id: str, hub: Hub) -> None:
        await self._set(
            hub,
            partner_id,
            name=hub.name,
            opening_hours=_slots_to_json(hub.opening_hours),
            closed_on=hub.closed_on,
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
        await self._insert(partner_id, series)

    async def update_series(self, partner_id: str, series: LabSeries) -> None:
        figures = series.figures
        await self._set(
            series,
            partner_id,
            closed_on=series.closed_on,
            sessions_held=None if figures is None else figures.sessions_held,
            **_attendance_columns(None if figures is None else figures.distinct, "distinct_"),
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
        co = {f"co_organising_{k}": n for k, n in vars(event.co_organisers).items()}
        await self._insert(partner_id, event, **co)

    async def update_event(self, partner_id: str, event: CommunityEvent) -> None:
        await self._set(
            event,
            partner_id,
            status=event.status,
            held_on=event.held_on,
            **_attendance_columns(event.attendance),
            cancelled_on=event.cancelled_on,
            cancellation_reason=event.cancellation_reason,
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
