"""The coordinator imports the organisation's history from spreadsheets: each service's sheets
(as the service declares them at ``/v1/imports/sheets``) with their templates, a file sent on
to the service, the problems of a wrong file by row and column, and an accepted file's
progress (polled every second with htmx) until its tally and problems.

The desk decides nothing here either: the services say what they import and check the files
with their own rules; only the partner's coordinator (``partner_admin``) is let in, by the
services and, for the page and its link, by the desk."""

from __future__ import annotations

import asyncio
import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from franoi_common.importing.files import MAX_BYTES, media_type
from franoi_common.importing.report import (
    RUNNING,
    TALLY,
    ReportLine,
    file_problems,
    import_problems,
)
from starlette.datastructures import UploadFile

from franoi_desk.adapters.partner_api import ServiceProblem
from franoi_desk.entrypoints.web import api, redirect, render
from franoi_desk.session import Worker, bearer_token, check_csrf, current_worker, language
from franoi_desk.settings import DOMAINS

router = APIRouter(include_in_schema=False)

SHEET = re.compile(r"[a-z_]{1,40}")
RECENT = 20
FORM_OVERHEAD = 64 * 1024
"""What a form adds to its file (the token, the other fields, the parts' headers)."""
SAID = {
    "unreadable_file": "imports.unreadable",
    "too_large": "imports.too_large",
    "import_running": "imports.running",
}
"""A service's refusals of a whole file, by their code: what the page says (in its language)."""


@dataclass
class Importing:
    """What one service imports (``sheets`` in its order; None: it did not answer)."""

    domain: str
    sheets: list[dict[str, Any]] | None
    recent: list[dict[str, Any]] = field(default_factory=list)

    def label(self, sheet: str) -> str:
        found = {str(s["name"]): str(s["label"]) for s in self.sheets or []}
        return found.get(sheet, sheet)


def coordinator(request: Request) -> Worker:
    """The signed-in person, if the partner's coordinator; else the page is refused (403)."""
    worker = current_worker(request)
    if not worker.coordinator:
        raise HTTPException(403, detail="the coordinator imports the organisation's history")
    return worker


async def importing(request: Request, token: str, lang: str) -> list[Importing]:
    """Every service the desk works on that imports sheets (or did not answer), with its
    recent imports."""

    async def of(domain: str) -> Importing | None:
        params = {"lang": lang}
        try:
            sheets = await api(request).get(domain, "/v1/imports/sheets", token, params)
            if not sheets:
                return None
            recent = await api(request).get(domain, "/v1/imports", token, params)
        except ServiceProblem as problem:
            if problem.status == 404:  # a service that imports nothing (yet)
                return None
            if problem.status >= 500:
                return Importing(domain, None)
            raise
        return Importing(domain, sheets, recent)

    found = await asyncio.gather(*(of(domain) for domain in DOMAINS))
    return [service for service in found if service is not None]


def recent_imports(services: list[Importing]) -> list[dict[str, Any]]:
    """The newest imports of every service, with the service and the sheet's label."""
    every = [
        {**done, "domain": s.domain, "sheet_label": s.label(done["sheet"])}
        for s in services
        for done in s.recent
    ]
    return sorted(every, key=lambda done: str(done["started_at"]), reverse=True)[:RECENT]


async def imports_page(
    request: Request,
    status: int = 200,
    chosen: str = "",
    check_only: bool = False,
    said: str | None = None,
    detail: str | None = None,
    report: list[ReportLine] | None = None,
) -> Response:
    lang = language(request)
    services = await importing(request, await bearer_token(request), lang)
    return render(
        request,
        "imports.html",
        status=status,
        services=services,
        recent=recent_imports(services),
        chosen=chosen,
        check_only=check_only,
        said=said,
        detail=detail,
        report=report,
    )


@router.get("/imports", response_class=HTMLResponse)
async def imports(request: Request) -> Response:
    coordinator(request)
    return await imports_page(request)


@router.get("/imports/{domain}/sheets/{sheet}/template")
async def template(
    request: Request, domain: str, sheet: str, format: Literal["xlsx", "csv"] = "xlsx"
) -> Response:
    """The service's template, through the desk (the browser holds no token for it)."""
    coordinator(request)
    if domain not in DOMAINS or not SHEET.fullmatch(sheet):
        raise HTTPException(404)
    answer = await api(request).download(
        domain,
        f"/v1/imports/sheets/{sheet}/template",
        await bearer_token(request),
        {"format": format, "lang": language(request)},
    )
    headers = {"Content-Disposition": answer.headers.get("content-disposition", "attachment")}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


@router.post("/imports", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """The file goes on to the service as it is: a wrong file comes back with its problems
    by row and column; an accepted one is followed on its own page."""
    coordinator(request)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES + FORM_OVERHEAD:
        return await imports_page(request, status=413, said=SAID["too_large"])
    form = await request.form(max_files=1, max_fields=10)
    check_csrf(request, form.get("csrf"))
    chosen = str(form.get("sheet") or "")
    check_only = form.get("check_only") == "on"
    domain, _, sheet = chosen.partition(":")
    file = form.get("file")
    again = functools.partial(imports_page, request, chosen=chosen, check_only=check_only)
    """The page again, with the choices made."""
    if domain not in DOMAINS or not SHEET.fullmatch(sheet):
        return await again(status=422, said="imports.choose_sheet")
    if not isinstance(file, UploadFile) or not file.filename:
        return await again(status=422, said="imports.choose_file")
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return await again(status=413, said=SAID["too_large"])
    try:
        started = await api(request).upload(
            domain,
            f"/v1/imports/sheets/{sheet}",
            await bearer_token(request),
            data,
            media_type(data),
            {"lang": language(request), "check_only": str(check_only).lower()},
        )
    except ServiceProblem as problem:
        if problem.code == "import_problems":
            report = file_problems({"errors": problem.errors})
            return await again(status=422, detail=problem.detail, report=report)
        if problem.code in SAID:
            return await again(status=problem.status, said=SAID[problem.code])
        raise
    return redirect(f"/imports/{domain}/{started['import_id']}")


@router.get("/imports/{domain}/{import_id}", response_class=HTMLResponse)
async def followed(request: Request, domain: str, import_id: uuid.UUID) -> Response:
    """An import's progress and, once finished, its tally and problems; htmx asks for the
    part that changes (``import_status.html``) every second while it runs."""
    coordinator(request)
    if domain not in DOMAINS:
        raise HTTPException(404)
    token, lang = await bearer_token(request), language(request)
    found = await api(request).get(domain, f"/v1/imports/{import_id}", token, {"lang": lang})
    context = {
        "domain": domain,
        "imported": found,
        "running": found["status"] in RUNNING,
        "problems": import_problems(found),
        "tally_keys": TALLY,
    }
    if request.headers.get("hx-request"):
        return render(request, "import_status.html", **context)
    sheets = await api(request).get(domain, "/v1/imports/sheets", token, {"lang": lang})
    service = Importing(domain, sheets)
    return render(request, "import.html", sheet_label=service.label(found["sheet"]), **context)
