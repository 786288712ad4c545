"""Runs a service's real app with uvicorn on a loopback port inside the current event loop.

Used by the local network runner and by the tests: the same app, lifespan,
workers and HTTP stack as in production, without a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import uvicorn
from franoi_common.migrations import migrate_url
from franoi_common.service import ServiceDefinition, create_app
from franoi_common.settings import ServiceSettings

from franoi_devenv.kafka import free_port


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to whoever runs the services (the local network runner stops
    them in order); uvicorn would otherwise stop every server at once and re-raise the
    signal, ending the process with a traceback before the databases were released."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class RunningService:
    def __init__(
        self, definition: ServiceDefinition, settings: ServiceSettings, port: int | None = None
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.port = port or free_port()
        self.app = create_app(definition, settings)
        self._server = _Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
            )
        )
        self._task: asyncio.Task[None] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.AsyncClient(base_url=self.url, timeout=30)

    async def start(self) -> None:
        """Apply migrations (their own step, as in production), then serve."""
        await migrate_url(self.settings.database_url, list(self.definition.migrations))
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(1500):
            if self._server.started:
                return
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"{self.definition.name} stopped during start-up")
            await asyncio.sleep(0.02)
        raise TimeoutError(f"{self.definition.name} did not start")

    @property
    def wiring(self) -> Any:
        return self.app.state.wiring

    async def stop(self) -> None:
        await self.client.aclose()
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 30)


@contextlib.asynccontextmanager
async def running(*services: RunningService) -> AsyncIterator[tuple[RunningService, ...]]:
    """Start services in order, stop them in reverse order."""
    started: list[RunningService] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
        yield services
    finally:
        for service in reversed(started):
            await service.stop()
