"""The network's cases view: persons registered and individual plans per partner and month.

Consortium analysts only, like the housing view; counts only, never a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query
from franoi_common.api import from_state, read_only
from franoi_common.auth import CONSORTIUM, Principal, Role, require_roles
from pydantic import BaseModel

from franoi_projection.adapters import cases_views
from franoi_projection.domain.months import InvalidPeriod, month_label, period


class CasesMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    persons_registered: int
    plans_opened: int
    active_plans: int
    """Plans open at some time during the month."""
    plans_closed: int
    closed_by_outcome: dict[str, int]
    autonomy_reached: int
    """Persons whose plan closed in the month with autonomy reached."""


class CasesMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[CasesMonthOut]


def _analyst(
    principal: Annotated[Principal, Depends(require_roles(Role.CONSORTIUM_ANALYST))],
) -> Principal:
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


def build_cases_router() -> APIRouter:
    """``GET /v1/cases/monthly``; it reaches the pool through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(_analyst)])

    @router.get("/cases/monthly", response_model=CasesMonthlyOut, tags=["cases"])
    async def cases_monthly(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Any:
        """Individual plans per partner and month: persons registered, plans opened,
        active during the month and closed (by outcome), persons who reached autonomy."""
        try:
            first, last = period(first_month, last_month, dt.date.today())
        except InvalidPeriod as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        async with read_only(pool) as conn:
            rows = await cases_views.cases_monthly(conn, first, last, partner_id, region)
        return CasesMonthlyOut(
            first_month=month_label(first),
            last_month=month_label(last),
            rows=[CasesMonthOut.model_validate(r) for r in rows],
        )

    return router
