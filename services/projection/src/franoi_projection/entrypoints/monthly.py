"""What every partner-by-month network view shares: who may read it, its parameters,
and the endpoint answering ``GET /v1/<domain>/monthly?from=&to=&partner_id=&region=``.

A domain's view module declares its row and answer models and the query (see
:mod:`franoi_projection.adapters.monthly`); :func:`add_monthly_view` adds its endpoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query
from franoi_common.api import from_state, read_only
from franoi_common.auth import CONSORTIUM, Principal, Role, require_roles
from pydantic import BaseModel

from franoi_projection.domain.months import InvalidPeriod, month_label, period

MonthlyView = Callable[
    [asyncpg.Connection, dt.date, dt.date, str | None, str | None],
    Awaitable[list[dict[str, Any]]],
]
"""A view's query: rows per partner and month from the first to the last month."""


def analyst(
    principal: Annotated[Principal, Depends(require_roles(Role.CONSORTIUM_ANALYST))],
) -> Principal:
    """The caller, when a consortium analyst: network views are for the consortium only."""
    if principal.partner_id != CONSORTIUM:
        raise HTTPException(403, detail="network views are for the consortium")
    return principal


Month = Annotated[
    str | None,
    Query(
        pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="YYYY-MM, from 2000-01 to 2100-12",
    ),
]
Pool = Annotated[asyncpg.Pool, Depends(from_state("pool", asyncpg.Pool))]


def analyst_router() -> APIRouter:
    """A router under ``/v1`` whose every route is for consortium analysts only."""
    return APIRouter(prefix="/v1", dependencies=[Depends(analyst)])


def add_monthly_view(
    router: APIRouter,
    path: str,
    view: MonthlyView,
    answer: type[BaseModel],
    *,
    name: str,
    tag: str,
    doc: str,
) -> None:
    """Add ``GET path`` answering ``answer`` (``first_month``, ``last_month`` and the
    ``rows`` of ``view``) for the period asked (422 when it is not a valid period)."""

    async def monthly(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Any:
        try:
            first, last = period(first_month, last_month, dt.date.today())
        except InvalidPeriod as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        async with read_only(pool) as conn:
            rows = await view(conn, first, last, partner_id, region)
        return answer.model_validate(
            {"first_month": month_label(first), "last_month": month_label(last), "rows": rows}
        )

    monthly.__doc__ = doc
    router.add_api_route(
        path, monthly, methods=["GET"], response_model=answer, tags=[tag], name=name
    )
