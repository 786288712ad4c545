"""The network family-hosting view for the consortium (partner-by-month)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from franoi_projection.adapters import hosting_views
from franoi_projection.entrypoints.monthly import add_monthly_view, analyst_router


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


def build_hosting_router() -> APIRouter:
    """The network hosting view; it reaches the pool through ``app.state``."""
    router = analyst_router()

    add_monthly_view(
        router,
        "/hosting/monthly",
        hosting_views.hosting_monthly,
        HostingMonthlyOut,
        name="hosting_monthly",
        tag="hosting",
        doc="""Family-hosting KPIs per partner and month: families applied, approved and
        active, family-axis requests submitted and satisfied (with the satisfaction
        rate's numerator and denominator), matches proposed and accepted, stays
        started, active and ended by outcome, average wellbeing (from 5 stays up).""",
    )

    return router
