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

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from franoi_contracts.base import DomainEvent

from franoi_common.consumer import Incoming, Prepared, Unprocessable, read_event
from franoi_common.envelope import Envelope

E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Statement(Generic[E]):
    """One SQL statement applying an event; ``args(partner_id, event)`` gives ``$1..$n``.

    ``many_sql`` and ``many_args``, when given, apply a whole group of events of the type
    in one statement (e.g. over ``unnest`` arrays) instead of one execution per event;
    they must have the same effect as applying the events one by one."""

    sql: str
    args: Callable[[str, E], Sequence[Any]]
    many_sql: str | None = None
    many_args: Callable[[Sequence[tuple[str, E]]], Sequence[Any]] | None = None


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
        if statement.many_sql is not None and statement.many_args is not None and len(rows) > 1:
            await conn.execute(statement.many_sql, *statement.many_args(rows))
        else:
            await conn.executemany(statement.sql, [statement.args(p, e) for p, e in rows])


KnownPartners = Callable[[asyncpg.Connection, set[str]], Awaitable[set[str]]]
"""Which of these partner ids the read model knows (one query for a whole batch)."""

Reading = Callable[[asyncpg.Connection, Sequence[Envelope]], Awaitable[list[Envelope]]]
"""How a batch's events are read before they are checked: with shredding, each partner's
tokens opened to the references they stand for (:class:`franoi_common.key_store.TokenOpener`)."""


Noting = Callable[[asyncpg.Connection, Sequence[tuple[Envelope, DomainEvent]]], Awaitable[None]]
"""What a projection keeps of the applied events beyond their statements, from their
envelopes (such as when each was entered), in the same transaction."""


class ProjectionHandler:
    """The idempotent consumer's batch handler for a :data:`Projection`.

    ``prepare`` checks every event of a batch before anything is written: a known type,
    data valid against the contract, ``ce_subject`` equal to the aggregate id, a known
    partner (looked up once per batch); anything else is dead-lettered with the reason.
    ``apply`` applies a group of events of one type set-wise (:func:`apply_many`); the
    consumer makes sure a group holds at most one event per aggregate and applies one
    aggregate's events in order. ``after_batch`` names, per event type, statements to run
    once at the end of a batch that applied any event of the type (each once, however many
    types ask for it): work over what the whole batch changed, such as recomputing what
    the groups' statements noted. ``noting`` is given every applied event with its
    envelope.
    """

    def __init__(
        self,
        projection: Projection,
        known_partners: KnownPartners | None = None,
        *,
        after_batch: Mapping[type[DomainEvent], Sequence[str]] | None = None,
        reading: Reading | None = None,
        noting: Noting | None = None,
    ) -> None:
        self._projection = projection
        self._known_partners = known_partners
        self._after_batch = dict(after_batch or {})
        self._reading = reading
        self._noting = noting

    def reading(self, reading: Reading | None) -> ProjectionHandler:
        """The same handler, reading each batch's events through ``reading`` first."""
        return ProjectionHandler(
            self._projection,
            self._known_partners,
            after_batch=self._after_batch,
            reading=reading,
            noting=self._noting,
        )

    async def _read(self, conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
        return envelopes if self._reading is None else await self._reading(conn, envelopes)

    def check(self, envelope: Envelope, partners: set[str] | None) -> DomainEvent:
        """The validated event; Unprocessable with the reason if it can never be applied."""
        event: DomainEvent = read_event(envelope, lambda cls: cls in self._projection)
        if partners is not None and envelope.partnerid not in partners:
            raise Unprocessable(f"unknown partner {envelope.partnerid!r}")
        return event

    async def prepare(
        self, conn: asyncpg.Connection, batch: Sequence[Incoming]
    ) -> list[Prepared | Unprocessable]:
        partners = None
        if self._known_partners is not None:
            partners = await self._known_partners(conn, {i.envelope.partnerid for i in batch})
        outcomes: list[Prepared | Unprocessable] = []
        envelopes = await self._read(conn, [item.envelope for item in batch])
        for item, envelope in zip(batch, envelopes, strict=True):
            try:
                event = self.check(envelope, partners)
            except Unprocessable as exc:
                outcomes.append(exc)
            else:
                outcomes.append(Prepared(item, group=type(event), value=event))
        return outcomes

    async def apply(self, conn: asyncpg.Connection, group: Sequence[Prepared]) -> None:
        statements = self._projection[type(group[0].value)]
        rows = [(p.incoming.envelope.partnerid, p.value) for p in group]
        await apply_many(conn, statements, rows)
        if self._noting is not None:
            await self._noting(conn, [(p.incoming.envelope, p.value) for p in group])

    async def apply_one(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        """Check and apply one event (what a per-event handler does)."""
        partners = None
        if self._known_partners is not None:
            partners = await self._known_partners(conn, {envelope.partnerid})
        (envelope,) = await self._read(conn, [envelope])
        event = self.check(envelope, partners)
        await apply_one(conn, self._projection[type(event)], envelope.partnerid, event)
        if self._noting is not None:
            await self._noting(conn, [(envelope, event)])
        await self._run_after([type(event)], conn)

    async def apply_batch(
        self, conn: asyncpg.Connection, rows: Sequence[tuple[str, DomainEvent]]
    ) -> None:
        """Apply ``(partner_id, event)`` of one type, at most one per aggregate, set-wise,
        then end the batch: what the consumer does with a batch of one group (for tests and
        tools; no checks)."""
        if rows:
            await apply_many(conn, self._projection[type(rows[0][1])], rows)
            await self._run_after([type(rows[0][1])], conn)

    async def finish(self, conn: asyncpg.Connection, applied: Sequence[Prepared]) -> None:
        await self._run_after([type(p.value) for p in applied], conn)

    async def _run_after(self, types: Iterable[type], conn: asyncpg.Connection) -> None:
        statements: dict[str, None] = {}
        for cls in dict.fromkeys(types):
            statements.update(dict.fromkeys(self._after_batch.get(cls, ())))
        for sql in statements:
            await conn.execute(sql)
