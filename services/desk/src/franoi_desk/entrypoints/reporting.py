"""Rendicontazione: the partner's coordinator's side of the reporting periods
(``docs/reporting.md``), on the consortium's projection with the coordinator's token. The
periods and their deadlines; for a period, the partner's status, the data-quality flags rule
by rule with the records that make each (linked to the desk's pages), a comment to explain
a flag, the checks run again, the key numbers with the records behind each, and the
submission (the projection says why it refuses one).

The projection decides who sees what (a coordinator sees its own partner only); the desk
shows the page and its link to coordinators alone (``partner_admin``), like the imports.
A record is opened on the desk's page for its kind: a registration on the person's page,
any other on :func:`record_page` (what the service holds, and the operations on it)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from franoi_common.deadlines import due_badge

from franoi_desk.adapters.partner_api import ServiceProblem
from franoi_desk.entrypoints.web import api, redirect, render
from franoi_desk.forms import follow_ups, own_id, record_facts
from franoi_desk.i18n import translator
from franoi_desk.session import Worker, bearer_token, check_csrf, current_worker, language
from franoi_desk.settings import DOMAINS, NETWORK

router = APIRouter(include_in_schema=False)

BASE = "/v1/reporting/periods"
PERIOD = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
INDICATOR = re.compile(r"[a-z0-9_]{1,80}")
FLAG = re.compile(r"[0-9a-f]{24}")
KIND = re.compile(r"[a-z][a-z-]{0,39}")
DONE = ("submitted", "approved")
"""A partner's statuses with nothing left to do before the deadline."""
SAID = ("explained", "checked", "submitted")
"""What a step that went well says on the page it returns to (``?done=``)."""

KINDS = {
    "hosting_family_pauses": ("hosting", "families"),
    "hosting_visits": ("hosting", "stays"),
    "events_access_counts": ("events", "access-batches"),
    "events_access_persons": ("events", "access-batches"),
}
"""The network's record tables not named ``<domain>_<kind>`` after the service's own list:
where their records are (a visit is named by its stay's id)."""


EVENT_TYPE = re.compile(r"it\.franoi\.([a-z]+)\.([a-z_]+)\.[a-z_]+\.v[0-9]+")
"""A late entry names its record by the event's type (``it.franoi.housing.unit.registered.v1``)."""


def _plural(name: str) -> str:
    if name.endswith("series"):
        return name
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + ("es" if name.endswith(("ch", "sh", "s", "x")) else "s")


def record_link(subject: str, record_id: str) -> str | None:
    """The desk's page of a record the projection names by its table (or, for a late
    entry, its event's type) and its id: a registration's is the person's page; None for
    what no service of the desk holds."""
    event = EVENT_TYPE.fullmatch(subject)
    if event:
        subject = f"{event[1]}_{_plural(event[2])}"
    if subject == "cases_persons":
        return f"/persons/{record_id}"
    domain, _, rest = subject.partition("_")
    domain, kind = KINDS.get(subject, (domain, rest.replace("_", "-")))
    if domain not in DOMAINS or not kind:
        return None
    return f"/records/{domain}/{kind}/{record_id}"


def coordinator(request: Request) -> Worker:
    """The signed-in person, if the partner's coordinator; else the page is refused (403)."""
    worker = current_worker(request)
    if not worker.coordinator:
        raise HTTPException(403, detail="reporting is for the partner's coordinator")
    return worker


def _period_id(value: str) -> str:
    if not PERIOD.fullmatch(value):
        raise HTTPException(404, detail="no such period")
    return value


async def _call(request: Request, method: str, path: str, body: Any = None, **params: Any) -> Any:
    token = await bearer_token(request)
    if method == "GET":
        return await api(request).get(NETWORK, path, token, params)
    return await api(request).send(NETWORK, method, path, token, body)


@router.get("/reporting", response_class=HTMLResponse)
async def periods_page(request: Request) -> Response:
    worker = coordinator(request)
    lang = language(request)
    periods = await _call(request, "GET", BASE, lang=lang)
    mine = await asyncio.gather(
        *(_call(request, "GET", f"{BASE}/{p['period_id']}", lang=lang) for p in periods)
    )
    today = dt.date.today()
    rows = []
    for period, status in zip(periods, mine, strict=True):
        own = next((p for p in status["partners"] if p["partner_id"] == worker.partner_id), None)
        rows.append({**period, "own": own, "badge": _badge(period, own, today)})
    return render(request, "reporting.html", periods=list(reversed(rows)))


def _badge(period: dict[str, Any], own: dict[str, Any] | None, today: dt.date) -> str | None:
    if own is None or own["status"] in DONE:
        return None
    badge = due_badge(dt.date.fromisoformat(period["deadline"]), today)
    return badge.value if badge else None


@router.get("/reporting/{period_id}", response_class=HTMLResponse)
async def period_page(request: Request, period_id: str) -> Response:
    return await _period(request, _period_id(period_id))


