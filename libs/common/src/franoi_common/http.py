"""Service defaults for every HTTP API: errors, health, telemetry.

- Invalid input answers 422 with each problem's location and message (never
  the submitted values, which may be personal data); domain rule violations
  are mapped by each service to 409/422; an unexpected failure answers 500
  with a generic message and is logged with its trace id.
- ``/healthz``: the process is alive. ``/readyz``: each named dependency
  check passes (503 and which one failed otherwise).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]
"""Raises if the dependency is not usable."""


@dataclass
class Readiness:
    required: dict[str, Check] = field(default_factory=dict)
    """Checks that make the service unready when they fail."""
    informational: dict[str, Check] = field(default_factory=dict)
    """Reported, but the service stays ready (e.g. the broker for a partner service:
    commands keep working and the outbox holds the events)."""


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_input(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": [str(p) for p in error.get("loc", ())], "msg": error.get("msg", "invalid")}
            for error in exc.errors()
        ]
        return JSONResponse(
            status_code=422, content={"detail": "invalid request", "problems": problems}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.detail},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"error": type(exc).__name__})
        return JSONResponse(status_code=500, content={"detail": "internal error"})


async def _run_check(check: Check, timeout_s: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout_s)
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def install_health_routes(app: FastAPI, readiness: Readiness, timeout_s: float = 2.0) -> None:
    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: dependencies reachable")
    async def readyz() -> JSONResponse:
        names = list(readiness.required) + list(readiness.informational)
        checks = [*readiness.required.values(), *readiness.informational.values()]
        results = await asyncio.gather(*(_run_check(c, timeout_s) for c in checks))
        report = dict(zip(names, results, strict=True))
        ready = all(report[name] == "ok" for name in readiness.required)
        return JSONResponse(
            status_code=200 if ready else 503,
            content={"status": "ready" if ready else "unready", "checks": report},
        )


def instrument(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
