"""``/v1/network/stream``: server-sent events telling an open dashboard that the projection
applied new events, so it refetches what it shows."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from franoi_common.api import read_only
from franoi_common.auth import TokenVerifier, session_token

from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import viewer_of
from franoi_projection.queries import activity

log = logging.getLogger(__name__)
POLL_S = 1.0
KEEP_ALIVE_S = 15.0


class Progress:
    """How many events the projection has applied, polled once a second for every open
    stream of the process together (not once per dashboard); the poll runs only while
    someone listens."""

    def __init__(self, pool: asyncpg.Pool, interval_s: float = POLL_S) -> None:
        self._pool = pool
        self._interval_s = interval_s
        self._count: int | None = None
        self._changed = asyncio.Condition()
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        count: int | None
        while self._listeners:
            try:
                async with read_only(self._pool) as conn:
                    count = await activity.events_processed(conn)
            except Exception as exc:  # the database away: the stream waits, and goes on
                log.debug("progress poll failed", extra={"error": type(exc).__name__})
                count = self._count
            if count is not None and count != self._count:
                async with self._changed:
                    self._count = count
                    self._changed.notify_all()
            await asyncio.sleep(self._interval_s)

    async def counts(self, keep_alive_s: float = KEEP_ALIVE_S) -> AsyncGenerator[int | None, None]:
        """The count now and at each change; ``None`` after ``keep_alive_s`` of quiet."""
        self._listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            seen: int | None = None

            def moved() -> bool:
                return self._count != seen

            while True:
                async with self._changed:  # never yield while holding it
                    try:
                        await asyncio.wait_for(self._changed.wait_for(moved), keep_alive_s)
                        quiet = False
                    except TimeoutError:
                        quiet = True
                    seen = self._count
                yield None if quiet else seen
        finally:
            self._listeners -= 1


def progress_of(request: Request, pool: asyncpg.Pool) -> Progress:
    progress: Progress | None = getattr(request.app.state, "progress", None)
    if progress is None:
        progress = request.app.state.progress = Progress(pool)
    return progress


async def updates(request: Request, progress: Progress) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    counts = progress.counts()
    try:
        async for count in counts:
            if await request.is_disconnected():
                return
            if count is None:
                yield ": keep-alive\n\n"
            else:
                yield f"event: update\ndata: {json.dumps({'events_processed': count})}\n\n"
    finally:
        await counts.aclose()


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1/network", tags=["network views"])

    @router.get("/stream", include_in_schema=False)
    async def stream(
        request: Request,
        pool: params.Pool,
        access_token: Annotated[str | None, Query(max_length=4096)] = None,
    ) -> StreamingResponse:
        """Server-sent events: ``update`` whenever the projection applied new events."""
        verifier: TokenVerifier = request.app.state.token_verifier
        header = request.headers.get("authorization", "")
        token = access_token or (header[7:] if header.lower().startswith("bearer ") else None)
        token = token or await session_token(request)
        if not token:
            raise HTTPException(
                401, detail="missing bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        viewer_of(await verifier.averify(token))
        return StreamingResponse(
            updates(request, progress_of(request, pool)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router
