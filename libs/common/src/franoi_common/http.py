"""Service defaults for every HTTP API: errors as RFC 9457 problems, their OpenAPI, health.

Every error answers ``application/problem+json`` with ``type``, ``title``,
``status`` and ``detail``; invalid input (422) adds ``errors``, each problem's
location and message — never the submitted values, which may be personal data.
A :class:`~franoi_common.errors.DomainError` answers its own status and adds
its ``code``. A query that runs past the read timeout answers 503; an
unexpected failure answers 500 with a generic message and is logged.

:func:`document_problems` declares, in the OpenAPI document, every status an
operation can answer (400 where a body is read, 401/403 where a token is
needed, 404 where a path or a body names a resource, 409 on writes, 422 where
there is input, 503 where the database is read) with the problem schema, so a
new service gets it without writing it.

``/healthz``: the process is alive. ``/readyz``: each named dependency check
passes (503 and which one failed otherwise). ``/`` leads to the API docs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from franoi_common.db import DATABASE_UNAVAILABLE
from franoi_common.errors import DomainError
from franoi_common.kafka import Stall
from franoi_common.telemetry import context_from_headers

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://franoi.org/problems/"

Check = Callable[[], Awaitable[None]]
"""Raises if the dependency is not usable."""


class InputProblem(BaseModel):
    loc: list[str] = Field(description="Where the problem is, e.g. ['body', 'beds']")
    msg: str = Field(description="What is wrong (never the submitted value)")
    type: str | None = Field(
        None,
        description="A stable code of the kind of problem (e.g. missing, greater_than_equal,"
        " date_parsing), for clients that show messages in their own language",
    )


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong with this request, for people")
    code: str | None = Field(None, description="A stable machine-readable reason")
    errors: list[InputProblem] | None = Field(None, description="Each invalid input (422)")


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (code or _slug(status)),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if code is not None:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(status_code=status, content=body, media_type=PROBLEM_JSON, headers=headers)


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


@dataclass
class Readiness:
    required: dict[str, Check] = field(default_factory=dict)
    """Checks that make the service unready when they fail."""
    informational: dict[str, Check] = field(default_factory=dict)
    """Reported, but the service stays ready (e.g. the broker for a partner service:
    commands keep working and the outbox holds the events); each has its reason in
    ``not_required``."""
    not_required: dict[str, str] = field(default_factory=dict)
    """Why each informational check does not make the service unready (shown on /readyz)."""

    def inform(self, name: str, check: Check, why: str) -> None:
        """Report ``check`` without depending on it, saying why that is acceptable."""
        self.informational[name] = check
        self.not_required[name] = why

    async def report(self, timeout_s: float) -> dict[str, str]:
        """Every check, required or not: ``ok`` or ``unavailable (why)``."""
        checks = {**self.required, **self.informational}
        results = await asyncio.gather(*(_run_check(c, timeout_s) for c in checks.values()))
        return dict(zip(checks, results, strict=True))

    def require(self, name: str) -> None:
        """Make an informational check required (e.g. the broker, in a worker's process)."""
        if name in self.informational:
            self.required[name] = self.informational.pop(name)
            self.not_required.pop(name, None)


class Stallable(Protocol):
    def stalled(self) -> Stall | None:
        """Why the worker makes no progress, or None while it works."""
        ...


@dataclass
class Liveness:
    """What ``/healthz`` answers for: the process serves, and each of its workers' loops
    makes progress (:meth:`franoi_common.kafka.BackgroundWorker.stalled`). A worker whose
    rounds keep failing while one of the process's dependencies is unavailable is waiting
    for it, not stalled: a restart would not bring the database or the broker back (and
    would stop an API that works without the broker); readiness says it instead."""

    workers: dict[str, Stallable] = field(default_factory=dict)

    async def check(
        self, readiness: Readiness, timeout_s: float
    ) -> tuple[dict[str, str], dict[str, str]]:
        """(stalled workers, waiting workers), each with why."""
        stalls = {name: stall for name, w in self.workers.items() if (stall := w.stalled())}
        away: list[str] = []
        if any(stall.failing for stall in stalls.values()):
            report = await readiness.report(timeout_s)
            away = [name for name, result in report.items() if result != "ok"]
        stalled: dict[str, str] = {}
        waiting: dict[str, str] = {}
        for name, stall in stalls.items():
            if stall.failing and away:
                waiting[name] = f"{stall.why}, while unavailable: {', '.join(away)}"
            else:
                stalled[name] = stall.why
        return stalled, waiting


Metrics = Callable[[], Awaitable[list[str]]]
"""Lines of the Prometheus text format (``# HELP``, ``# TYPE`` and samples)."""


@dataclass
class Health:
    """What a process's probes and ``/metrics`` report."""

    readiness: Readiness = field(default_factory=Readiness)
    liveness: Liveness = field(default_factory=Liveness)
    metrics: dict[str, Metrics] = field(default_factory=dict)
    """Metric sources by name; one that fails is left out (and said in a comment line)."""


DATABASE_RETRY_AFTER_S = 5


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_input(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in error.get("loc", ())],
                "msg": str(error.get("msg", "invalid")),
                "type": str(error.get("type", "value_error")),
            }
            for error in exc.errors()
        ]
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return problem_response(400, "the body is not valid JSON", code="malformed_body")
        where = ", ".join(".".join(e["loc"]) for e in errors[:5])
        return problem_response(
            422,
            f"the request is invalid ({where})" if where else "the request is invalid",
            code="invalid_request",
            errors=errors,
        )

    @app.exception_handler(DomainError)
    async def refused(_: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc.status, str(exc), code=exc.code, title=exc.title)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(asyncpg.QueryCanceledError)
    async def too_slow(_: Request, exc: asyncpg.QueryCanceledError) -> JSONResponse:
        log.warning("query cancelled by the statement timeout")
        return problem_response(
            503,
            "the query took too long; narrow the period or the filters and retry",
            code="query_timeout",
            headers={"Retry-After": "5"},
        )

    async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", extra={"error": type(exc).__name__})
        return problem_response(
            503,
            "the service's database is not reachable at the moment; nothing was changed,"
            " retry shortly",
            code="database_unavailable",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )

    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"error": type(exc).__name__})
        return problem_response(500, "internal error", code="internal_error")


