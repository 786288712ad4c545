"""Building blocks every service API shares: pages, bounded inputs, its parts from app state.

- :class:`Page`: the shape of every list answer; :data:`Limit` and :data:`Offset` bound it.
- :data:`Day` (from :mod:`franoi_common.persons`): a calendar date in the range the network
  records (2000 to 2100); commands and filters use it so no request reaches the database
  with an absurd date.
- :func:`from_state`: a dependency giving a part the service wired at start (its command
  handlers, its pool), so routers are declared at module level, without a database,
  and the OpenAPI document can be generated anywhere.
- :func:`partner_member` and :func:`partner_router`: who may call a partner service (the staff
  of the partners the instance serves, ``app.state.partner_ids``).
- :func:`read_only`: a read-only transaction with a statement timeout for read endpoints.
- :data:`Caller`, :data:`Services`, :data:`PersonRefPath`: the parameters every endpoint of a
  partner service takes; :class:`Reads`: its reads through its repository (one row or
  aggregate of the caller's partner, else 404; a page of rows), :func:`paged` its list answer.
- :class:`Answer`: an answer model built from an aggregate or a row; :class:`PartnerApi`: a
  partner service's API, whose commands are declared in one line each (the handler, the
  answer, the tags) and answer from what their handler returned, and whose kinds of
  aggregate are each declared by one :meth:`PartnerApi.resource`; :func:`in_force` filters
  agreements.
- :class:`PersonRecordsOut`: the answer of ``GET /v1/persons/{person_ref}/records``.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Self, TypeVar
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from franoi_contracts.base import MUNICIPALITY_CODE_PATTERN
from pydantic import BaseModel, Field

from franoi_common.auth import Principal, Role, current_principal, require_partner_member
from franoi_common.commands import PartnerServices
from franoi_common.errors import NotFound
from franoi_common.importing.api import add_imports
from franoi_common.importing.sheets import Sheet
from franoi_common.persons import Day as Day  # filters take the dates commands take
from franoi_common.repository import Repository

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R", bound=Repository)

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="Rows to skip")]
MunicipalityQuery = Annotated[str | None, Query(pattern=MUNICIPALITY_CODE_PATTERN)]
"""Only the records of this municipality (its cadastral code)."""
PERSON_REFS_PER_QUERY = 50
PersonRefQuery = Annotated[
    list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] | None,
    Query(
        max_length=PERSON_REFS_PER_QUERY,
        description="Only these persons' records (their person_ref; repeat the parameter for"
        f" several, at most {PERSON_REFS_PER_QUERY})",
    ),
]

READ_TIMEOUT_MS = 5_000
"""Longest a read endpoint's query may run before it is cancelled (503)."""


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first."""

    items: list[T]
    total: int
    limit: int
    offset: int


def from_state(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency returning ``app.state.<name>`` (set by the service's wiring at start)."""

    async def dependency(request: Request) -> T:  # a coroutine: no worker-thread hop
        value = getattr(request.app.state, name, None)
        if not isinstance(value, kind):
            raise RuntimeError(f"app.state.{name} is not wired")
        return value

    return dependency


@contextlib.asynccontextmanager
async def read_only(
    pool: asyncpg.Pool, timeout_ms: int = READ_TIMEOUT_MS
) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a read-only transaction whose statements stop after ``timeout_ms``."""
    async with pool.acquire() as conn:
        # BEGIN and the timeout in one round trip (a simple query may hold both statements).
        await conn.execute(f"BEGIN READ ONLY; SET LOCAL statement_timeout = {int(timeout_ms)}")
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


def _ended_or_not(active: bool | None) -> tuple[list[str], list[Any]]:
    clauses = [] if active is None else ["ended_on IS NULL" if active else "ended_on IS NOT NULL"]
    return clauses, []


def in_force(**query: Any) -> dict[str, Any]:
    """The options of a listing of agreements (:meth:`PartnerApi.listing`) that its
    ``active`` parameter keeps to those in force (not ended) or to the ended ones, after its
    ``query`` filters."""
    return {"query": {**query, "active": bool}, "where": _ended_or_not}


def paged(items: list[Any], total: int, limit: int, offset: int) -> Page[Any]:
    """The page answer of a list endpoint."""
    return Page(items=items, total=total, limit=limit, offset=offset)


Caller = Annotated[Principal, Depends(current_principal)]
"""The authenticated caller; its ``partner_id`` scopes every read and write."""
Services = Annotated[PartnerServices, Depends(from_state("services", PartnerServices))]
"""The service's wired command handlers and pool."""
PersonRefPath = Annotated[
    str, Path(pattern=r"^[0-9a-f]{64}$", description="The person's pseudonym")
]


