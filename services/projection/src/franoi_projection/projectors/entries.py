"""When each event was entered: the day it says something happened and the time the
partner's service recorded it (the envelope's ``time``), kept in ``event_entries`` for the
timeliness of the data-quality checks and for the late entries of an approved period."""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Sequence
from functools import cache

import asyncpg
from franoi_common.envelope import Envelope
from franoi_contracts.base import DomainEvent

PLANNED = frozenset({"planned_end_on", "ends_on", "starts_on", "scheduled_on"})
"""Dates an event announces rather than reports: never the day something happened."""


def _is_date(annotation: object) -> bool:
    if annotation is dt.date:
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return dt.date in typing.get_args(annotation)
    return False


@cache
def day_field(cls: type[DomainEvent]) -> str | None:
    """The field holding the day an event of ``cls`` reports: its first date field that
    is not a planned one (``None``: the event reports no day)."""
    for name, info in cls.model_fields.items():
        if name not in PLANNED and _is_date(info.annotation):
            return name
    return None


def event_day(event: DomainEvent) -> dt.date | None:
    """The day ``event`` says something happened."""
    name = day_field(type(event))
    value = getattr(event, name) if name else None
    return value if isinstance(value, dt.date) else None


_NOTE = (
    "INSERT INTO event_entries"
    " (partner_id, event_id, event_type, record_id, dated_on, entered_at)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[],"
    " $6::timestamptz[]) ON CONFLICT DO NOTHING"
)


async def note_entries(
    conn: asyncpg.Connection, applied: Sequence[tuple[Envelope, DomainEvent]]
) -> None:
    """One row per applied event that reports a day (one statement for the group)."""
    rows = [
        (e.partnerid, e.id, e.type, event.aggregate_id, day, e.time)
        for e, event in applied
        if (day := event_day(event)) is not None
    ]
    if rows:
        await conn.execute(_NOTE, *(list(column) for column in zip(*rows, strict=True)))
