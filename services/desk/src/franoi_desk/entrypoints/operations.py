"""A page for every write operation of the partner's services (:mod:`franoi_desk.forms`):
``/record`` lists them by service and subject, ``/record/<service>/<operation>`` asks for
one. Opened from a person's page (``?person_id=``), a form about a person takes the person's
pseudonym and coarse attributes from the register; opened from a record, the record's id."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from franoi_desk.adapters.partner_api import PartnerApi, ServiceProblem
from franoi_desk.entrypoints.offline import conflict, from_outbox, now_on_record, refused, sent
from franoi_desk.entrypoints.pages import coarse_attributes
from franoi_desk.entrypoints.web import api, day, partner_names, redirect, render
from franoi_desk.forms import (
    DIRECTORY_FIELDS,
    Field,
    Form,
    Kind,
    follow_ups,
    forms_of,
    record_label,
)
from franoi_desk.i18n import translator, value_label
from franoi_desk.session import bearer_token, check_csrf, current_worker, language
from franoi_desk.settings import DOMAINS

router = APIRouter(include_in_schema=False)


class Operations:
    """Every form of the partner's services, read once from their OpenAPI documents (a
    service that does not answer is asked again at the next page)."""

    def __init__(self, partner_api: PartnerApi) -> None:
        self._api = partner_api
        self._forms: dict[str, list[Form]] = {}
        self._lock = asyncio.Lock()

    async def of(self, domain: str) -> list[Form]:
        async with self._lock:
            if domain not in self._forms:
                try:
                    document = await self._api.document(domain)
                except Exception:  # not reachable now: the page says so, and asks again later
                    return []
                self._forms[domain] = forms_of(domain, document)
            return self._forms[domain]

    async def all(self) -> dict[str, list[Form]]:
        return {domain: await self.of(domain) for domain in DOMAINS}

    async def find(self, domain: str, operation_id: str) -> Form:
        for form in await self.of(domain) if domain in DOMAINS else []:
            if form.operation_id == operation_id:
                return form
        raise HTTPException(404, detail="no such form")


def operations(request: Request) -> Operations:
    found: Operations = request.app.state.operations
    return found


@router.get("/record", response_class=HTMLResponse)
async def catalogue(request: Request) -> Response:
    current_worker(request)
    person_id = _person_id(request.query_params.get("person_id"))
    person = None
    if person_id:
        person = await api(request).get(
            "cases", f"/v1/persons/{person_id}", await bearer_token(request)
        )
    every = await operations(request).all()
    if person is not None:  # only what is recorded about a person
        every = {d: [f for f in forms if f.about_a_person] for d, forms in every.items()}
    kind = f"person:{person['person_id']}" if person is not None else "form"
    return render(request, "record.html", offline=kind, every=every, person=person)


@router.get("/record/{domain}/{operation_id}", response_class=HTMLResponse)
async def operation_page(request: Request, domain: str, operation_id: str) -> Response:
    current_worker(request)
    form = await operations(request).find(domain, operation_id)
    values: dict[str, Any] = {
        key: value for key, value in request.query_params.items() if len(value) <= 200
    }
    for spec in form.fields:
        if spec.client_chosen:
            values[spec.name] = str(uuid.uuid4())
    person = await _person(request, form, values.get("person_id"))
    if form.method in CHANGES:  # made on the record's current version
        values[BASE_VERSION] = await _version(request, form, values)
    return await _page(request, form, values, person)


CHANGES = ("patch", "put")
"""The methods that change a record as it is: sent with the version they were made on."""
BASE_VERSION = "base_version"


async def _version(request: Request, form: Form, values: dict[str, Any]) -> str | None:
    text = {k: v for k, v in values.items() if isinstance(v, str)}
    _, version = await api(request).versioned(
        form.domain, form.url(text), await bearer_token(request)
    )
    return version


async def _page(
    request: Request,
    form: Form,
    values: dict[str, Any],
    person: dict[str, Any] | None,
    status: int = 200,
    problem: ServiceProblem | None = None,
    notes: dict[str, str] | None = None,
) -> Response:
    """The form; ``notes``: a message next to a field other than the service's own."""
    if person is not None:
        kind: str | None = f"person:{person['person_id']}"
    else:  # a list of the register's persons is personal data: never kept on a device
        kind = None if any(f.kind is Kind.PERSONS for f in form.fields) else "form"
    return render(
        request,
        "operation.html",
        status=status,
        offline=kind,
        form=form,
        values=values,
        person=person,
        Kind=Kind,
        options=await _options(request, form, person),
        problem=problem,
        field_errors=notes
        or (problem.field_errors(translator(language(request))) if problem else {}),
    )


PICKER_SIZE = 200
"""The newest records a picker offers (a record further back is named by its id)."""


