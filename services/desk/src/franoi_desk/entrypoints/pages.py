"""The desk's pages: sign-in, my cases, find a person, register a person, the person's
file and what is recorded for them. Every page is rendered on the server; every form posts
with the session's CSRF token and answers with a redirect (or the form again, with the
services' problems next to their fields and everything typed kept)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from franoi_common.auth import Principal, Role, mint_token
from franoi_common.web_signin import NotAdmitted, SignInFailed, WebSignIn
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex, age_band_on

from franoi_desk.adapters.partner_api import ServiceProblem
from franoi_desk.entrypoints.offline import from_outbox, refused, sent
from franoi_desk.entrypoints.web import api, local_path, redirect, render
from franoi_desk.entrypoints.worklists import SESSION_SCOPE, worklists
from franoi_desk.forms import follow_ups, own_id, record_facts
from franoi_desk.i18n import translator
from franoi_desk.session import (
    LANGUAGES,
    SESSION_LANG,
    Worker,
    bearer_token,
    check_csrf,
    current_worker,
    language,
    sign_in,
    sign_out,
)
from franoi_desk.settings import DeskSettings

router = APIRouter(include_in_schema=False)

DESK_ROLES = (Role.SOCIAL_WORKER, Role.PARTNER_ADMIN)
PERSON_FIELDS = (
    "given_names",
    "family_name",
    "born_on",
    "sex",
    "citizenship",
    "protection_status",
    "tax_code",
    "residence_permit_number",
)
RELATIONS = ("spouse", "partner", "child", "parent", "sibling", "other")
"""How a household member is related to the person (the register's values)."""
CHOICES = {
    "sex": [s.value for s in Sex],
    "protection_status": [p.value for p in ProtectionStatus],
}


def settings_of(request: Request) -> DeskSettings:
    settings: DeskSettings = request.app.state.settings
    return settings


CONSENT_SCOPES = (
    "processing",
    "sharing_within_network",
    "contact",
    "referral_identity",
    "referral_documents",
    "referral_contacts",
)
"""What a person consents to at registration (the register's ConsentScope values)."""


def _today() -> str:
    return dt.date.today().isoformat()


async def form_of(request: Request) -> dict[str, str]:
    """The posted form, its token checked; every value a stripped string."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    return {key: str(value).strip() for key, value in form.items() if key != "csrf"}


def filled(values: dict[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields given (an empty field is not sent: the service applies its default)."""
    return {name: values[name] for name in fields if values.get(name)}


# --- signing in and out --------------------------------------------------------------------


def desk_roles(principal: Principal) -> tuple[str, ...]:
    """The person's roles that work at a desk."""
    return tuple(sorted(r.value for r in principal.roles if r in DESK_ROLES))


def web_signin_of(request: Request) -> WebSignIn | None:
    web_signin: WebSignIn | None = getattr(request.app.state, "web_signin", None)
    return web_signin


def signin_choices(request: Request) -> dict[str, Any]:
    settings = settings_of(request)
    return {
        "dev": settings.dev_sign_in,
        "provider": web_signin_of(request) is not None,
        "partners": settings.partner_ids,
        "roles": [r.value for r in DESK_ROLES],
        "values": {},
    }


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request) -> Response:
    return render(request, "signin.html", **signin_choices(request))


@router.post("/signin")
async def signin(request: Request) -> Response:
    settings = settings_of(request)
    values = await form_of(request)
    if not settings.dev_sign_in:
        return render(request, "signin.html", status=404, **signin_choices(request))
    name = " ".join(values.get("name", "").split())
    partner = values.get("partner_id", "")
    role = values.get("role", "")
    errors: dict[str, str] = {}
    if not 2 <= len(name) <= 80 or not name.isprintable():
        errors["name"] = "2-80"
    if partner not in settings.partner_ids:
        errors["partner_id"] = "?"
    if role not in {r.value for r in DESK_ROLES}:
        errors["role"] = "?"
    if errors:
        choices = signin_choices(request) | {"values": values}
        return render(request, "signin.html", status=422, errors=errors, **choices)
    token = mint_token(
        settings.auth,
        subject=name,
        partner_id=partner,
        roles=[role],
        ttl=dt.timedelta(hours=settings.session_hours),
    )
    sign_in(request, Worker(name, name, partner, (role,)), token=token)
    return redirect("/")


