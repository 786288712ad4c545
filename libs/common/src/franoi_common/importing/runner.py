"""Rows through the service's own handlers: checked in a transaction rolled back at the end
(nothing written), then imported in transactions of :data:`CHUNK` rows.

A row's records go through the same handlers as the API's requests, on one connection
(:class:`OneConnection`: every unit of work of the rows uses it), and their events through
the same outbox, with the row's real dates. A chunk's rows run in one go under one
savepoint (:class:`Savepointless`: a unit of work's transaction is then no savepoint of its
own); if a row fails, the chunk runs again with each row under its own savepoint, so a
refused row is reported and the others go on. The record's id comes from the row's
``ref`` (:func:`~.sheets.record_id`): a row imported again replays its create (nothing
recorded), and an action repeated with the same data records nothing, so importing a file
again changes nothing. A row whose create was imported with other content is tried again
without the fields its actions carry (an end added since): its actions then update the
record; otherwise it is reported as changed.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg

from franoi_common.auth import Principal
from franoi_common.commands import PartnerServices
from franoi_common.errors import AlreadyExists, DomainError, NotFound
from franoi_common.importing.sheets import WORDS, Handler, Problem, ReadRow, Sheet

CHUNK = 500
"""Rows run together: imported in one transaction (their events reach the relay when it
commits), and checked or imported under one savepoint."""


ANALYZED_AT = frozenset(CHUNK * 2**n for n in range(12))
"""Rows after which the database's statistics are taken again, in the import's transaction
(which sees its own rows): a long file's rows double a table the planner still thinks
empty, and its plans (a sequential scan for a unit's placements) made each row slower than
the one before."""


class OneConnection:
    """The pool a row's handlers see: always the import's connection, whose transaction
    makes each unit of work's a savepoint."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def acquire(self) -> _Acquired:
        return _Acquired(self._conn)

    async def release(self, conn: asyncpg.Connection) -> None:
        return None

    def __getattr__(self, name: str) -> Any:  # execute, fetch...: on the connection
        return getattr(self._conn, name)


class Savepointless:
    """The import's connection for a chunk's rows in one go: a unit of work's transaction
    on it is no savepoint (the chunk's savepoint undoes them all if one fails)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def transaction(self) -> _NoSavepoint:
        return _NoSavepoint()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _NoSavepoint:
    async def start(self) -> None:
        return None

    async def commit(self) -> None:
        return None

    async def rollback(self) -> None:
        return None

    async def __aenter__(self) -> _NoSavepoint:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Acquired:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def __await__(self) -> Generator[Any, None, asyncpg.Connection]:
        async def conn() -> asyncpg.Connection:
            return self._conn

        return conn().__await__()

    async def __aenter__(self) -> asyncpg.Connection:
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        return None


class CountingOutbox:
    """The service's outbox, counting the events the rows append."""

    def __init__(self, outbox: Any) -> None:
        self._outbox = outbox
        self.events = 0

    async def append(self, conn: asyncpg.Connection, partner_id: str, events: Sequence[Any]) -> Any:
        self.events += len(events)
        return await self._outbox.append(conn, partner_id, events)

    def with_insert(
        self, statement: str, args: Sequence[Any], partner_id: str, events: Sequence[Any]
    ) -> tuple[str, list[Any]]:
        self.events += len(events)
        made: tuple[str, list[Any]] = self._outbox.with_insert(statement, args, partner_id, events)
        return made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._outbox, name)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0

    def plain(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    def plus(self, other: Tally) -> Tally:
        return Tally(
            *(a + b for a, b in zip(self.plain().values(), other.plain().values(), strict=True))
        )

    def count(self, created: bool, before: int, after_create: int, after: int) -> None:
        """A row that went through, by the events its create and its actions recorded."""
        if created and after_create > before:
            self.created += 1
        elif after > before:
            self.updated += 1
        else:
            self.unchanged += 1


Progress = Callable[[int, Tally, list[Problem]], Awaitable[None]]
"""Told after each stretch of rows: how many are done, the tally and the problems so far."""


async def apply_rows(
    services: PartnerServices,
    who: Principal,
    sheet: Sheet,
    rows: Sequence[ReadRow],
    *,
    commit: bool,
    progress: Progress,
) -> tuple[Tally, list[Problem]]:
    """Run every row's commands, :data:`CHUNK` rows at a time; ``commit``: keep them (a
    transaction per chunk), else roll everything back at the end (a check: the refusals
    without a write)."""
    tally = Tally()
    problems: list[Problem] = []
    done = 0
    async with services.pool.acquire() as conn:
        whole = None if commit else conn.transaction()
        if whole is not None:
            await whole.start()
        try:
            for first in range(0, len(rows), CHUNK):
                chunk = rows[first : first + CHUNK]
                transaction = conn.transaction()  # the chunk's (a savepoint in a check)
                await transaction.start()
                try:
                    counted, found = await _chunk(services, conn, who, sheet, chunk)
                except BaseException:
                    await transaction.rollback()
                    raise
                await transaction.commit()
                if commit and services.after_commit is not None:
                    services.after_commit()  # the relay: the chunk's events are there
                tally = tally.plus(counted)
                problems += found
                done += len(chunk)
                if done in ANALYZED_AT:
                    await _analyze(conn, services)
                await progress(done, tally, problems)
        finally:
            if whole is not None:
                await whole.rollback()
    await progress(done, tally, problems)
    return tally, problems


async def _analyze(conn: asyncpg.Connection, services: PartnerServices) -> None:
    """Take the statistics of the service's tables again (see :data:`ANALYZED_AT`)."""
    names = sorted({t.name for t in services.repository.tables.values()})
    if names:
        await conn.execute(f"ANALYZE {', '.join(names)}")


async def _chunk(
    services: PartnerServices,
    conn: asyncpg.Connection,
    who: Principal,
    sheet: Sheet,
    chunk: Sequence[ReadRow],
) -> tuple[Tally, list[Problem]]:
    """A chunk's rows in one go, under one savepoint (a savepoint a row costs a
    subtransaction, and thousands of them slow PostgreSQL down); if any row fails, the
    chunk again, each row under its own savepoint, to tell which rows and why."""
    quick = conn.transaction()
    await quick.start()
    row_services, outbox = _on(services, Savepointless(conn))
    tally = Tally()
    try:
        for row in chunk:
            before = outbox.events
            await sheet.create(row_services, caller_of(sheet.create, who), row.create)
            created = outbox.events
            await _actions(row_services, who, row)
            tally.count(True, before, created, outbox.events)
    except Exception:  # a refusal, or anything: row by row
        await quick.rollback()
    else:
        await quick.commit()
        return tally, []
    row_services, outbox = _on(services, conn)
    tally, problems = Tally(), []
    for row in chunk:
        problem = await _apply(row_services, outbox, conn, who, sheet, row, tally)
        if problem is not None:
            problems.append(problem)
    return tally, problems


def _on(
    services: PartnerServices, conn: asyncpg.Connection | Savepointless
) -> tuple[PartnerServices, CountingOutbox]:
    """The services whose every unit of work runs on ``conn``, and their counted outbox."""
    outbox = CountingOutbox(services.outbox)
    on_conn = dataclasses.replace(
        services,
        pool=cast(Any, OneConnection(cast(Any, conn))),
        outbox=cast(Any, outbox),
        after_commit=None,
    )
    return on_conn, outbox


async def _apply(
    s: PartnerServices,
    outbox: CountingOutbox,
    conn: asyncpg.Connection,
    who: Principal,
    sheet: Sheet,
    row: ReadRow,
    tally: Tally,
) -> Problem | None:
    before = outbox.events
    try:
        async with conn.transaction():  # the row whole, or nothing of it
            created = await _create(s, who, sheet, row)
            after_create = outbox.events
            await _actions(s, who, row)
    except _Changed as exc:
        tally.refused += 1
        return Problem(row.number, None, "changed", {"detail": exc.detail})
    except DomainError as exc:
        tally.refused += 1
        return _refusal(row, exc)
    tally.count(created, before, after_create, outbox.events)
    return None


async def _actions(s: PartnerServices, who: Principal, row: ReadRow) -> None:
    """The actions a row carries, on its record, in the sheet's order."""
    for action, command in row.actions:
        await action(s, caller_of(action, who), row.record_id, command)


class _Changed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def caller_of(handler: Handler, who: Principal) -> Principal | str:
    """What a handler takes after its services: the caller, or the caller's partner."""
    second = list(inspect.signature(handler).parameters)[1]
    return who if typing.get_type_hints(handler).get(second) is Principal else who.partner_id


async def _create(s: PartnerServices, who: Principal, sheet: Sheet, row: ReadRow) -> bool:
    """The row's create; False when it was imported before without what its actions carry
    (they bring the record up to date)."""
    caller = caller_of(sheet.create, who)
    try:
        await sheet.create(s, caller, row.create)
        return True
    except AlreadyExists as exc:
        carried = {f for _, command in row.actions for f in type(command).model_fields}
        movable = carried & set(type(row.create).model_fields)
        if not movable:
            raise _Changed(_changed_detail(exc)) from exc
        earlier = row.create.model_copy(update=dict.fromkeys(movable))
        try:
            await sheet.create(s, caller, earlier)
        except AlreadyExists:
            raise _Changed(_changed_detail(exc)) from exc
        return False


def _changed_detail(exc: AlreadyExists) -> str:
    return str(exc).split(";")[0]


def _refusal(row: ReadRow, exc: DomainError) -> Problem:
    """A refused row: an unknown reference is said on its column; any other refusal with
    its kind (in the user's language when known) and the service's words."""
    if isinstance(exc, NotFound):
        for made_id, (column, sheet) in row.references.items():
            if str(made_id) in str(exc):
                return Problem(row.number, column, "unknown_reference", {"sheet": sheet})
    title = {"it": _kind(exc, "it"), "en": _kind(exc, "en")}
    return Problem(row.number, None, "refused", {"title": title, "detail": str(exc)})


def _kind(exc: DomainError, lang: str) -> str:
    found = WORDS.get(f"import.refusal.{exc.code}")
    return exc.title.lower() if found is None else found[1 if lang == "en" else 0]
