"""Building blocks every service API shares: pages, bounded inputs, its parts from app state.

- :class:`Page`: the shape of every list answer; :data:`Limit` and :data:`Offset` bound it.
- :data:`Day`: a calendar date in the range the network records (2000 to 2100); commands and
  filters use it so no request reaches the database with an absurd date.
- :func:`from_state`: a dependency giving a part the service wired at start (its command
  handlers, its pool), so routers are built when the app is created, without a database,
  and the OpenAPI document can be generated anywhere.
- :func:`read_only`: a read-only transaction with a statement timeout for read endpoints.
- :data:`Caller`, :data:`Services`, :data:`PersonRefPath`: the parameters every endpoint of a
  partner service takes; :class:`Reads`: its reads through its repository (one row or
  aggregate of the caller's partner, else 404; a page of rows), :func:`paged` its list answer.
- :class:`PersonRecordsOut`: the answer of ``GET /v1/persons/{person_ref}/records``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from franoi_common.auth import Principal, current_principal
from franoi_common.commands import CreatedId, PartnerServices
from franoi_common.errors import NotFound
from franoi_common.repository import Repository

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R", bound=Repository)

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)

Day = Annotated[
    dt.date,
    Field(ge=FIRST_DAY, le=LAST_DAY, description="A date between 2000-01-01 and 2100-12-31"),
]
"""A date the network can record: 2000-01-01 to 2100-12-31."""

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="Rows to skip")]
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


def model_of(model: type[BaseModel], row: Any) -> Any:
    """A response model from a database row, taking only the model's fields."""
    values = dict(row)
    return model.model_validate({k: v for k, v in values.items() if k in model.model_fields})


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

    async def row(
        self, s: PartnerServices, cls: type[Any], partner_id: str, aggregate_id: UUID
    ) -> asyncpg.Record:
        """The partner's row of one aggregate; :class:`NotFound` when it has none. The id a
        create returned carries the row it committed: answered without reading it back."""
        if isinstance(aggregate_id, CreatedId):
            created = aggregate_id.row_of(cls, partner_id)
            if created is not None:
                return created
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


def add_person_records(
    router: APIRouter,
    read: Reads[R],
    domain: str,
    gather: Gather[R],
    description: str = PERSON_FILE,
) -> None:
    """``GET /persons/{person_ref}/records``, every partner service's part of the person's
    file: what ``gather`` reads, in one read-only transaction, scoped by the caller's
    partner; empty lists when the service holds nothing, never 404."""

    async def person_records(person_ref: PersonRefPath, who: Caller, s: Services) -> Any:
        records = await read(s, lambda repo: gather(s, repo, who.partner_id, person_ref))
        return PersonRecordsOut(person_ref=person_ref, domain=domain, records=records)

    router.add_api_route(
        "/persons/{person_ref}/records",
        person_records,
        methods=["GET"],
        response_model=PersonRecordsOut,
        tags=["persons"],
        description=description,
    )