@router.get("/signin/provider")
async def signin_with_provider(request: Request) -> Response:
    """To the organisation's identity provider's login page."""
    web_signin = web_signin_of(request)
    if web_signin is None:
        return render(request, "signin.html", status=404, **signin_choices(request))
    answer: Response = await web_signin.begin(request, "/signin/callback")
    return answer


@router.get("/signin/callback")
async def signin_callback(request: Request) -> Response:
    """Back from the provider: the person is who its tokens say, if this desk serves their
    organisation and their role works at a desk."""
    web_signin = web_signin_of(request)
    if web_signin is None:
        return render(request, "signin.html", status=404, **signin_choices(request))
    settings = settings_of(request)

    def admitted(principal: Principal) -> bool:
        return principal.partner_id in settings.partner_ids and bool(desk_roles(principal))

    try:
        signed = await web_signin.finish(request, request.app.state.token_verifier, admitted)
    except SignInFailed:
        return render(
            request, "signin.html", status=400, refused="signin.failed", **signin_choices(request)
        )
    except NotAdmitted:
        return render(
            request, "signin.html", status=403, refused="signin.not_here", **signin_choices(request)
        )
    who = signed.principal
    sign_in(
        request,
        Worker(who.subject, signed.name, who.partner_id, desk_roles(who)),
        key=signed.key,
    )
    return redirect("/")


@router.post("/signout")
async def signout(request: Request) -> Response:
    await form_of(request)
    key = sign_out(request)
    web_signin = web_signin_of(request)
    if web_signin is not None:
        return redirect(await web_signin.sign_out(request, key, "/signin"))
    return redirect("/signin")


@router.post("/language")
async def choose_language(request: Request) -> Response:
    values = await form_of(request)
    if values.get("lang") in LANGUAGES:
        request.session[SESSION_LANG] = values["lang"]
    return redirect(local_path(values.get("next")))


# --- my cases ------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    worker = current_worker(request)
    token = await bearer_token(request)
    plans, organisation, tasks, waiting = await asyncio.gather(  # one round trip's time
        api(request).get(
            "cases",
            "/v1/plans",
            token,
            {"status": "open", "key_worker": worker.subject, "limit": 200},
        ),
        api(request).get("cases", "/v1/plans/count", token, {"status": "open"}),
        api(request).get(
            "cases",
            "/v1/tasks",
            token,
            {"assignee": worker.subject, "status": "open", "limit": 200},
        ),
        api(request).get("cases", "/v1/referrals/inbox", token, {"state": "proposed", "limit": 1}),
    )
    mine = plans["items"]
    erased = request.query_params.get("done") == "erased"
    scope = request.query_params.get("scope")
    if scope in ("mine", "all"):  # the choice is kept for the session
        request.session[SESSION_SCOPE] = scope == "all"
    everyone = bool(request.session.get(SESSION_SCOPE, False))
    return render(
        request,
        "home.html",
        plans=mine,
        open_total=organisation["total"],
        tasks=tasks["items"],
        referrals_waiting=waiting["total"],
        done=erased,
        everyone=everyone,
        lists=await worklists(request, mine, everyone),
        forms=await request.app.state.operations.all(),
        follow_ups=follow_ups,
        own_id=own_id,
        record_facts=record_facts,
    )


# --- find, register -------------------------------------------------------------------------


@router.get("/persons", response_class=HTMLResponse)
async def search_page(request: Request) -> Response:
    current_worker(request)
    return render(request, "search.html", values={}, results=None)


