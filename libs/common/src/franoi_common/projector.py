"""Read-model handlers written as data: for each event type, the SQL statements that apply it.

A projection handler is a list of :class:`Statement` per event type: a SQL text
and a function turning ``(partner_id, event)`` into its parameters. Written
this way a handler can be applied to one event (``execute``) or to many events
of the same type at once (``executemany``, one round trip), so the consumer
decides how to batch and no handler has to change for it.

Statements must be safe in any order the contract allows: one aggregate's
events arrive in order (same Kafka key), different aggregates in any order. So
inserts are upserts and updates touch only the aggregate's own row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from franoi_common.events import DomainEvent

E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Statement(Generic[E]):
    """One SQL statement applying an event; ``args(partner_id, event)`` gives ``$1..$n``."""

    sql: str
    args: Callable[[str, E], Sequence[Any]]


Projection = Mapping[type[DomainEvent], Sequence[Statement[Any]]]
"""Event type → the statements that apply it (an empty list: known, nothing to record)."""


def merge(*projections: Projection) -> dict[type[DomainEvent], Sequence[Statement[Any]]]:
    """One projection from several domains' (an event type may appear only once)."""
    merged: dict[type[DomainEvent], Sequence[Statement[Any]]] = {}
    for projection in projections:
        for cls, statements in projection.items():
            if cls in merged:
                raise ValueError(f"{cls.TYPE} is projected twice")
            merged[cls] = statements
    return merged


async def apply_one(
    conn: asyncpg.Connection, statements: Sequence[Statement[Any]], partner_id: str, event: Any
) -> None:
    """Apply one event."""
    for statement in statements:
        await conn.execute(statement.sql, *statement.args(partner_id, event))


async def apply_many(
    conn: asyncpg.Connection,
    statements: Sequence[Statement[Any]],
    events: Iterable[tuple[str, Any]],
) -> None:
    """Apply many ``(partner_id, event)`` of one type, set-wise: one ``executemany`` per
    statement. The caller guarantees no two of them are events of the same aggregate whose
    order matters."""
    rows = list(events)
    if not rows:
        return
    for statement in statements:
        await conn.executemany(statement.sql, [statement.args(p, e) for p, e in rows])
