"""The network employment view for consortium analysts: partner x month counts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from franoi_projection.adapters import employment_views
from franoi_projection.entrypoints.monthly import add_monthly_view, analyst_router


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
    router = analyst_router()

    add_monthly_view(
        router,
        "/employment/monthly",
        employment_views.employment_monthly,
        EmploymentMonthlyOut,
        name="employment_monthly",
        tag="employment",
        doc="""Employment KPIs per partner and month: consultations by topic and persons
        consulted, group activities held and their participants by kind, training
        enrolments, completions and dropouts, internships started and ended by outcome
        (``pending`` until recorded), hires by contract type, hires after an internship and
        distinct persons hired.""",
    )

    return router
