"""The network employment view for consortium analysts: partner x month counts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from franoi_common.api import read_only
from pydantic import BaseModel

from franoi_projection.adapters import employment_views
from franoi_projection.domain.months import InvalidPeriod, month_label, period
from franoi_projection.entrypoints.api import Month, Pool, _analyst


class EmploymentMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    consultations: int
    consultations_by_topic: dict[str, int]
    persons_consulted: int
    group_activities_held_by_kind: dict[str, int]
    participants_by_kind: dict[str, int]
    training_enrolments: int
    training_completions: int
    training_dropouts: int
    internships_started: int
    internships_ended_by_outcome: dict[str, int]
    hires: int
    hires_by_contract_type: dict[str, int]
    hires_after_internship: int
    persons_hired: int


class EmploymentMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[EmploymentMonthOut]


def build_employment_router() -> APIRouter:
    """The employment view; it reaches the pool through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(_analyst)])

    @router.get("/employment/monthly", response_model=EmploymentMonthlyOut, tags=["employment"])
    async def employment_monthly(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Any:
        """Employment KPIs per partner and month: consultations by topic and persons
        consulted, group activities held and their participants by kind, training
        enrolments, completions and dropouts, internships started and ended by outcome
        (``pending`` until recorded), hires by contract type, hires after an internship and
        distinct persons hired."""
        try:
            first, last = period(first_month, last_month, dt.date.today())
        except InvalidPeriod as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        async with read_only(pool) as conn:
            rows = await employment_views.employment_monthly(conn, first, last, partner_id, region)
        return EmploymentMonthlyOut(
            first_month=month_label(first),
            last_month=month_label(last),
            rows=[EmploymentMonthOut.model_validate(r) for r in rows],
        )

    return router