def _problem_ref(schemas: dict[str, Any]) -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault("Problem", schema)
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


_DESCRIPTIONS = {
    "400": "The body is not JSON",
    "401": "Missing, expired or invalid bearer token",
    "403": "The token's partner or roles do not allow this operation",
    "404": "No such resource (named in the path or the body) for the caller's partner",
    "409": "The request conflicts with the resource's current state",
    "422": "Invalid input: each problem's location and message",
    "503": "The database is unreachable or did not answer in time; retry after Retry-After",
}


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Declare each operation's error answers with the problem schema (in place)."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    content = _problem_ref(schemas)
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            secured = bool(operation.get("security"))
            params = operation.get("parameters", [])
            has_input = bool(params) or "requestBody" in operation
            statuses: list[str] = []
            if secured:
                statuses += ["401", "403", "503"]
            writes = secured and method in ("post", "put", "patch", "delete")
            if "{" in path or writes:  # a path, or a body, naming a resource
                statuses.append("404")
            if writes:
                statuses.append("409")
            if "requestBody" in operation:
                statuses.append("400")
            if has_input:
                statuses.append("422")
            responses = operation["responses"]
            for status in statuses:
                responses[status] = {"description": _DESCRIPTIONS[status], "content": content}
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return openapi


def install_problem_openapi(app: FastAPI) -> None:
    """Generate the app's OpenAPI document with the problems declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _run_check(check: Check, timeout_s: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout_s)
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"
    return "ok"


class LiveOut(BaseModel):
    status: str = Field(description="ok, or stalled")
    workers: dict[str, str] | None = Field(
        None, description="Each stalled worker and why (only when stalled)"
    )
    waiting: dict[str, str] | None = Field(
        None,
        description="Workers whose rounds fail while a dependency is unavailable: not"
        " restarted for it, since a restart would not bring the dependency back",
    )


class ReadyOut(BaseModel):
    status: str = Field(description="ready, or unready")
    checks: dict[str, str] = Field(description="Each dependency: ok, or unavailable (why)")
    not_required: dict[str, str] | None = Field(
        None, description="Why each of these checks does not make the service unready"
    )


def install_health_routes(app: FastAPI, health: Health, timeout_s: float = 2.0) -> None:
    readiness = health.readiness

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness: the process answers and its workers make progress",
        responses={
            200: {"model": LiveOut},
            503: {"model": LiveOut, "description": "A worker has stalled: restart the process"},
        },
    )
    async def healthz() -> JSONResponse:
        stalled, waiting = await health.liveness.check(readiness, timeout_s)
        if stalled:
            return JSONResponse(status_code=503, content={"status": "stalled", "workers": stalled})
        content: dict[str, Any] = {"status": "ok"}
        if waiting:
            content["waiting"] = waiting
        return JSONResponse(content=content)

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: dependencies reachable",
        responses={
            200: {"model": ReadyOut},
            503: {"model": ReadyOut, "description": "A required dependency is unavailable"},
        },
    )
    async def readyz() -> JSONResponse:
        report = await readiness.report(timeout_s)
        ready = all(report[name] == "ok" for name in readiness.required)
        content: dict[str, Any] = {"status": "ready" if ready else "unready", "checks": report}
        if readiness.not_required:
            content["not_required"] = readiness.not_required
        return JSONResponse(status_code=200 if ready else 503, content=content)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """The Prometheus text format of every metric source of the process."""
        lines: list[str] = []
        for name, source in health.metrics.items():
            try:
                lines += await asyncio.wait_for(source(), timeout_s)
            except Exception as exc:
                lines.append(f"# {name}: unavailable ({type(exc).__name__})")
        return Response("\n".join(lines) + "\n", media_type=PROMETHEUS_TEXT)


PROMETHEUS_TEXT = "text/plain; version=0.0.4"


DOCS_ASSETS = "/docs-assets"


def offline_docs_app(**options: Any) -> FastAPI:
    """A FastAPI app whose ``/docs`` (Swagger UI) loads its script, style and icon from the
    service itself (``/docs-assets``, files shipped in a package), never from a CDN: the
    network's machines may be offline. No ReDoc: its bundle fetches a logo from the
    internet."""
    return FastAPIOffline(static_url=DOCS_ASSETS, redoc_url=None, **options)


def install_root_redirect(app: FastAPI) -> None:
    """``/`` leads to the API docs, unless the app has a page of its own there."""
    if any(getattr(route, "path", None) == "/" for route in app.routes):
        return

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")


_UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})
_server_tracer = trace.get_tracer("franoi.http")


class ServerSpans:
    """One SERVER span per request (health probes excepted), a child of the caller's W3C
    trace context, named ``<METHOD> <route template>`` once the router has matched (the
    template, never the path: a path may hold a person's pseudonym), with the method,
    route and status code. Made directly with the SDK: the generic FastAPI instrumentation
    matched every route again to name the span and cost several times as much CPU."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in _UNTRACED
            or scope["path"].startswith(DOCS_ASSETS)
        ):
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate", b"baggage")
        }
        parent = context_from_headers(carrier) if carrier else None
        method = scope["method"]
        span = _server_tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.scheme": scope.get("scheme", "http")},
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            raise
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            otel_context.detach(token)
            span.end()


NATIVE_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
"""For every ``FastAPI(telemetry=...)``: FastAPI's own OpenTelemetry support turns itself on
when a tracer provider is set, and would add a second SERVER span per request recording the
path and the query string (a person's id, a name), plus spans for dependency resolution,
the endpoint and serialisation. :class:`ServerSpans` makes the one server span instead."""


def instrument(app: FastAPI) -> None:
    app.add_middleware(ServerSpans)