async def _options(
    request: Request, form: Form, person: dict[str, Any] | None
) -> dict[str, list[tuple[str, str]]]:
    """For each field chosen from a list, the partner's records it may name: (id, label)."""
    token = await bearer_token(request)
    lang = language(request)

    def show(key: str, value: Any) -> str:
        return day(value, lang) if key.endswith("_on") else value_label(value, lang)

    async def fetch(spec: Field) -> tuple[str, list[tuple[str, str]]]:
        assert spec.picker is not None
        params: dict[str, Any] = {"limit": PICKER_SIZE}
        if spec.picker_by_person and person is not None and person.get("person_ref"):
            params["person_ref"] = person["person_ref"]
        try:
            page = await api(request).get(form.domain, spec.picker, token, params)
        except ServiceProblem:
            return spec.name, []  # typed by its id instead
        rows = page.get("items", []) if isinstance(page, dict) else []
        return spec.name, [
            (str(row[spec.name]), record_label(row, show)) for row in rows if row.get(spec.name)
        ]

    async def people(spec: Field) -> tuple[str, list[tuple[str, str]]]:
        """The register's persons (newest 200) for an attendance list: (person_ref, name)."""
        try:
            page = await api(request).get("cases", "/v1/persons", token, {"limit": PICKER_SIZE})
        except ServiceProblem:
            return spec.name, []
        rows = sorted(page.get("items", []), key=lambda r: (r["family_name"], r["given_names"]))
        return spec.name, [
            (row["person_ref"], f"{row['family_name']} {row['given_names']}")
            for row in rows
            if row.get("person_ref")
        ]

    async def partners(spec: Field) -> tuple[str, list[tuple[str, str]]]:
        """The network's other partners, by name (a partner is never offered itself)."""
        own = current_worker(request).partner_id
        names = await partner_names(request, token)
        return spec.name, sorted(
            ((p, name) for p, name in names.items() if p != own), key=lambda item: item[1]
        )

    wanted = [fetch(spec) for spec in form.fields if spec.picker is not None]
    wanted += [partners(spec) for spec in form.fields if spec.name in DIRECTORY_FIELDS]
    wanted += [people(spec) for spec in form.fields if spec.kind is Kind.PERSONS]
    return dict(await asyncio.gather(*wanted))


@router.post("/record/{domain}/{operation_id}", response_class=HTMLResponse)
async def record(request: Request, domain: str, operation_id: str) -> Response:
    current_worker(request)
    form = await operations(request).find(domain, operation_id)
    posted = await request.form()
    check_csrf(request, posted.get("csrf"))
    values: dict[str, Any] = {}
    for key in posted:
        many = [str(v).strip() for v in posted.getlist(key)]
        values[key] = many if len(many) > 1 or _is_multi(form, key) else many[0]
    base_version = values.pop(BASE_VERSION, None)
    person = await _person(request, form, values.get("person_id"))
    body = form.body(values)
    mine = dict(body)
    if person is not None and not person.get("person_ref") and _takes_ref(form):
        problem = ServiceProblem(422, "person_ref missing", code="person_not_identified")
        if from_outbox(request):
            return refused(request, problem)
        return await _page(request, form, values, person, 422, problem)
    if person is not None:
        day = form.record_day(values)
        taken = {f.name for f in form.fields}
        body.update({k: v for k, v in coarse_attributes(person, day).items() if k in taken})
    text_values = {k: v for k, v in values.items() if isinstance(v, str)}
    token = await bearer_token(request)
    path = form.url(text_values)
    if_match = str(base_version) if isinstance(base_version, str) and base_version else None
    try:
        answer = await api(request).send(domain, form.method.upper(), path, token, body, if_match)
    except ServiceProblem as problem:
        notes = None
        if problem.status == 412:  # changed meanwhile: what it holds now, and its version
            current, values[BASE_VERSION] = await api(request).versioned(domain, path, token)
            if from_outbox(request):
                return conflict(request, mine, current or {}, values[BASE_VERSION])
            notes = now_on_record(request, mine, current or {})
        elif from_outbox(request):
            return refused(request, problem)
        elif problem.status not in (403, 404, 409, 422):
            raise
        return await _page(request, form, values, person, problem.status, problem, notes)
    if from_outbox(request):
        return sent(f"/persons/{person['person_id']}" if person else request.url.path)
    if person is not None:
        return redirect(f"/persons/{person['person_id']}?done={form.key}")
    answer = answer if isinstance(answer, dict) else {}
    next_steps = follow_ups(await operations(request).of(domain), answer)
    return render(request, "operation_done.html", form=form, answer=answer, next_steps=next_steps)


def _takes_ref(form: Form) -> bool:
    return any(f.name == "person_ref" for f in form.fields)


def _is_multi(form: Form, name: str) -> bool:
    return any(
        f.name == name and f.kind in (Kind.CHOICES, Kind.TEXTS, Kind.PERSONS) for f in form.fields
    )


def _person_id(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


async def _person(request: Request, form: Form, person_id: object) -> dict[str, Any] | None:
    """The person a form about a person is for (it cannot be sent without one)."""
    if not form.about_a_person:
        return None
    found = _person_id(person_id)
    if found is None:
        raise HTTPException(404, detail="choose the person first, from the register")
    person: dict[str, Any] = await api(request).get(
        "cases", f"/v1/persons/{found}", await bearer_token(request)
    )
    return person
