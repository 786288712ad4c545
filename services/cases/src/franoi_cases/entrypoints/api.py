"""The cases REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves (social
worker or partner admin); the access log needs a partner admin. Every read and
write is scoped by the token's ``partner_id``, so another partner's persons and
plans answer 404 and another partner's staff get 403. Every read or change of a
person's record is written to the access log in the same transaction. Errors are
RFC 9457 problems (:mod:`franoi_common.http`); creates with a client-chosen id
are safe to retry.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Query, Request
from franoi_common.api import (
    Caller,
    Limit,
    Offset,
    Page,
    PersonRefPath,
    from_state,
    paged,
    partner_member,
    partner_router,
)
from franoi_common.api import PersonRecordsOut as RecordsOut
from franoi_common.auth import Principal, Role
from franoi_common.importing import Sheet
from franoi_common.importing.api import add_imports
from franoi_common.persons import PRINTABLE
from franoi_contracts.base import AgeBand
from franoi_contracts.cases import InterruptionReason, PlanAxis, PlanOutcome
from pydantic import BaseModel, Field

from franoi_cases.adapters.repository import PlanFilter
from franoi_cases.domain.duplicates import DuplicateReason
from franoi_cases.domain.model import (
    Consent,
    ConsentScope,
    IndividualPlan,
    Operation,
    Person,
    PlanStatus,
    Relation,
)
from franoi_cases.domain.tasks import DueBadge, Task, TaskStatus
from franoi_cases.service_layer import commands, handlers


class HouseholdMemberOut(BaseModel):
    relation: Relation
    given_name: str
    birth_year: int | None


class PersonSummaryOut(BaseModel):
    """A person as a search shows them: enough to recognise, no document or contact."""

    person_id: UUID
    given_names: str
    family_name: str
    born_on: dt.date
    sex: str
    citizenship: str
    person_ref: str | None
    registered_on: dt.date


class PersonHitOut(PersonSummaryOut):
    """A person a search found."""

    score: float | None = Field(
        None,
        description="Similar-name search only: how well the name matches, 0..1 (1: every"
        " searched word is a word of the name; 0.9 another spelling of it; 0.7 a typo away;"
        " 0.5 part of a word)",
    )


class ConsentOut(BaseModel):
    given_on: dt.date
    scopes: list[ConsentScope]
    recorded_by: str = Field(description="The token subject of whoever recorded it")
    recorded_at: dt.datetime


class DuplicateOut(PersonSummaryOut):
    """A record that may be the person being registered."""

    reasons: list[DuplicateReason] = Field(
        description="same_document; similar_name_same_birth_date; similar_name_close_birth_year"
        " (years of birth at most one apart)"
    )
    score: float = Field(description="How well the names match, 0..1 (0: the document only)")


class DuplicatesOut(BaseModel):
    candidates: list[DuplicateOut] = Field(description="The likeliest first (at most 20)")
    total: int = Field(description="How many records may be the person")


class PersonOut(PersonSummaryOut):
    """The whole record (decrypted for the caller; every such answer is logged)."""

    languages: list[str]
    protection_status: str
    protection_expires_on: dt.date | None
    age_band: AgeBand
    tax_code: str | None
    residence_permit_number: str | None
    phone: str | None
    email: str | None
    household: list[HouseholdMemberOut]
    merged_into: UUID | None
    duplicate_reason: str | None = Field(
        description="Why it was registered although the partner held possible duplicates"
    )
    consent: ConsentOut | None = Field(
        description="The consent as last recorded (GET /v1/persons/{id}/consent: its history)"
    )


class ReviewOut(BaseModel):
    reviewed_on: dt.date
    progress: dict[str, str]


class TaskOut(BaseModel):
    task_id: UUID
    plan_id: UUID
    person_id: UUID
    title: str
    axis: PlanAxis | None
    due_on: dt.date
    assignee: str
    status: TaskStatus
    done_on: dt.date | None
    cancelled_on: dt.date | None
    due_badge: DueBadge | None = Field(
        description="overdue: open and past its due date; due_soon: open and due within 7 days"
    )


class PlanOut(BaseModel):
    plan_id: UUID
    person_id: UUID
    person_ref: str
    opened_on: dt.date
    axes: list[PlanAxis]
    goals: dict[str, list[str]]
    planned_months: int
    key_worker: str
    status: PlanStatus
    reviews: list[ReviewOut]
    closed_on: dt.date | None
    outcome: PlanOutcome | None
    interruption_reason: InterruptionReason | None
    tasks: list[TaskOut] = Field(description="By due date")
    overdue_tasks: int = Field(description="Open tasks past their due date")
    tasks_due_soon: int = Field(description="Open tasks due within 7 days")


class AccessOut(BaseModel):
    id: int
    person_id: UUID
    operation: str
    actor: str = Field(description="The token subject")
    role: str
    at: dt.datetime


class PeerOut(BaseModel):
    domain: str
    status: str = Field(
        description="ok, not_configured, unreachable, failed (http_status says how) or "
        "no_person_ref (the person has no document identifier yet)"
    )
    records: dict[str, Any] | None = None
    http_status: int | None = None
    detail: str | None = None


class PersonFileOut(BaseModel):
    """What the partner holds about a person: this record, its plans, the other services'."""

    person: PersonOut
    plans: list[PlanOut]
    services: list[PeerOut]


