"""The network family-hosting view for the consortium (partner-by-month)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query
from franoi_common.api import from_state, read_only
from franoi_common.auth import CONSORTIUM, Principal, Role, require_roles
from pydantic import BaseModel, Field

from franoi_projection.adapters import hosting_views
from franoi_projection.domain.months import InvalidPeriod, month_label, period


class RateOut(BaseModel):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator; null when it is 0")


class WellbeingOut(BaseModel):
    stays_visited: int = Field(description="Stays with at least one visit in the month")
    guest_average: float | None = Field(
        description="Mean over visited stays of each stay's mean guest score (1-5); "
        f"null under {hosting_views.MIN_STAYS_FOR_WELLBEING} stays visited"
    )
    family_average: float | None


class HostingMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    families_applied: int
    families_approved: int
    families_active: int = Field(description="Approved, not paused or withdrawn at month end")
    requests_submitted: int
    requests_submitted_by_kind: dict[str, int]
    requests_satisfied: int = Field(description="Closed as satisfied in the month")
    requests_unsatisfied: int
    requests_satisfaction: RateOut = Field(
        description="Of the requests submitted in the month, how many are satisfied by now"
    )
    matches_proposed: int
    matches_accepted: int
    stays_started: int
    stays_active: int = Field(description="Stays under way at some point in the month")
    stays_ended_by_outcome: dict[str, int]
    wellbeing: WellbeingOut


class HostingMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[HostingMonthOut]


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


def build_hosting_router() -> APIRouter:
    """The network hosting view; it reaches the pool through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(_analyst)])

    @router.get("/hosting/monthly", response_model=HostingMonthlyOut, tags=["hosting"])
    async def hosting_monthly(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Any:
        """Family-hosting KPIs per partner and month: families applied, approved and
        active, family-axis requests submitted and satisfied (with the satisfaction
        rate's numerator and denominator), matches proposed and accepted, stays
        started, active and ended by outcome, average wellbeing (from 5 stays up)."""
        try:
            first, last = period(first_month, last_month, dt.date.today())
        except InvalidPeriod as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        async with read_only(pool) as conn:
            rows = await hosting_views.hosting_monthly(conn, first, last, partner_id, region)
        return HostingMonthlyOut(
            first_month=month_label(first),
            last_month=month_label(last),
            rows=[HostingMonthOut.model_validate(r) for r in rows],
        )

    return router
