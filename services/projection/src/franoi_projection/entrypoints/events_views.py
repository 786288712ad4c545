"""The network view of community events (``/v1/events/monthly``), for consortium analysts.

Counts only: events held, attendances, labs, hubs open and walk-in accesses per
partner and month (see :mod:`franoi_projection.adapters.events_views` for what
each figure counts). No title, hub name or person is shown.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from franoi_projection.adapters import events_views
from franoi_projection.entrypoints.monthly import add_monthly_view, analyst_router


class EventsMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    events_held: int
    events_held_by_kind: dict[str, int]
    events_cancelled: int
    participants: int
    beneficiaries: int
    volunteers: int
    lab_sessions_held: int
    lab_session_participants: int
    labs_active: int
    labs_completed: int
    lab_distinct_participants: int
    hubs_open: int
    accesses: int
    accesses_by_topic: dict[str, int]
    accesses_referred: int
    accesses_referred_by_topic: dict[str, int]
    persons_known: int


class EventsMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[EventsMonthOut]


def build_events_router() -> APIRouter:
    """The community-events network view; it reaches the pool through ``app.state``."""
    router = analyst_router()

    add_monthly_view(
        router,
        "/events/monthly",
        events_views.events_monthly,
        EventsMonthlyOut,
        name="events_monthly",
        tag="events",
        doc="""Community figures per partner and month: events held (by kind) and cancelled,
        participants, beneficiaries and volunteers, lab sessions, active and completed labs
        with their distinct participants, hubs open, walk-in accesses by topic and referred.""",
    )

    return router