class PersonRecordsOut(RecordsOut):
    """What this service holds for one ``person_ref`` (same shape as every service's)."""


def person_summary(person: Person) -> PersonSummaryOut:
    i = person.identity
    return PersonSummaryOut(
        person_id=person.person_id,
        given_names=i.given_names,
        family_name=i.family_name,
        born_on=i.born_on,
        sex=i.sex.value,
        citizenship=i.citizenship,
        person_ref=person.person_ref,
        registered_on=person.registered_on,
    )


def person_hit(person: Person, score: float | None = None) -> PersonHitOut:
    return PersonHitOut(**person_summary(person).model_dump(), score=score)


def consent_out(consent: Consent) -> ConsentOut:
    return ConsentOut(
        given_on=consent.given_on,
        scopes=list(consent.scopes),
        recorded_by=consent.recorded_by,
        recorded_at=consent.recorded_at,
    )


def person_out(person: Person) -> PersonOut:
    i = person.identity
    return PersonOut(
        **person_summary(person).model_dump(),
        languages=list(i.languages),
        protection_status=i.protection_status.value,
        protection_expires_on=i.protection_expires_on,
        age_band=person.age_band,
        tax_code=person.documents.tax_code,
        residence_permit_number=person.documents.residence_permit_number,
        phone=person.contacts.phone,
        email=person.contacts.email,
        household=[
            HouseholdMemberOut(
                relation=m.relation, given_name=m.given_name, birth_year=m.birth_year
            )
            for m in person.household
        ],
        merged_into=person.merged_into,
        duplicate_reason=person.duplicate_reason,
        consent=None if person.consent is None else consent_out(person.consent),
    )


def file_out(found: handlers.PersonFile) -> dict[str, Any]:
    """A person's file as answered (:class:`PersonFileOut`): the record, its plans and what
    the partner's other services said."""
    return {
        "person": person_out(found.person),
        "plans": [plan_out(p) for p in found.plans],
        "services": [PeerOut(**vars(a)) for a in found.peers],
    }


def task_out(task: Task, today: dt.date | None = None) -> TaskOut:
    return TaskOut(
        task_id=task.task_id,
        plan_id=task.plan_id,
        person_id=task.person_id,
        title=task.title,
        axis=task.axis,
        due_on=task.due_on,
        assignee=task.assignee,
        status=task.status,
        done_on=task.done_on,
        cancelled_on=task.cancelled_on,
        due_badge=task.badge(today or dt.date.today()),
    )


def plan_out(plan: IndividualPlan, today: dt.date | None = None) -> PlanOut:
    day = today or dt.date.today()
    tasks = [task_out(t, day) for t in plan.tasks]
    return PlanOut(
        plan_id=plan.plan_id,
        person_id=plan.person_id,
        person_ref=plan.person_ref,
        opened_on=plan.opened_on,
        axes=list(plan.axes),
        goals={axis.value: list(goals) for axis, goals in plan.goals.items()},
        planned_months=plan.planned_months,
        key_worker=plan.key_worker,
        status=plan.status,
        reviews=[
            ReviewOut(
                reviewed_on=r.reviewed_on,
                progress={a.value: p.value for a, p in r.progress.items()},
            )
            for r in plan.reviews
        ],
        closed_on=plan.closed_on,
        outcome=plan.outcome,
        interruption_reason=plan.interruption_reason,
        tasks=tasks,
        overdue_tasks=sum(t.due_badge is DueBadge.OVERDUE for t in tasks),
        tasks_due_soon=sum(t.due_badge is DueBadge.DUE_SOON for t in tasks),
    )


Services = Annotated[
    handlers.CasesServices, Depends(from_state("services", handlers.CasesServices))
]


router = partner_router()
ADMIN = [Depends(partner_member(Role.PARTNER_ADMIN))]
"""The access log is for partner admins."""

# persons


@router.post("/persons", status_code=201, response_model=PersonOut, tags=["persons"])
async def register_person(body: commands.RegisterPerson, who: Caller, s: Services) -> Any:
    """Register a person the partner follows. With a document identifier the person
    gets their ``person_ref`` (and the network hears of them) at once. A record
    already holding the document refuses it (409 ``person_already_registered``); with
    ``check_duplicates``, so do records that may be the person (409
    ``possible_duplicate``, saying how many) unless ``duplicate_reason`` says why
    this is someone else. The consent given (if any) is recorded by the caller."""
    return person_out(await handlers.register_person(s, who, body))


