"""The consortium's pages, served by the projection: the dashboard (``/dashboard/``, for
consortium staff, who give their token in the page) and the public page (``/public/``, no
login). Plain HTML, CSS and JavaScript shipped in this package: no CDN, no remote asset, no
build step, so they work on a machine without internet. They read the network API with the
caller's token. The only data served here is the list of the network's regions for the
public page's region filter (public knowledge; no count). None of it is in the OpenAPI
document.

The two pages are one Jinja template each (``static/<page>.html``), rendered once: they extend
``page.html`` (the head and the masthead they share) and take their filters' fields from
``filters.html``. Nothing of a request goes into them; what they show, their scripts fetch."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from importlib import resources

import asyncpg
import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from franoi_common.api import read_only
from franoi_common.auth import CONSORTIUM, SESSION_CSRF, SESSION_KEY, Principal, Role
from franoi_common.web_signin import NotAdmitted, SignInFailed, WebSignIn

from franoi_projection.queries import directory

_STATIC = resources.files("franoi_projection.web") / "static"
_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
_ASSET = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|svg)$")
_HEADERS = {
    # Everything the pages use comes from this origin: the policy makes that a rule.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
PAGES = ("dashboard", "public")
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("franoi_projection.web", "static"),
    autoescape=True,
    keep_trailing_newline=True,
)


def _file(name: str) -> Response:
    suffix = name.rsplit(".", 1)[-1]
    resource = _STATIC / name
    if suffix not in _TYPES or not resource.is_file():
        raise HTTPException(404, detail="no such page asset")
    return Response(resource.read_bytes(), media_type=_TYPES[suffix], headers=_HEADERS)


def _redirect(target: str) -> Callable[[], RedirectResponse]:
    def redirect() -> RedirectResponse:
        return RedirectResponse(target, status_code=308)

    return redirect


@functools.cache
def _rendered(page: str) -> bytes:
    return _TEMPLATES.get_template(f"{page}.html").render().encode()


def _index(page: str) -> Callable[[], Response]:
    def index() -> Response:
        return Response(_rendered(page), media_type="text/html; charset=utf-8", headers=_HEADERS)

    return index


def _asset(name: str) -> Response:
    if not _ASSET.fullmatch(name):
        raise HTTPException(404, detail="no such page asset")
    return _file(name)


def _web_signin(request: Request) -> WebSignIn:
    web_signin: WebSignIn | None = getattr(request.app.state, "web_signin", None)
    if web_signin is None:
        raise HTTPException(404, detail="no identity provider is configured for the dashboard")
    return web_signin


async def _signin(request: Request) -> Response:
    """To the consortium's identity provider's login page."""
    answer: Response = await _web_signin(request).begin(request, "/dashboard/callback")
    return answer


async def _callback(request: Request) -> Response:
    """Back from the provider: a consortium analyst gets the dashboard; anyone else a 403."""
    try:
        signed = await _web_signin(request).finish(
            request, request.app.state.token_verifier, _analyst
        )
    except SignInFailed:
        return RedirectResponse("/dashboard/", status_code=303)
    except NotAdmitted as exc:
        raise HTTPException(403, detail="the dashboard is for the consortium's analysts") from exc
    request.session.clear()
    request.session[SESSION_KEY] = signed.key
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return RedirectResponse("/dashboard/", status_code=303)


def _analyst(principal: Principal) -> bool:
    return principal.partner_id == CONSORTIUM and Role.CONSORTIUM_ANALYST in principal.roles


async def _session(request: Request) -> JSONResponse:
    """Whether the page can sign in with the provider, and whether it is signed in."""
    web_signin: WebSignIn | None = getattr(request.app.state, "web_signin", None)
    key = request.session.get(SESSION_KEY)
    signed_in = (
        web_signin is not None
        and isinstance(key, str)
        and await web_signin.access_token(key) is not None
    )
    token_form = getattr(request.app.state, "token_form", True)
    csrf = request.session.get(SESSION_CSRF) if signed_in else None
    return JSONResponse(
        {
            "provider": web_signin is not None,
            "signed_in": signed_in,
            "token_form": token_form,
            "csrf": csrf,
        },
        headers={"Cache-Control": "no-store"},
    )


async def _signout(request: Request) -> Response:
    web_signin = _web_signin(request)
    key = request.session.pop(SESSION_KEY, None)
    request.session.clear()
    target = await web_signin.sign_out(request, key, "/dashboard/")
    return RedirectResponse(target, status_code=303)


def build_web_router() -> APIRouter:
    """``/dashboard/`` and ``/public/`` with their assets under ``<page>/assets/``; the
    dashboard's sign-in with the identity provider when one is configured."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/dashboard/signin", _signin, methods=["GET"])
    router.add_api_route("/dashboard/callback", _callback, methods=["GET"])
    router.add_api_route("/dashboard/session", _session, methods=["GET"])
    router.add_api_route("/dashboard/signout", _signout, methods=["POST"])
    for page in PAGES:
        router.add_api_route(f"/{page}", _redirect(f"/{page}/"), methods=["GET"])
        router.add_api_route(f"/{page}/", _index(page), methods=["GET"])
        if page == "public":
            router.add_api_route("/public/assets/regions.json", _regions, methods=["GET"])
        router.add_api_route(f"/{page}/assets/{{name}}", _asset, methods=["GET"])
    return router


async def _regions(request: Request) -> JSONResponse:
    pool: asyncpg.Pool = request.app.state.pool
    async with read_only(pool) as conn:
        return JSONResponse(await directory.regions(conn), headers=_HEADERS)
