"""What every page shares: the templates with the catalogue, the answers of a page, the
session's checks, the page security headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from franoi_desk.adapters.partner_api import PartnerApi, ServiceProblem
from franoi_desk.i18n import client_strings, translator, value_label
from franoi_desk.session import csrf_token, language, signed_in
from franoi_desk.settings import NETWORK

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = Jinja2Templates(directory=PACKAGE / "templates")
STATIC = PACKAGE / "static"


def day(value: Any, lang: str = "it") -> str:
    """A date as people read it: 06/12/2026 in Italian, 6 Dec 2026 in English."""
    if value in (None, ""):
        return ""
    date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return date.strftime("%d/%m/%Y") if lang == "it" else date.strftime("%-d %b %Y")


def month(value: Any, lang: str = "it") -> str:
    """A month (``yyyy-mm``) as people read it: ottobre 2025, October 2025."""
    if value in (None, ""):
        return ""
    year, number = str(value)[:7].split("-")
    return f"{translator(lang)(f'month.{int(number)}')} {year}"


TEMPLATES.env.filters["day"] = day
TEMPLATES.env.filters["month"] = month
TEMPLATES.env.filters["value"] = value_label


OFFLINE_HEADER = "X-Desk-Offline"
"""Which pages a device may keep for offline use, as the desk says of each page: ``form``
for a page without personal data, ``person:<id>`` for a person's page (kept only for the
persons the worker marks «available offline»); a page without it is never kept."""


def render(
    request: Request,
    template: str,
    status: int = 200,
    offline: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the session's language, with the signed-in worker and the form token;
    ``offline`` says whether a device may keep it (:data:`OFFLINE_HEADER`)."""
    lang = language(request)
    page = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": translator(lang),
            "lang": lang,
            "worker": signed_in(request),
            "csrf": csrf_token(request),
            "today": dt.date.today().isoformat(),
            "client_strings": client_strings(lang),
            **context,
        },
        status_code=status,
    )
    if offline is not None and status == 200:
        page.headers[OFFLINE_HEADER] = offline
    return page


def redirect(path: str) -> RedirectResponse:
    """After a form: see the result (303, so a reload never posts again)."""
    return RedirectResponse(path, status_code=303)


def local_path(path: object, default: str = "/") -> str:
    """A path on this site only (never another site's address from a form)."""
    return path if isinstance(path, str) and path.startswith("/") and "//" not in path else default


def api(request: Request) -> PartnerApi:
    partner_api: PartnerApi = request.app.state.partner_api
    return partner_api


async def partner_names(request: Request, token: str) -> dict[str, str]:
    """The network's partners by id, each as people know it: its name and region (the
    consortium's directory). Empty when the directory cannot be read: the pages then show
    the ids."""
    try:
        rows = await api(request).get(NETWORK, "/v1/network/partners", token)
    except ServiceProblem:
        return {}
    return {row["partner_id"]: f"{row['name']} ({row['region']})" for row in rows}


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Every asset from the desk itself, no inline script or style, no framing."""


class SecurityHeaders:
    """The pages' security headers: the CSP above, no sniffing, no referrer (a page's address
    may name a person's record), no caching of pages that show personal data."""

    def __init__(self, app: ASGIApp, form_origins: Sequence[str] = ()) -> None:
        self.app = app
        # Signing out posts to the desk, which sends the browser on to the identity
        # provider's end of session: a form's redirect the policy must allow.
        policy = CONTENT_SECURITY_POLICY
        if form_origins:
            policy = policy.replace(
                "form-action 'self'", "form-action 'self' " + " ".join(form_origins)
            )
        self._policy = policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self._policy),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
