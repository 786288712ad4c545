"""Database access shared by every service: the pool and the unit of work."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

_tracer = trace.get_tracer("franoi.db")

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # refused, lost
    asyncpg.InterfaceError,  # a connection closed under a statement
    asyncpg.CannotConnectNowError,  # starting up, shutting down, recovering
    asyncpg.OperatorInterventionError,  # admin or crash shutdown
    asyncpg.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.InternalClientError,  # the protocol left mid-statement by a connection lost under it
    OSError,  # refused, reset, unreachable, timed out (TimeoutError is an OSError)
)
"""What a request or a worker meets while its database is away (a restart, a failover):
a request answers 503 with ``Retry-After``, never 500 (a write that met it may be repeated
safely, docs/api.md); a worker retries its round."""


class TracedConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection whose statements are CLIENT spans (``db.system``, ``db.name``,
    ``db.operation``, ``db.statement``: the SQL text, never the parameters), children of the
    current span. A statement outside any recording span (the relay's claims and marks, a
    poll) makes no span: it would start a trace of its own, several times a second.

    Made directly with the SDK, not through the generic asyncpg instrumentation, which cost
    about 70 µs of CPU per statement (wrappers, attribute hydration, context switches) against
    some 15 µs here; the span is not made current (nothing runs inside a statement)."""

    def _span(self, query: str) -> trace.Span:
        if not trace.get_current_span().is_recording():
            return trace.INVALID_SPAN
        operation = query.lstrip().split(None, 1)[0].upper() if query.strip() else "SQL"
        params = getattr(self, "_params", None)
        return _tracer.start_span(
            operation,
            kind=SpanKind.CLIENT,
            attributes={
                "db.system": "postgresql",
                "db.name": getattr(params, "database", None) or "",
                "db.operation": operation,
                "db.statement": query,
            },
        )

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        span = self._span(query)
        try:
            result: str = await super().execute(query, *args, **kwargs)
            return result
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            span.end()

    async def executemany(self, command: str, args: Iterable[Any], **kwargs: Any) -> None:
        span = self._span(command)
        try:
            await super().executemany(command, args, **kwargs)
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            span.end()

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> list[Any]:
        span = self._span(query)
        try:
            rows: list[Any] = await super().fetch(query, *args, **kwargs)
            return rows
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            span.end()

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        span = self._span(query)
        try:
            return await super().fetchval(query, *args, **kwargs)
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            span.end()

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        span = self._span(query)
        try:
            return await super().fetchrow(query, *args, **kwargs)
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            span.end()


def _failed(span: trace.Span, exc: BaseException) -> None:
    if isinstance(exc, asyncpg.PostgresError):
        keep_values_out(exc)
    if span.is_recording():
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", type(exc).__qualname__)


def keep_values_out(exc: asyncpg.PostgresError) -> None:
    """Strip what may quote a row's values from a server error, before it can reach a log
    line, a trace or an answer: DETAIL ("Key (person_ref)=(...) already exists", "Failing
    row contains (...)"), HINT, CONTEXT (the statement with its values inside a trigger),
    and the message of a data error ('invalid input syntax for type uuid: "..."'). The
    SQLSTATE, the error class and the constraint, table and column names stay."""
    exc.detail = exc.hint = exc.context = exc.internal_query = None
    if isinstance(exc, asyncpg.DataError):
        exc.message = f"invalid value for the column's type (SQLSTATE {exc.sqlstate})"
        exc.args = (exc.message,)


CHECK_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("check_only", default=False)
"""True while the commands run only to be checked, in a transaction rolled back whatever
happens (an import's check of a whole file): the locks that only keep concurrent writers
apart are not taken (one per person of a long file would fill PostgreSQL's lock table; the
import itself runs under them)."""


async def serialise(conn: asyncpg.Connection, statement: str, *args: Any) -> None:
    """Take a transaction-level advisory lock (``statement``), unless only checking."""
    if not CHECK_ONLY.get():
        await conn.execute(statement, *args)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool without asyncpg's reset query (advisory unlock, CLOSE
    ALL, UNLISTEN *, RESET ALL): one round trip less per acquire. An open transaction is
    still rolled back and Python listeners dropped by asyncpg itself. Safe because nothing
    here leaves session state on a pooled connection: settings only with SET LOCAL, session
    advisory locks only in migrations (their own connection), LISTEN only on the relay's
    listener connection, which UNLISTENs (``remove_listener``) before it is released."""


async def create_pool(
    database_url: str, max_size: int = 10, *, server_settings: Mapping[str, str] | None = None
) -> asyncpg.Pool:
    """A connection pool; JSON columns come back as Python values; statements are traced.
    ``server_settings``: session settings of every connection (e.g. ``search_path``)."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        connection_class=TracedConnection,
        command_timeout=30,
        server_settings=dict(server_settings) if server_settings else None,
    )
    assert pool is not None
    return pool


class UnitOfWork:
    """One command = one transaction: the business change and its outbox rows commit together.

    ``after_commit`` callbacks (such as waking the outbox relay) run only once
    the transaction has committed; nothing runs if it rolled back.
    """

    def __init__(self, pool: asyncpg.Pool, after_commit: Callable[[], None] | None = None) -> None:
        self._pool = pool
        self._after_commit = after_commit
        self._conn: asyncpg.pool.PoolConnectionProxy | None = None
        self._tx: asyncpg.transaction.Transaction | None = None

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("unit of work not started")
        return self._conn

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        self._tx = self._conn.transaction()
        try:
            await self._tx.start()
        except BaseException:  # cancelled or failed BEGIN: give the connection back
            await self._pool.release(self._conn)
            self._conn = None
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._tx is not None and self._conn is not None
        try:
            if exc_type is None:
                await self._tx.commit()
            else:
                await self._tx.rollback()
        finally:
            await self._pool.release(self._conn)
            self._conn = None
        if exc_type is None and self._after_commit is not None:
            self._after_commit()
