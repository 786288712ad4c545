"""Optimistic concurrency for every partner service: records carry a version, reads of one
record answer it as an ``ETag``, changes sent with ``If-Match`` are refused when the record
changed meanwhile (412, ``changed_meanwhile``).

A record's version counts the commands that changed it (1: never changed), kept in the
``record_versions`` table (the ``versions`` migrations, which every partner service
applies). Every command changes a record through
:meth:`~franoi_common.commands.CommandUnit.must_get`, which locks it: there, in the
command's own transaction, :func:`bump` raises the version and checks it against the
request's ``If-Match`` when the record is the one the request's path names.
:class:`Versions` (installed by :func:`~franoi_common.partner_service.partner_service`)
reads ``If-Match`` and the record's id from the path, and answers the version as the
``ETag`` of a read (``GET /v1/<things>/{id}``) and of a change. No service writes a line
for it."""

from __future__ import annotations

import contextvars
import re
import uuid
from dataclasses import dataclass

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from franoi_common.errors import DomainError


class ChangedMeanwhile(DomainError):
    """The record changed since the version the change was made on (If-Match)."""

    status = 412
    code = "changed_meanwhile"
    title = "Changed meanwhile"


@dataclass
class Precondition:
    """What one request says and learns of its record's version."""

    record_id: uuid.UUID | None = None
    """The record the request's path names (its last id)."""
    expected: int | None = None
    """The version ``If-Match`` names (None: any)."""
    answered: int | None = None
    """The record's version after the request (its ``ETag``)."""


_REQUEST: contextvars.ContextVar[Precondition | None] = contextvars.ContextVar(
    "franoi_precondition", default=None
)
_ID = re.compile(r"/([0-9a-fA-F-]{36})(?:/[a-z-]+)?/?$")
_TAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def parse_etag(value: str | None) -> int | None:
    """The version an ``ETag`` / ``If-Match`` names (``"3"``), or None."""
    found = _TAG.match(value or "")
    return int(found.group(1)) if found else None


async def bump(conn: asyncpg.Connection, record_id: object) -> int:
    """The record's new version, in the caller's transaction (which holds the record's
    lock); raises :class:`ChangedMeanwhile` when the request's ``If-Match`` names another
    version of this record."""
    version: int = await conn.fetchval(
        "INSERT INTO record_versions (resource_id, version) VALUES ($1, 2)"
        " ON CONFLICT (resource_id) DO UPDATE SET version = record_versions.version + 1"
        " RETURNING version",
        record_id,
    )
    asked = _REQUEST.get()
    if asked is not None and asked.record_id == record_id:
        if asked.expected is not None and asked.expected != version - 1:
            raise ChangedMeanwhile(
                f"the record changed since version {asked.expected}: it is at version"
                f" {version - 1}; read it again and make the change on what it holds now"
            )
        asked.answered = version
    return version


async def version_of(pool: asyncpg.Pool, record_id: uuid.UUID) -> int:
    found = await pool.fetchval(
        "SELECT version FROM record_versions WHERE resource_id = $1", record_id
    )
    return int(found or 1)


class Versions:
    """ASGI middleware of a partner service: ``If-Match`` in, ``ETag`` out (see above)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _ID.search(scope.get("path", "")) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        record_id = uuid.UUID(found.group(1))
        headers = dict(scope.get("headers", []))
        asked = Precondition(record_id, parse_etag(headers.get(b"if-match", b"").decode()))
        token = _REQUEST.set(asked)
        reading = scope["method"] == "GET"

        async def with_etag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                version = asked.answered
                if version is None and reading:
                    pool = getattr(scope["app"].state, "pool", None)
                    version = None if pool is None else await version_of(pool, record_id)
                if version is not None:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"etag", etag(version).encode()),
                    ]
            await send(message)

        try:
            await self.app(scope, receive, with_etag)
        finally:
            _REQUEST.reset(token)