def partner_member(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only the staff of the partners this instance serves (403 for
    anyone else), with one of ``roles`` (social workers and partner admins when none is
    given). The partners are the settings' (``app.state.partner_ids``, set when the app is
    made), so a router can be declared once, at module level, for every instance."""
    checks: dict[tuple[str, ...], Callable[[Principal], Awaitable[Principal]]] = {}

    async def dependency(request: Request, principal: Caller) -> Principal:
        partner_ids: tuple[str, ...] = request.app.state.partner_ids
        check = checks.get(partner_ids)
        if check is None:
            check = checks[partner_ids] = require_partner_member(partner_ids, *roles)
        return await check(principal)

    return dependency


def partner_router(*roles: Role, **options: Any) -> APIRouter:
    """A partner service's ``/v1`` router: every route admits only :func:`partner_member`."""
    return APIRouter(prefix="/v1", dependencies=[Depends(partner_member(*roles))], **options)


class Answer(BaseModel):
    """An answer built from what a handler returned (an aggregate of the caller's partner) or
    from a row: each field is the attribute or column of its name, ``partner_id`` the
    caller's partner. An answer that is not that plain overrides :meth:`of`."""

    @classmethod
    def of(cls, partner_id: str, source: Any) -> Self:
        fields = cls.model_fields
        if isinstance(source, asyncpg.Record):
            source = dict(source)
        if isinstance(source, Mapping):
            values = {name: source[name] for name in fields if name in source}
        else:
            values = {name: getattr(source, name) for name in fields if hasattr(source, name)}
        if "partner_id" in fields:
            values["partner_id"] = partner_id
        return cls.model_validate(values, from_attributes=True)


AnswerT = TypeVar("AnswerT", bound=Answer)


class PersonRecordsOut(BaseModel):
    """What this service holds for one person (for the person's file at the cases service)."""

    person_ref: str
    domain: str
    records: dict[str, list[Any]]


class Reads(Generic[R]):
    """A service API's reads: each in its own read-only transaction, through its repository,
    scoped by the caller's partner (another partner's resource is not found)."""

    def __init__(self, repository: Callable[[asyncpg.Connection], R]) -> None:
        self._repository = repository

    async def __call__(self, s: PartnerServices, fn: Callable[[R], Awaitable[T]]) -> T:
        """What ``fn`` reads through the repository."""
        async with read_only(s.pool) as conn:
            return await fn(self._repository(conn))

    def with_room(
        self,
        answer: type[AnswerT],
        capacity: str,
        taken: str,
        free: str,
        taken_of: Callable[[R, str, list[Any]], Awaitable[Mapping[Any, int]]],
    ) -> Callable[[PartnerServices, str, list[asyncpg.Record]], Awaitable[list[AnswerT]]]:
        """The answers of listed rows that hold people (a unit's beds, a family's rooms):
        each with how much of its ``capacity`` is ``taken`` and ``free``, read for the whole
        page in one query (``taken_of(repository, partner_id, keys)``, the keys being the
        rows' ids: the answer's first field)."""
        key = next(iter(answer.model_fields))

        async def answers(
            s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
        ) -> list[AnswerT]:
            keys = [r[key] for r in rows]
            used = await self(s, lambda repo: taken_of(repo, partner_id, keys))
            return [
                answer.of(
                    partner_id,
                    {
                        **dict(r),
                        taken: used.get(r[key], 0),
                        free: r[capacity] - used.get(r[key], 0),
                    },
                )
                for r in rows
            ]

        return answers

    async def row(
        self, s: PartnerServices, cls: type[Any], partner_id: str, aggregate_id: UUID
    ) -> asyncpg.Record:
        """The partner's row of one aggregate; :class:`NotFound` when it has none."""
        row = await self(s, lambda repo: repo.get_row(cls, partner_id, aggregate_id))
        if row is None:
            raise NotFound(f"{s.name_of(cls)} {aggregate_id} not found")
        return row

    async def get(self, s: PartnerServices, cls: type[A], partner_id: str, aggregate_id: UUID) -> A:
        """The partner's aggregate; :class:`NotFound` when it has none."""
        found = await self(s, lambda repo: repo.get(cls, partner_id, aggregate_id))
        if found is None:
            raise NotFound(f"{s.name_of(cls)} {aggregate_id} not found")
        return found

    async def page(
        self,
        s: PartnerServices,
        cls: type[Any],
        partner_id: str,
        filters: Mapping[str, Any],
        limit: int,
        offset: int,
        where: Sequence[str] = (),
        args: Sequence[Any] = (),
    ) -> tuple[list[asyncpg.Record], int]:
        """A page of the partner's rows and their total (see :meth:`Repository.list`)."""
        rows = await self(
            s,
            lambda repo: repo.list(
                cls,
                partner_id,
                filters=filters,
                limit=limit,
                offset=offset,
                extra_where=where,
                extra_args=args,
            ),
        )
        return rows.items, rows.total