@router.get("/persons", response_model=Page[PersonSummaryOut], tags=["persons"])
async def list_persons(who: Caller, s: Services, limit: Limit = 50, offset: Offset = 0) -> Any:
    """The partner's persons by name, a page at a time. Each person shown is written
    to the access log. To search, use ``POST /v1/persons/search``."""
    found = await handlers.search_persons(
        s, who, name=None, born_on=None, document=None, limit=limit, offset=offset
    )
    return paged([person_summary(p) for p in found.items], found.total, limit, offset)


@router.post("/persons/search", response_model=Page[PersonHitOut], tags=["persons"])
async def search_persons(body: commands.SearchPersons, who: Caller, s: Services) -> Any:
    """The partner's persons matching every criterion given. A name is matched as
    parts of the name (``name_match: contains``, by name) or word by word, tolerant of
    typos and transliterations (``similar``: best match first, each with its score).
    The criteria are in the body so that no name or document number appears in a
    URL. Each person shown is written to the access log."""
    document = None if body.document is None else body.document.get_secret_value()
    found = await handlers.search_persons(
        s,
        who,
        name=body.name,
        born_on=body.born_on,
        document=document,
        limit=body.limit,
        offset=body.offset,
        similar=body.name_match is commands.NameMatch.SIMILAR,
        person_refs=body.person_refs,
    )
    scores: list[float | None] = list(found.scores) or [None] * len(found.items)
    hits = [person_hit(p, score) for p, score in zip(found.items, scores, strict=True)]
    return paged(hits, found.total, body.limit, body.offset)


@router.post("/persons/duplicates", response_model=DuplicatesOut, tags=["persons"])
async def find_duplicates(body: commands.FindDuplicates, who: Caller, s: Services) -> Any:
    """The partner's records that may be the person about to be registered: the same
    document, or a similar name (typos and transliterations tolerated; every word of
    the shorter name matching) with the same birth date or a year of birth at most
    one apart. Each record shown is written to the access log."""
    total, candidates = await handlers.find_duplicates(s, who, body)
    return DuplicatesOut(
        candidates=[
            DuplicateOut(
                **person_summary(found.person).model_dump(),
                reasons=found.reasons,
                score=found.score,
            )
            for found in candidates
        ],
        total=total,
    )


@router.get("/persons/{person_id}", response_model=PersonOut, tags=["persons"])
async def read_person(person_id: UUID, who: Caller, s: Services) -> Any:
    return person_out(await handlers.read_one(s, who, Person, person_id, Operation.READ))


@router.patch("/persons/{person_id}", response_model=PersonOut, tags=["persons"])
async def update_person(
    person_id: UUID, body: commands.UpdatePerson, who: Caller, s: Services
) -> Any:
    """Correct or complete a record; a field given as null is removed (identity
    fields can only be corrected)."""
    return person_out(await handlers.update_person(s, who, person_id, body))


@router.post("/persons/{person_id}/merge", response_model=PersonOut, tags=["persons"])
async def merge_persons(
    person_id: UUID, body: commands.MergePersons, who: Caller, s: Services
) -> Any:
    """Fold another record of the same person into this one."""
    return person_out(await handlers.merge_persons(s, who, person_id, body))


@router.get("/persons/{person_id}/consent", response_model=list[ConsentOut], tags=["persons"])
async def consent_history(person_id: UUID, who: Caller, s: Services) -> Any:
    """The person's consent as recorded over time, oldest first."""
    return [consent_out(x) for x in await handlers.consent_history(s, who, person_id)]


@router.post("/persons/{person_id}/consent", response_model=list[ConsentOut], tags=["persons"])
async def record_consent(
    person_id: UUID, body: commands.ConsentIn, who: Caller, s: Services
) -> Any:
    """Record a change of the person's consent (recorded by the caller); answers the
    history, oldest first. The consent already recorded, repeated, changes nothing."""
    return [consent_out(x) for x in await handlers.record_consent(s, who, person_id, body)]


@router.get("/persons/{person_id}/plans", response_model=list[PlanOut], tags=["plans"])
async def plans_of_person(person_id: UUID, who: Caller, s: Services) -> Any:
    return [plan_out(p) for p in await handlers.plans_of_person(s, who, person_id)]


@router.get("/persons/{person_id}/file", response_model=PersonFileOut, tags=["persons"])
async def person_file(person_id: UUID, who: Caller, s: Services, request: Request) -> Any:
    """The person's file: this record and its plans, and the records the partner's
    housing, employment, hosting and events services hold for the person's
    ``person_ref``, asked with the caller's own token. A service that is not
    configured, unreachable or refusing is reported as such."""
    authorization = request.headers.get("authorization", "")
    found = await handlers.person_file(s, who, person_id, authorization)
    return PersonFileOut(**file_out(found))