async def _period(
    request: Request, period_id: str, status: int = 200, problem: ServiceProblem | None = None
) -> Response:
    worker = coordinator(request)
    lang = language(request)
    path = f"{BASE}/{period_id}/partners/{worker.partner_id}"
    mine, flags = await asyncio.gather(
        _call(request, "GET", path, lang=lang),
        _call(request, "GET", f"{path}/flags", lang=lang, explained="true"),
    )
    t = translator(lang)
    figures = {f["indicator_id"]: f["label"] for f in mine["figures"]}
    rules: dict[str, dict[str, Any]] = {}
    for flag in flags:
        flag["records"] = [(i, record_link(flag["subject"], i)) for i in flag["record_ids"]]
        flag["days"] = [(_said(t, key), day) for key, day in flag["dates"].items()]
        if flag["value"] is not None:
            flag["measure"] = _said(t, f"value_{flag['rule_id']}")
        if not flag["record_ids"]:  # a figure's flag: named by its indicator
            flag["figure"] = figures.get(flag["subject"], flag["subject"])
        group = rules.setdefault(
            flag["rule_id"],
            {
                "title": flag["title"],
                "severity": flag["severity"],
                "level": flag["severity_level"],
                "flags": [],
            },
        )
        group["flags"].append(flag)
    own = mine["partner"]
    done = request.query_params.get("done")
    return render(
        request,
        "reporting_period.html",
        status=status,
        mine=mine,
        rules=rules,
        open_flags=sum(1 for f in flags if not f["explanation"]),
        badge=_badge(mine["period"], own, dt.date.today()),
        done=done if done in SAID else None,
        problem=problem,
    )


def _said(t: Callable[[str], str], key: str) -> str:
    """A flag's date or measure by its name: the field's label, the reporting page's own,
    else the name itself."""
    for candidate in (f"field.{key}", f"reporting.{key}"):
        if t(candidate) != candidate:
            return t(candidate)
    return key


@router.get("/reporting/{period_id}/figures/{indicator_id}", response_class=HTMLResponse)
async def figure_records(request: Request, period_id: str, indicator_id: str) -> Response:
    """The records behind one of the partner's figures: a fragment for the period's page
    (htmx), or a page of its own."""
    worker = coordinator(request)
    if not INDICATOR.fullmatch(indicator_id):
        raise HTTPException(404, detail="no such figure")
    path = f"{BASE}/{_period_id(period_id)}/partners/{worker.partner_id}"
    found = await _call(request, "GET", f"{path}/figures/{indicator_id}/records")
    records = [(r["record_id"], record_link(r["table"], r["record_id"])) for r in found["records"]]
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "_figure_records.html" if fragment else "reporting_records.html",
        records=records,
        period_id=period_id,
        indicator_id=indicator_id,
    )


@router.post("/reporting/{period_id}/flags/{flag_key}/explanation")
async def explain(request: Request, period_id: str, flag_key: str) -> Response:
    worker = coordinator(request)
    posted = await request.form()
    check_csrf(request, posted.get("csrf"))
    if not FLAG.fullmatch(flag_key):
        raise HTTPException(404, detail="no such flag")
    period_id = _period_id(period_id)
    comment = str(posted.get("comment", "")).strip()
    path = f"{BASE}/{period_id}/partners/{worker.partner_id}/flags/{flag_key}/explanation"
    try:
        await _call(request, "PUT", path, {"comment": comment})
    except ServiceProblem as problem:
        if problem.status != 422:
            raise
        return await _period(request, period_id, 422, problem)
    return redirect(f"/reporting/{period_id}?done=explained#flags")


@router.post("/reporting/{period_id}/checks")
async def run_checks(request: Request, period_id: str) -> Response:
    worker = coordinator(request)
    check_csrf(request, (await request.form()).get("csrf"))
    period_id = _period_id(period_id)
    await _call(request, "POST", f"{BASE}/{period_id}/partners/{worker.partner_id}/quality-run")
    return redirect(f"/reporting/{period_id}?done=checked")


@router.post("/reporting/{period_id}/submission")
async def submit(request: Request, period_id: str) -> Response:
    worker = coordinator(request)
    posted = await request.form()
    check_csrf(request, posted.get("csrf"))
    period_id = _period_id(period_id)
    comment = str(posted.get("comment", "")).strip()
    body = {"comment": comment} if comment else {}
    path = f"{BASE}/{period_id}/partners/{worker.partner_id}/submission"
    try:
        await _call(request, "POST", path, body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _period(request, period_id, problem.status, problem)
    return redirect(f"/reporting/{period_id}?done=submitted")


@router.get("/records/{domain}/{kind}/{record_id}", response_class=HTMLResponse)
async def record_page(request: Request, domain: str, kind: str, record_id: uuid.UUID) -> Response:
    """A record of one of the partner's services as the service holds it, its person (when
    the register names them) and the operations on it."""
    current_worker(request)
    if domain not in DOMAINS or not KIND.fullmatch(kind):
        raise HTTPException(404, detail="no such record")
    token = await bearer_token(request)
    record = await api(request).get(domain, f"/v1/{kind}/{record_id}", token)
    person = None
    if isinstance(record.get("person_ref"), str):
        body = {"person_refs": [record["person_ref"]], "limit": 1}
        try:
            found = await api(request).post("cases", "/v1/persons/search", token, body)
            person = next(iter(found.get("items", [])), None)
        except ServiceProblem:
            person = None
    forms = await request.app.state.operations.of(domain)
    own = own_id(forms, kind.replace("-", "_"))
    t = translator(language(request))
    label = f"tag.{domain}.{kind.replace('-', ' ')}"
    return render(
        request,
        "record_page.html",
        domain=domain,
        kind_label=t(label) if t(label) != label else kind,
        record_id=str(record_id),
        facts=record_facts(record),
        person=person,
        steps=follow_ups(forms, record, own) if own else [],
    )
