"""Runs a service's real app (or any ASGI app) with uvicorn on a loopback port inside the
current event loop.

Used by the local network runner and by the tests: the same app, lifespan,
workers and HTTP stack as in production, without a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import httpx
import uvicorn
from franoi_common.migrations import migrate_url
from franoi_common.service import ServiceDefinition, create_app
from franoi_common.settings import ServiceSettings


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to whoever runs the services (the local network runner stops
    them in order); uvicorn would otherwise stop every server at once and re-raise the
    signal, ending the process with a traceback before the databases were released."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listening_socket(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: any free port), handed to uvicorn bound, so
    that no other socket can take the port between choosing it and serving on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it, asyncio's loop (which, unlike uvloop,
    # does not set it on a socket it is handed) delays each kept-alive request by ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


class RunningApp:
    """An ASGI app served by uvicorn on 127.0.0.1 inside the current event loop.

    ``options`` go to ``uvicorn.Config`` (``access_log=False``, ``http="httptools"``...).
    """

    def __init__(self, app: Any, name: str, port: int | None = None, **options: Any) -> None:
        self.app = app
        self.name = name
        self._socket: socket.socket | None = None
        if port is None:
            self._socket = _listening_socket(0)
            port = int(self._socket.getsockname()[1])
        self.port = port
        config = {"log_config": None, "lifespan": "on", **options}
        self._server = _Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, **config))
        self._task: asyncio.Task[None] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.AsyncClient(base_url=self.url, timeout=30)

    async def start(self) -> None:
        """Serve, once the app's lifespan has started."""
        if self._socket is None or self._socket.fileno() == -1:  # a restart, or a given port
            self._socket = _listening_socket(self.port)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        for _ in range(1500):
            if self._server.started:
                return
            if self._task.done():
                try:
                    self._task.result()
                except SystemExit as exc:  # uvicorn exits when it cannot start
                    raise RuntimeError(f"{self.name} could not start") from exc
                raise RuntimeError(f"{self.name} stopped during start-up")
            await asyncio.sleep(0.02)
        raise TimeoutError(f"{self.name} did not start")

    async def stop(self) -> None:
        await self.client.aclose()
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 30)
        if self._socket is not None:
            self._socket.close()  # uvicorn closes it when it served; not if it never started


class RunningService(RunningApp):
    """A service's real app (:func:`~franoi_common.service.create_app`), its migrations
    applied first."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: ServiceSettings,
        port: int | None = None,
        **options: Any,
    ) -> None:
        self.definition = definition
        self.settings = settings
        super().__init__(create_app(definition, settings), definition.name, port, **options)

    async def start(self) -> None:
        """Apply migrations (their own step, as in production), then serve."""
        if self.definition.uses_database:
            await migrate_url(self.settings.database_url, list(self.definition.migrations))
        await super().start()

    @property
    def wiring(self) -> Any:
        return self.app.state.wiring


S = TypeVar("S", bound=RunningApp)


@contextlib.asynccontextmanager
async def running(*services: S) -> AsyncIterator[tuple[S, ...]]:
    """Start services in order, stop them in reverse order."""
    started: list[S] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
        yield services
    finally:
        for service in reversed(started):
            await service.stop()
