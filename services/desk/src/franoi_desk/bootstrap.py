"""Composition root of the desk: the social workers' web app of a partner instance.

It keeps nothing (no database): it renders pages and calls the partner's own services with
the signed-in person's token. ``franoi-desk serve`` runs it, like every service."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.service import main as service_main
from franoi_common.settings import ServiceSettings
from franoi_common.web_signin import install_web_signin
from starlette.exceptions import HTTPException as StarletteHTTPException

from franoi_desk.adapters.partner_api import PartnerApi, ServiceProblem
from franoi_desk.entrypoints import imports, offline, operations, pages, referrals, reporting
from franoi_desk.entrypoints.offline import from_outbox, refused
from franoi_desk.entrypoints.operations import Operations
from franoi_desk.entrypoints.web import STATIC, SecurityHeaders, redirect, render
from franoi_desk.session import NotSignedIn
from franoi_desk.settings import DOMAINS, NETWORK, DeskSettings

NOT_REQUIRED = "the desk works without this service; only its pages say it is not reachable"


def wire(settings: ServiceSettings, pool: asyncpg.Pool | None) -> Wiring:
    assert isinstance(settings, DeskSettings)
    partner_api = PartnerApi(settings.service_urls())
    wiring = Wiring(state={"partner_api": partner_api, "operations": Operations(partner_api)})
    wiring.on_stop.append(partner_api.close)
    for domain in (*DOMAINS, NETWORK):

        async def check(domain: str = domain) -> None:
            await partner_api.ready(domain)

        if domain == "cases":  # the register: without it, the desk can do nothing
            wiring.readiness.required[domain] = check
        else:
            wiring.readiness.inform(domain, check, NOT_REQUIRED)
    return wiring


def setup_app(app: FastAPI, settings: ServiceSettings) -> None:
    """The pages' parts: static files, the security headers, the session cookie, and the
    error pages instead of the API's problem documents."""
    assert isinstance(settings, DeskSettings)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    provider = urlsplit(settings.oidc.issuer or "")
    origins = [f"{provider.scheme}://{provider.netloc}"] if settings.oidc.enabled else []
    app.add_middleware(SecurityHeaders, form_origins=origins)
    install_web_signin(app, settings, name="desk")

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _: NotSignedIn) -> Response:
        if from_outbox(request):  # the entry waits until the worker signs in again
            return JSONResponse({"state": "signed_out"}, status_code=401)
        return redirect("/signin")

    @app.exception_handler(ServiceProblem)
    async def service_problem(request: Request, problem: ServiceProblem) -> Response:
        if problem.status == 401:  # the token expired: sign in again
            return await not_signed_in(request, NotSignedIn())
        if from_outbox(request):
            return refused(request, problem)
        return render(request, "error.html", status=problem.status, problem=problem)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        problem = ServiceProblem(error.status_code, str(error.detail))
        if from_outbox(request):
            return refused(request, problem)
        return render(request, "error.html", status=error.status_code, problem=problem)


def definition(settings_type: type[DeskSettings] = DeskSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="desk",
        title="Fra Noi — lo sportello (the desk)",
        settings_type=settings_type,
        migrations=[],
        wire=wire,
        routers=lambda settings: [
            pages.router,
            operations.router,
            offline.router,
            imports.router,
            reporting.router,
            referrals.router,
        ],
        worker_names=(),
        in_process_workers=lambda settings: (),
        setup_app=setup_app,
        uses_database=False,
    )


DEFINITION = definition()


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
