"""The network's cases view: persons registered and individual plans per partner and month.

Consortium analysts only, like the housing view; counts only, never a person.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from franoi_projection.adapters import cases_views
from franoi_projection.entrypoints.monthly import add_monthly_view, analyst_router


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


def build_cases_router() -> APIRouter:
    """``GET /v1/cases/monthly``; it reaches the pool through ``app.state``."""
    router = analyst_router()

    add_monthly_view(
        router,
        "/cases/monthly",
        cases_views.cases_monthly,
        CasesMonthlyOut,
        name="cases_monthly",
        tag="cases",
        doc="""Individual plans per partner and month: persons registered, plans opened,
        active during the month and closed (by outcome), persons who reached autonomy.""",
    )

    return router
