"""Database access shared by every service: the pool and the unit of work."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType
from typing import Self

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    """A connection pool; JSON columns come back as Python values."""
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, init=_init_connection, command_timeout=30
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
