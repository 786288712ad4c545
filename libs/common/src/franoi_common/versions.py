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
from typing import Any

import asyncpg
from fastapi import FastAPI
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


def expected_version(header: bytes | None) -> int | None:
    """The version ``If-Match`` names: none asked (absent or ``*``), or a version; a value
    this service never gave (not a version) matches no version (-1), so the change is
    refused rather than made on an unknown base."""
    if header is None:
        return None
    value = header.decode("latin-1").strip()  # header bytes are Latin-1 (RFC 9110)
    if value == "*":
        return None
    version = parse_etag(value)
    return -1 if version is None else version


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
        asked = Precondition(record_id, expected_version(headers.get(b"if-match")))
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


_DOCUMENTED_PATH = re.compile(r"/\{[a-z_]+\}(?:/[a-z-]+)?$")
_ETAG_HEADER = {
    "description": "The record's version; send it back as If-Match with a change to it",
    "schema": {"type": "string", "example": '"3"'},
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The record's version (its ETag) the change was made on: when the record"
    " has changed since, nothing is written and the answer is 412 changed_meanwhile",
    "schema": {"type": "string"},
}


def document_versions(openapi: dict[str, Any]) -> dict[str, Any]:
    """Declare ``ETag`` on the reads and changes of one record, ``If-Match`` and its 412 on
    the changes (in place), as :class:`Versions` answers them."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in openapi.get("paths", {}).items():
        if not _DOCUMENTED_PATH.search(path):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch") or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    response.setdefault("headers", {})["ETag"] = _ETAG_HEADER
            if method != "get":
                operation.setdefault("parameters", []).append(_IF_MATCH)
                operation["responses"]["412"] = {
                    "description": "The record changed since the version If-Match names",
                    "content": problem,
                }
    return openapi


def install_versions(app: FastAPI) -> None:
    """:class:`Versions` on the app, and its headers in the app's OpenAPI document."""
    app.add_middleware(Versions)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_versions(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