PERSON_FILE = (
    "Everything this service holds for one person of the caller's partner (empty lists\n"
    "when nothing): what the cases service gathers into the person's file."
)

Gather = Callable[[PartnerServices, R, str, str], Awaitable[dict[str, list[Any]]]]
"""``(services, repository, partner_id, person_ref)`` → the person's records by kind."""


Handler = Callable[..., Awaitable[Any]]
"""A command handler: ``(services, partner_id or caller, *path ids, command)`` → what it
created or changed."""


@dataclass(frozen=True)
class Action:
    """An action of :meth:`PartnerApi.resource` that says more than its handler: its route's
    options (``summary``, ``name``...)."""

    handler: Handler
    route: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, handler: Handler, **route: Any) -> Action:
        return cls(handler, route)


class PartnerApi(Generic[R]):
    """A partner service's API, declared at module level: :attr:`router` (``/v1``, admitting
    only the staff of the partners the instance serves) and its reads through the service's
    repository (:attr:`read`).

    A command is declared in one line: its path, its handler and its answer. The request
    body is the handler's command parameter, the path's ids its id parameters; the handler
    takes the caller's ``partner_id`` (or the caller, when it asks for a ``Principal``), and
    the answer is built from what the handler returned (:meth:`Answer.of`), in the same
    request, without reading it back::

        api.action("/placements/{placement_id}/end", handlers.end_placement, PlacementOut, TAG)

    The routes of one kind of aggregate (create, list, read one, change) are declared
    together by :meth:`resource`.
    """

    def __init__(self, repository: type[R], *roles: Role) -> None:
        self._repository = repository
        self.router = partner_router(*roles)
        self.sheets: tuple[Sheet, ...] = ()
        """What the service imports from spreadsheets (:meth:`imports`)."""
        self.read = Reads(repository)

    def resource(
        self,
        path: str,
        cls: type[Any],
        answer: type[Answer],
        *,
        create: Handler | Action,
        tag: str | None = None,
        update: Handler | None = None,
        actions: Mapping[str, Handler | Action] | None = None,
        listed: type[Answer] | None = None,
        **listing: Any,
    ) -> None:
        """The routes of one kind of aggregate, in this order: ``POST <path>`` creates one
        (``create``), ``GET <path>`` lists them (:meth:`listing`, with ``listing``'s options,
        answered as ``listed`` when the list says less), ``GET <path>/{id}`` reads one,
        ``PATCH <path>/{id}`` changes it (``update``), and ``POST <path>/{id}/<verb>`` runs
        each of ``actions``. The id is the aggregate's key in the repository; the routes' tag
        is ``tag``, else the path's words (``/group-activities``: "group activities")."""
        tag = tag or path.strip("/").replace("-", " ")
        item = f"{path}/{{{self._repository.tables[cls].key}}}"
        made = create if isinstance(create, Action) else Action(create)
        self.create(path, made.handler, answer, tag, **made.route)
        self.listing(path, cls, listed or answer, tag, **listing)
        self.one(item, cls, answer, tag)
        if update is not None:
            self.action(item, update, answer, tag, method="PATCH")
        for verb, handler in (actions or {}).items():
            act = handler if isinstance(handler, Action) else Action(handler)
            self.action(f"{item}/{verb}", act.handler, answer, tag, **act.route)

    def create(
        self, path: str, handler: Handler, answer: type[Answer], tag: str, **route: Any
    ) -> None:
        """``POST`` of a new resource, answered 201."""
        self.action(path, handler, answer, tag, status_code=201, **route)

    def action(
        self,
        path: str,
        handler: Handler,
        answer: type[Answer],
        tag: str,
        *,
        method: str = "POST",
        **route: Any,
    ) -> None:
        """A command on ``path`` (``POST /<things>/{id}/<verb>`` by default), described by
        its handler's docstring unless ``route`` says otherwise."""
        ids = re.findall(r"{(\w+)}", path)
        hints = typing.get_type_hints(handler)
        parameters = list(inspect.signature(handler).parameters)
        command = next(hints[p] for p in parameters if _is_model(hints.get(p)))
        wants_caller = hints.get(parameters[1]) is Principal

        async def endpoint(who: Principal, s: PartnerServices, body: Any, **path_ids: UUID) -> Any:
            caller = who if wants_caller else who.partner_id
            done = await handler(s, caller, *(path_ids[i] for i in ids), body)
            return answer.of(who.partner_id, done)

        name = route.pop("name", None) or handler.__name__
        if handler.__doc__ and "description" not in route:
            route["description"] = inspect.cleandoc(handler.__doc__)
        self._route(path, endpoint, ids, command, answer, tag, [method], name, route)

    def one(self, path: str, cls: type[Any], answer: type[Answer], tag: str, **route: Any) -> None:
        """``GET /<things>/{id}``: the caller's partner's aggregate (404 if it has none)."""
        [id_name] = re.findall(r"{(\w+)}", path)

        async def endpoint(who: Principal, s: PartnerServices, **path_ids: UUID) -> Any:
            found = await self.read.get(s, cls, who.partner_id, path_ids[id_name])
            return answer.of(who.partner_id, found)

        name = route.pop("name", None) or f"get_{id_name.removesuffix('_id')}"
        self._route(path, endpoint, [id_name], None, answer, tag, ["GET"], name, route)

    def listing(
        self,
        path: str,
        cls: type[Any],
        answer: type[Answer],
        tag: str,
        *,
        query: Mapping[str, Any] | None = None,
        where: Callable[..., tuple[list[str], list[Any]]] | None = None,
        answers: Callable[[PartnerServices, str, list[asyncpg.Record]], Awaitable[list[Any]]]
        | None = None,
        **route: Any,
    ) -> None:
        """``GET /<things>``: a page of the caller's partner's rows, newest first.

        ``query`` names its parameters (besides ``limit`` and ``offset``) and their types (a
        class ``T`` is the optional ``T | None``): each is a filter on the column of its
        name, unless ``where`` takes it and turns it into SQL clauses and their arguments
        (``$2``...: ``$1`` is the partner). ``answers`` makes a page's answers when they need
        more than the rows (one query for the page, not one per row)."""
        params = dict(query or {})
        special = set(inspect.signature(where).parameters) if where is not None else set()

        async def endpoint(
            who: Principal, s: PartnerServices, limit: int, offset: int, **given: Any
        ) -> Any:
            clauses, args = where(**{n: given.pop(n) for n in special}) if where else ([], [])
            rows, total = await self.read.page(
                s, cls, who.partner_id, given, limit, offset, clauses, args
            )
            found = (
                await answers(s, who.partner_id, rows)
                if answers is not None
                else [answer.of(who.partner_id, r) for r in rows]
            )
            return paged(found, total, limit, offset)

        keyword = inspect.Parameter.KEYWORD_ONLY
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter("who", keyword, annotation=Caller),
                inspect.Parameter("s", keyword, annotation=Services),
                inspect.Parameter("limit", keyword, annotation=Limit, default=50),
                inspect.Parameter("offset", keyword, annotation=Offset, default=0),
                *(
                    inspect.Parameter(n, keyword, annotation=_optional(t), default=None)
                    for n, t in params.items()
                ),
            ]
        )
        name = route.pop("name", None) or "list_" + path.strip("/").replace("-", "_")
        self.router.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            response_model=Page[answer],  # type: ignore[valid-type]
            tags=[tag],
            name=name,
            **route,
        )

    def imports(self, *sheets: Sheet) -> None:
        """``/v1/imports``: the coordinator imports ``sheets`` from spreadsheets, in the order
        given (a sheet after those its references point to): :mod:`franoi_common.importing`."""
        self.sheets = sheets
        add_imports(self.router, sheets)

    def person_records(
        self, domain: str, gather: Gather[R], description: str = PERSON_FILE
    ) -> None:
        """``GET /persons/{person_ref}/records``, every partner service's part of the person's
        file: what ``gather`` reads, in one read-only transaction, scoped by the caller's
        partner; empty lists when the service holds nothing, never 404."""
        read = self.read

        async def person_records(person_ref: PersonRefPath, who: Caller, s: Services) -> Any:
            records = await read(s, lambda repo: gather(s, repo, who.partner_id, person_ref))
            return PersonRecordsOut(person_ref=person_ref, domain=domain, records=records)

        self.router.add_api_route(
            "/persons/{person_ref}/records",
            person_records,
            methods=["GET"],
            response_model=PersonRecordsOut,
            tags=["persons"],
            description=description,
        )

    def _route(
        self,
        path: str,
        endpoint: Callable[..., Awaitable[Any]],
        ids: Sequence[str],
        command: type[BaseModel] | None,
        answer: type[Answer],
        tag: str,
        methods: list[str],
        name: str,
        route: dict[str, Any],
    ) -> None:
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [inspect.Parameter(i, keyword, annotation=UUID) for i in ids]
        if command is not None:
            parameters.append(inspect.Parameter("body", keyword, annotation=command))
        parameters += [
            inspect.Parameter("who", keyword, annotation=Caller),
            inspect.Parameter("s", keyword, annotation=Services),
        ]
        endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        self.router.add_api_route(
            path, endpoint, methods=methods, response_model=answer, tags=[tag], name=name, **route
        )


def _optional(hint: Any) -> Any:
    return hint | None if isinstance(hint, type) else hint


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, BaseModel)
