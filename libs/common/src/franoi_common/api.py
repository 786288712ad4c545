"""Building blocks every service API shares: pages, bounded inputs, its parts from app state.

- :class:`Page`: the shape of every list answer; :data:`Limit` and :data:`Offset` bound it.
- :data:`Day`: a calendar date in the range the network records (2000 to 2100); commands and
  filters use it so no request reaches the database with an absurd date.
- :func:`from_state`: a dependency giving a part the service wired at start (its command
  handlers, its pool), so routers are built when the app is created, without a database,
  and the OpenAPI document can be generated anywhere.
- :func:`read_only`: a read-only transaction with a statement timeout for read endpoints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Generic, TypeVar

import asyncpg
from fastapi import Query, Request
from pydantic import BaseModel, Field

T = TypeVar("T")

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)

Day = Annotated[
    dt.date,
    Field(ge=FIRST_DAY, le=LAST_DAY, description="A date between 2000-01-01 and 2100-12-31"),
]
"""A date the network can record: 2000-01-01 to 2100-12-31."""

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="Rows to skip")]
PersonRefQuery = Annotated[
    str | None, Query(pattern=r"^[0-9a-f]{64}$", description="Only this person's (person_ref)")
]

READ_TIMEOUT_MS = 5_000
"""Longest a read endpoint's query may run before it is cancelled (503)."""


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first."""

    items: list[T]
    total: int
    limit: int
    offset: int


def from_state(name: str, kind: type[T]) -> Callable[[Request], T]:
    """A dependency returning ``app.state.<name>`` (set by the service's wiring at start)."""

    def dependency(request: Request) -> T:
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
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        yield conn


def model_of(model: type[BaseModel], row: Any) -> Any:
    """A response model from a database row, taking only the model's fields."""
    values = dict(row)
    return model.model_validate({k: v for k, v in values.items() if k in model.model_fields})