@router.get(
    "/persons/{person_id}/access-log",
    response_model=Page[AccessOut],
    tags=["access log"],
    dependencies=ADMIN,
)
async def export_person_log(person_id: UUID, who: Caller, s: Services) -> Any:
    """Everything logged about one person, this export included (partner admins)."""
    found = await handlers.export_person_log(s, who, person_id)
    return Page(
        items=[AccessOut.model_validate(r) for r in found.items],
        total=found.total,
        limit=max(found.total, 1),
        offset=0,
    )


@router.get("/persons/{person_ref}/records", response_model=PersonRecordsOut, tags=["persons"])
async def person_records(person_ref: PersonRefPath, who: Caller, s: Services) -> Any:
    """What this service holds for one ``person_ref`` of the caller's partner (empty
    lists when nothing). Logged like any read."""
    persons, plans = await handlers.records_for_ref(s, who, person_ref)
    return PersonRecordsOut(
        person_ref=person_ref,
        domain="cases",
        records={
            "persons": [person_out(p) for p in persons],
            "plans": [plan_out(p) for p in plans],
        },
    )


# plans


@router.post("/plans", status_code=201, response_model=PlanOut, tags=["plans"])
async def open_plan(body: commands.OpenPlan, who: Caller, s: Services) -> Any:
    """Open an individual plan (one open plan per person)."""
    return plan_out(await handlers.open_plan(s, who, body))


@router.get("/plans", response_model=Page[PlanOut], tags=["plans"])
async def list_plans(
    who: Caller,
    s: Services,
    status: PlanStatus | None = None,
    person_id: UUID | None = None,
    key_worker: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=PRINTABLE,
            description="Only the plans this worker follows",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    f = PlanFilter(status, person_id, key_worker)
    found = await handlers.list_plans(s, who, f, limit, offset)
    return paged([plan_out(p) for p in found.items], found.total, limit, offset)


class CountOut(BaseModel):
    total: int = Field(description="How many there are")


@router.get("/plans/count", response_model=CountOut, tags=["plans"])
async def count_plans(
    who: Caller,
    s: Services,
    status: PlanStatus | None = None,
    key_worker: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=PRINTABLE, description="Followed by"),
    ] = None,
) -> Any:
    """How many of the partner's plans there are (the desk's home page): a count shows no
    person, so it is not in the access log."""
    return CountOut(total=await handlers.count_plans(s, who, PlanFilter(status, None, key_worker)))


@router.get("/plans/{plan_id}", response_model=PlanOut, tags=["plans"])
async def read_plan(plan_id: UUID, who: Caller, s: Services) -> Any:
    return plan_out(await handlers.read_one(s, who, IndividualPlan, plan_id))


@router.post("/plans/{plan_id}/review", response_model=PlanOut, tags=["plans"])
async def review_plan(plan_id: UUID, body: commands.ReviewPlan, who: Caller, s: Services) -> Any:
    return plan_out(await handlers.change_plan(s, who, plan_id, body))


@router.post("/plans/{plan_id}/close", response_model=PlanOut, tags=["plans"])
async def close_plan(plan_id: UUID, body: commands.ClosePlan, who: Caller, s: Services) -> Any:
    return plan_out(await handlers.change_plan(s, who, plan_id, body))


# access log


@router.get("/access-log", response_model=Page[AccessOut], tags=["access log"], dependencies=ADMIN)
async def access_log(
    who: Caller,
    s: Services,
    person_id: UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Who read or changed which person's record, newest first (partner admins)."""
    found = await handlers.access_log(s, who, person_id, limit, offset)
    return paged([AccessOut.model_validate(r) for r in found.items], found.total, limit, offset)


# --- history from spreadsheets -----------------------------------------------------------


async def close_plan_of_the_past(
    s: handlers.CasesServices, who: Principal, plan_id: UUID, cmd: commands.ClosePlan
) -> IndividualPlan:
    """Close a plan a row imports (the row's closing day and outcome)."""
    return await handlers.change_plan(s, who, plan_id, cmd)


SHEETS = (
    Sheet(
        "persons",
        handlers.register_person,
        "person_id",
        omit=frozenset({"household", "consent", "check_duplicates", "duplicate_reason"}),
    ),
    Sheet(
        "plans",
        handlers.open_plan,
        "plan_id",
        refers={"person_id": "persons"},
        omit=frozenset({"goals"}),
        then=[close_plan_of_the_past],
    ),
)
"""What a partner imports into its register: persons (each gets its ``person_ref`` from its
document as a registration does) and their plans."""
add_imports(router, SHEETS)
