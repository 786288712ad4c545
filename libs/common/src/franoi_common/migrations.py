"""Plain numbered SQL migrations with a small runner.

Each component (a service, or a shared mechanism such as the outbox) keeps
files named ``NNN_description.sql`` in one directory. Applied files are
recorded in ``schema_migrations`` with a checksum; an edited applied file is an
error (write a new one). Each file runs in its own transaction, under an
advisory lock so that replicas starting together apply each file once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg

_FILE = re.compile(r"^(?P<version>[0-9]{3})_(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x6672616E6F69  # "franoi"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationSource:
    """A component's migrations: the package directory that holds its SQL files."""

    component: str
    package: str
    directory: str = "migrations"

    def load(self) -> list[Migration]:
        root: Traversable = resources.files(self.package).joinpath(self.directory)
        found: list[Migration] = []
        for entry in root.iterdir():
            match = _FILE.match(entry.name)
            if match is None:
                continue
            found.append(
                Migration(self.component, int(match["version"]), match["name"], entry.read_text())
            )
        found.sort(key=lambda m: m.version)
        versions = [m.version for m in found]
        if len(set(versions)) != len(versions):
            raise MigrationError(f"{self.component}: two migrations share a version number")
        return found


OUTBOX = MigrationSource("outbox", "franoi_common", "sql/outbox")
INBOX = MigrationSource("inbox", "franoi_common", "sql/inbox")
VERSIONS = MigrationSource("versions", "franoi_common", "sql/versions")
"""Every partner service's record versions (:mod:`franoi_common.versions`)."""
IMPORTS = MigrationSource("imports", "franoi_common", "sql/imports")
"""Every partner service's imports from spreadsheets (:mod:`franoi_common.importing`)."""

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component  text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)
"""


async def migrate(conn: asyncpg.Connection, sources: list[MigrationSource]) -> list[str]:
    """Apply every pending migration of ``sources`` in order; returns what was applied."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_BOOKKEEPING)
        rows = await conn.fetch("SELECT component, version, checksum FROM schema_migrations")
        done = {(r["component"], r["version"]): r["checksum"] for r in rows}
        for source in sources:
            for migration in source.load():
                key = (migration.component, migration.version)
                if key in done:
                    if done[key] != migration.checksum:
                        raise MigrationError(
                            f"{migration.component} {migration.version:03d}_{migration.name} "
                            "was changed after it was applied; add a new migration instead"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (component, version, name, checksum)"
                        " VALUES ($1, $2, $3, $4)",
                        migration.component,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                applied_now.append(
                    f"{migration.component}/{migration.version:03d}_{migration.name}"
                )
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def migrate_url(database_url: str, sources: list[MigrationSource]) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return await migrate(conn, sources)
    finally:
        await conn.close()
