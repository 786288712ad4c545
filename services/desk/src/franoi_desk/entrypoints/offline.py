"""Working with the connection down (docs/desk.md, «Senza connessione»).

The browser keeps the desk's shell and forms in a service worker's cache (``/sw.js``, from
``static/``) and what a worker records without a connection in an outbox of its own
(IndexedDB, ``static/outbox.js``), each entry with the client-chosen id the services
accept. The outbox sends its entries one at a time, in order, to the forms' own addresses,
asking for JSON (header ``X-Desk-Outbox``): the same session and CSRF token as the pages,
the same rules, and an answer the outbox can act on — :func:`sent`, :func:`refused` (the
reason in the worker's language, kept on the entry until it is fixed) or :func:`conflict`
(the record changed meanwhile on the server: its fields side by side for the worker to
choose, with the version to send the choice on).

Which pages a device may keep is the desk's to say, page by page
(:data:`~franoi_desk.entrypoints.web.OFFLINE_HEADER`)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from franoi_desk.adapters.partner_api import ServiceProblem
from franoi_desk.entrypoints.web import STATIC, render
from franoi_desk.i18n import translator
from franoi_desk.session import current_worker, language

router = APIRouter(include_in_schema=False)

OUTBOX_HEADER = "x-desk-outbox"
RETRY_STATUSES = frozenset({408, 425, 429})
"""Refusals that are not about the entry: the outbox tries again later, as after a 5xx."""


def from_outbox(request: Request) -> bool:
    """Whether the request is an outbox entry being sent (it wants a JSON answer)."""
    return OUTBOX_HEADER in request.headers


def sent(location: str) -> JSONResponse:
    return JSONResponse({"state": "sent", "location": location})


def refused(request: Request, problem: ServiceProblem) -> JSONResponse:
    """The service's refusal, in the worker's language: the reason, and each field's
    message under the field's label. A refusal that is not about the entry (the service
    away, too many requests) says to try again later (503)."""
    t = translator(language(request))
    if problem.status >= 500 or problem.status in RETRY_STATUSES:
        return JSONResponse({"state": "waiting"}, status_code=503)
    known = f"problem.{problem.code or ''}"
    fields = problem.field_errors(t)
    reason = t(known) if t(known) != known else problem.detail
    if fields:
        reason = t("error.fix_fields")
    shown = {t(f"field.{name}"): text for name, text in fields.items()}
    return JSONResponse(
        {"state": "refused", "reason": reason, "fields": fields, "labelled": shown},
        status_code=problem.status,
    )


def conflict(
    request: Request, mine: Mapping[str, Any], theirs: Mapping[str, Any], version: str | None
) -> JSONResponse:
    """The record changed on the server since the entry's base version: each field the
    entry changes, the entry's value beside the server's. When they agree everywhere (a
    change sent twice) there is nothing to choose: it is sent."""
    t = translator(language(request))
    fields = [
        {
            "name": name,
            "label": t(f"field.{name}"),
            "mine": _shown(value),
            "theirs": _shown(theirs.get(name)),
        }
        for name, value in mine.items()
    ]
    if all(f["mine"] == f["theirs"] for f in fields):
        return sent(request.url.path)
    return JSONResponse(
        {"state": "conflict", "version": version, "fields": fields}, status_code=412
    )


def now_on_record(
    request: Request, mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> dict[str, str]:
    """For a form answered online: next to each field the worker changed and someone else
    changed differently meanwhile, what the record holds now."""
    t = translator(language(request))
    return {
        name: t("outbox.now_on_record").replace("{value}", _shown(theirs.get(name)) or "—")
        for name, value in mine.items()
        if _shown(value) != _shown(theirs.get(name))
    }


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@functools.cache
def service_worker_script() -> str:
    """``static/sw.js`` with its version: a digest of every static file, so that a desk
    serving other files is a new service worker, which drops the old cache."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    script = (STATIC / "sw.js").read_text(encoding="utf-8")
    return script.replace('const VERSION = "dev";', f'const VERSION = "{digest.hexdigest()[:16]}";')


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, from the desk's root so that its scope is the whole desk (like
    every page, never cached by HTTP: a new version is seen at the next page)."""
    return Response(
        service_worker_script(),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/"},
    )


@router.get("/outbox", response_class=HTMLResponse)
async def outbox_page(request: Request) -> Response:
    """What waits on this device to be sent, and what was sent or refused (the script
    fills it from the device's outbox; the page itself holds no personal data)."""
    current_worker(request)
    return render(request, "outbox.html", offline="form")


@router.get("/outbox/ping")
async def ping() -> Response:
    """Whether the desk answers (a form is queued when it does not)."""
    return Response(status_code=204)