@router.post("/persons/search", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    """The criteria go in the body to the register (a name never travels in an address)."""
    current_worker(request)
    values = await form_of(request)
    criteria = {
        key: values[key]
        for key, field in (("name", "name"), ("born_on", "born_on"), ("document", "document"))
        if values.get(field)
    }
    template = "search_results.html" if request.headers.get("hx-request") else "search.html"
    if not criteria:
        return render(request, template, values=values, results=None, need_criteria=True)
    try:
        found = await api(request).post(
            "cases",
            "/v1/persons/search",
            await bearer_token(request),
            {**criteria, "name_match": "similar", "limit": 20},
        )
    except ServiceProblem as problem:
        if problem.status != 422:
            raise
        return render(request, template, status=422, values=values, results=None, problem=problem)
    return render(request, template, values=values, results=found)


@router.get("/persons/new", response_class=HTMLResponse)
async def register_page(request: Request) -> Response:
    current_worker(request)
    values = {"person_id": str(uuid.uuid4()), "consent_given_on": _today()}
    return render(
        request,
        "register.html",
        offline="form",
        values=values,
        choices=CHOICES,
        scopes=CONSENT_SCOPES,
    )


@router.post("/persons")
async def register(request: Request) -> Response:
    current_worker(request)
    values = await form_of(request)
    body = filled(values, PERSON_FIELDS)
    if "citizenship" in body:
        body["citizenship"] = body["citizenship"].upper()
    body["person_id"] = values.get("person_id") or str(uuid.uuid4())
    body["check_duplicates"] = True
    if values.get("duplicate_reason"):
        body["duplicate_reason"] = values["duplicate_reason"]
    scopes = [scope for scope in CONSENT_SCOPES if values.get(f"consent_{scope}")]
    if scopes:
        body["consent"] = {"given_on": values.get("consent_given_on") or _today(), "scopes": scopes}
    token = await bearer_token(request)
    try:
        person = await api(request).post("cases", "/v1/persons", token, body)
    except ServiceProblem as problem:
        if from_outbox(request):
            return refused(request, problem)
        if problem.status not in (409, 422):
            raise
        duplicates: list[Any] = []
        if problem.code == "possible_duplicate":
            duplicates = await possible_duplicates(request, body)
        return render(
            request,
            "register.html",
            status=problem.status,
            values=values,
            choices=CHOICES,
            problem=problem,
            field_errors=problem.field_errors(translator(language(request))),
            duplicates=duplicates,
            scopes=CONSENT_SCOPES,
        )
    if from_outbox(request):
        return sent(f"/persons/{person['person_id']}")
    return redirect(f"/persons/{person['person_id']}?done=register")


async def possible_duplicates(request: Request, body: dict[str, Any]) -> list[Any]:
    asked = filled(
        {k: str(v) for k, v in body.items()},
        ("given_names", "family_name", "born_on", "tax_code", "residence_permit_number"),
    )
    try:
        found = await api(request).post(
            "cases", "/v1/persons/duplicates", await bearer_token(request), asked
        )
    except ServiceProblem:
        return []
    return list(found.get("candidates", []))


# --- the person -----------------------------------------------------------------------------


@router.get("/persons/{person_id}", response_class=HTMLResponse)
async def person_page(request: Request, person_id: uuid.UUID) -> Response:
    current_worker(request)
    file = await api(request).get(
        "cases", f"/v1/persons/{person_id}/file", await bearer_token(request)
    )
    return await render_person(request, file, request.query_params.get("done"))


async def render_person(
    request: Request,
    file: dict[str, Any],
    done: str | None = None,
    status: int = 200,
    **household: Any,
) -> Response:
    every = await request.app.state.operations.all()
    known = {"register", "household", *(f.key for forms in every.values() for f in forms)}
    return render(
        request,
        "person.html",
        status=status,
        offline=f"person:{file['person']['person_id']}",
        file=file,
        person=file["person"],
        forms=every,
        follow_ups=follow_ups,
        own_id=own_id,
        record_facts=record_facts,
        done=done if done in known else None,
        relations=RELATIONS,
        this_year=dt.date.today().year,
        household_values=household.get("household_values", {}),
        household_problem=household.get("household_problem"),
    )


@router.post("/persons/{person_id}/household")
async def change_household(request: Request, person_id: uuid.UUID) -> Response:
    """Add a member to the person's household, or take one off: the register keeps the list."""
    current_worker(request)
    values = await form_of(request)
    token = await bearer_token(request)
    person = await api(request).get("cases", f"/v1/persons/{person_id}", token)
    members = [
        {k: m.get(k) for k in ("relation", "given_name", "birth_year")}
        for m in person.get("household", [])
    ]
    if "remove" in values:
        index = values["remove"]
        if index.isdigit() and int(index) < len(members):
            del members[int(index)]
    else:
        year = values.get("birth_year", "")
        members.append(
            {
                "relation": values.get("relation", ""),
                "given_name": values.get("given_name", ""),
                "birth_year": int(year) if year.isdigit() else (year or None),
            }
        )
    try:
        await api(request).send(
            "cases", "PATCH", f"/v1/persons/{person_id}", token, {"household": members}
        )
    except ServiceProblem as problem:
        if problem.status >= 500 or problem.status in (401, 403, 404):
            raise
        file = await api(request).get("cases", f"/v1/persons/{person_id}/file", token)
        return await render_person(
            request,
            file,
            status=problem.status,
            household_values=values,
            household_problem="; ".join(
                problem.field_errors(translator(language(request))).values()
            )
            or problem.detail,
        )
    return redirect(f"/persons/{person_id}?done=household#household")


def coarse_attributes(person: dict[str, Any], on: str | None) -> dict[str, Any]:
    """What a partner service records of the person: their pseudonym and coarse attributes
    from the register (the age band on the record's day, or today's when that day is not a
    valid date: the service then refuses the date itself)."""
    try:
        day = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError:
        day = dt.date.today()
    band: AgeBand = age_band_on(dt.date.fromisoformat(person["born_on"]), day)
    return {
        "person_ref": person["person_ref"],
        "sex": person["sex"],
        "age_band": band.value,
        "protection_status": person["protection_status"],
    }


# --- the coordinator: access log, export, erasure (GDPR arts. 15 and 17) --------------------


@router.get("/persons/{person_id}/access-log", response_class=HTMLResponse)
async def access_log_page(request: Request, person_id: uuid.UUID) -> Response:
    """Who read or changed the person's record, and when (the register refuses anyone but
    the partner's coordinators)."""
    current_worker(request)
    token = await bearer_token(request)
    person = await api(request).get("cases", f"/v1/persons/{person_id}", token)
    entries = await api(request).get("cases", f"/v1/persons/{person_id}/access-log", token)
    rows = (
        entries if isinstance(entries, list) else entries.get("items", entries.get("entries", []))
    )
    return render(request, "access_log.html", person=person, entries=rows)


@router.get("/persons/{person_id}/export")
async def export(request: Request, person_id: uuid.UUID) -> Response:
    """The person's whole file as the register exports it (art. 15), as a download."""
    current_worker(request)
    document = await api(request).get(
        "cases", f"/v1/persons/{person_id}/export", await bearer_token(request)
    )
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="person-{person_id}.json"'},
    )


@router.get("/persons/{person_id}/erase", response_class=HTMLResponse)
async def erase_page(request: Request, person_id: uuid.UUID) -> Response:
    current_worker(request)
    person = await api(request).get(
        "cases", f"/v1/persons/{person_id}", await bearer_token(request)
    )
    return render(request, "erase.html", person=person, values={})


@router.post("/persons/{person_id}/erase", response_class=HTMLResponse)
async def erase(request: Request, person_id: uuid.UUID) -> Response:
    """Erasure (art. 17), once the coordinator has typed the person's family name: the
    register deletes the record, the other services and the network detach the person."""
    current_worker(request)
    values = await form_of(request)
    token = await bearer_token(request)
    person = await api(request).get("cases", f"/v1/persons/{person_id}", token)
    if values.get("confirm", "").casefold() != str(person["family_name"]).casefold():
        return render(request, "erase.html", status=422, person=person, values=values, wrong=True)
    await api(request).send("cases", "POST", f"/v1/persons/{person_id}/erase", token, None)
    return redirect("/?done=erased")
