"""The services a benchmark measures: in this process' event loop, or each in its own process.

Every service is served as ``franoi-<service> serve`` serves it: its real app and lifespan,
settings from ``FRANOI_*`` variables as a deployment gives them, uvicorn with httptools and no
access log (``SERVER_OPTIONS``), on uvloop. ``in-process`` runs them with
:class:`franoi_devenv.services.RunningService` in the benchmark's own loop (as the tests and
``franoi-devnet`` do); ``subprocess`` starts each as ``python -m franoi_benchmarks.child``
(:mod:`franoi_benchmarks.child`), which stops when told (SIGTERM) or when the benchmark's end
closes its stdin, even without being told. The raw baselines (``bare``, ``raw-db``) are served
the same way, by the child only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

import httpx
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.service import SERVER_OPTIONS, ServiceDefinition
from franoi_common.settings import ServiceSettings
from franoi_desk.bootstrap import DEFINITION as DESK
from franoi_devenv.services import RunningService, running
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from franoi_benchmarks.stats import progress

DEFINITIONS: dict[str, ServiceDefinition] = {
    "cases": CASES,
    "housing": HOUSING,
    "employment": EMPLOYMENT,
    "hosting": HOSTING,
    "events": EVENTS,
    "desk": DESK,
    "projection": PROJECTION,
}
SERVE_OPTIONS: dict[str, Any] = {"http": SERVER_OPTIONS["http"], "access_log": False}
"""uvicorn's options as ``serve`` gives them (the loop is the benchmark's uvloop)."""
Mode = Literal["in-process", "subprocess"]


@dataclass(frozen=True)
class Spec:
    """A server to start: ``kind`` is a service (:data:`DEFINITIONS`) or a raw baseline of
    :mod:`franoi_benchmarks.child`; ``env`` its ``FRANOI_*`` settings."""

    name: str
    kind: str
    env: dict[str, str]
    port: int
    ready: str = "/readyz"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {**self.env, "FRANOI_HTTP_HOST": "127.0.0.1", "FRANOI_HTTP_PORT": str(self.port)}


@dataclass(frozen=True)
class Served:
    """A started server: its URL, its process (0: this one), the service when in this
    process."""

    url: str
    pid: int
    service: RunningService | None = None


def settings_from(kind: str, env: dict[str, str]) -> ServiceSettings:
    """The settings ``serve`` would read from ``env`` (and nothing else of ours)."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith("FRANOI_")]:
            del os.environ[name]
        os.environ.update(env)
        return DEFINITIONS[kind].settings_type()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.asynccontextmanager
async def serving(mode: Mode, groups: Sequence[Sequence[Spec]]) -> AsyncIterator[dict[str, Served]]:
    """Start ``groups`` in order (each group's servers at once, ready before the next group)
    and stop them all in reverse order at the end."""
    serve = _in_process if mode == "in-process" else _in_subprocesses
    async with serve(groups) as served:
        yield served


@contextlib.asynccontextmanager
async def _in_process(groups: Sequence[Sequence[Spec]]) -> AsyncIterator[dict[str, Served]]:
    specs = [spec for group in groups for spec in group]
    services = [
        RunningService(
            DEFINITIONS[s.kind], settings_from(s.kind, s.environment()), s.port, **SERVE_OPTIONS
        )
        for s in specs
    ]
    async with running(*services):
        yield {
            s.name: Served(service.url, 0, service)
            for s, service in zip(specs, services, strict=True)
        }


@dataclass
class _Child:
    spec: Spec
    process: asyncio.subprocess.Process
    log: IO[str]

    def said(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:].strip()


@contextlib.asynccontextmanager
async def _in_subprocesses(groups: Sequence[Sequence[Spec]]) -> AsyncIterator[dict[str, Served]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")}
    children: list[_Child] = []
    try:
        for group in groups:
            for spec in group:
                log: IO[str] = tempfile.TemporaryFile("w+")
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "franoi_benchmarks.child",
                    spec.kind,
                    env={**base, **spec.environment()},
                    stdin=asyncio.subprocess.PIPE,  # the child stops when this pipe closes
                    stdout=log,
                    stderr=log,
                )
                children.append(_Child(spec, process, log))
            for child in children[-len(group) :]:
                await _ready(child)
        try:
            yield {c.spec.name: Served(c.spec.url, c.process.pid) for c in children}
        except Exception:
            for child in children:  # what the services said, to see why
                if told := child.said():
                    progress(f"{child.spec.name} said:\n{told}")
            raise
    finally:
        for child in reversed(children):
            if child.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                await asyncio.wait_for(child.process.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                await child.process.wait()
            child.log.close()


async def _ready(child: _Child) -> None:
    spec = child.spec
    async with httpx.AsyncClient(base_url=spec.url, timeout=2) as client:
        for _ in range(1200):
            if child.process.returncode is not None:
                raise RuntimeError(
                    f"{spec.name} exited with {child.process.returncode}:\n{child.said()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(spec.ready)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{spec.name} not ready at {spec.url}")
