"""The network read API for the consortium (OpenAPI at ``/openapi.json``).

Only consortium analysts (token ``partner_id: consortium``) read the network
views; they show counts and pseudonymous aggregates, never a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from franoi_common.api import Limit, Offset, read_only
from franoi_common.consumer import REPORT_EVERY_S
from pydantic import BaseModel, Field

from franoi_projection.adapters import read_models
from franoi_projection.entrypoints.monthly import Pool, add_monthly_view, analyst_router


class PartnerOut(BaseModel):
    partner_id: str
    name: str
    region: str
    province: str


class HousingMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    requests_submitted: int
    requests_satisfied: int
    requests_unsatisfied: int
    placements_started: int
    active_placements: int
    persons_housed: int
    beds_available: int
    exits_by_outcome: dict[str, int]


class HousingMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[HousingMonthOut]


class ConsumerInstanceOut(BaseModel):
    instance_id: str = Field(description="The consumer's host and process")
    group_id: str
    started_at: dt.datetime
    reported_at: dt.datetime = Field(description="Its last report (every 15 s at least)")
    processed_since_start: int
    duplicates_since_start: int
    dead_lettered_since_start: int
    assigned_partitions: int
    last_error: str | None = Field(description="Why its last round failed; null when it works")


class ConsumerStatusOut(BaseModel):
    events_processed: int
    last_processed_at: dt.datetime | None
    dead_letters: int
    processed_since_start: int = Field(description="Summed over the consumers reporting")
    duplicates_since_start: int
    dead_lettered_since_start: int
    assigned_partitions: int = Field(description="Held by the consumers reporting")
    consumers: list[ConsumerInstanceOut] = Field(
        description="Every consumer that reported in the last 45 s, in whatever process it"
        " runs (the API's own, or a consume worker of its own)"
    )


class DeadLetterOut(BaseModel):
    id: int
    topic: str
    kafka_partition: int
    kafka_offset: int
    event_id: str | None
    event_type: str | None
    reason: str
    dead_lettered_at: dt.datetime


LIVE_REPORT_S = 3 * REPORT_EVERY_S
"""A consumer that has not reported for this long is not counted (stopped, or stalled)."""


def build_router() -> APIRouter:
    """The network API; it reaches the pool and the consumer through ``app.state``."""
    router = analyst_router()

    @router.get("/partners", response_model=list[PartnerOut], tags=["network"])
    async def list_partners(pool: Pool) -> Any:
        async with read_only(pool) as conn:
            return await read_models.partners(conn)

    add_monthly_view(
        router,
        "/housing/monthly",
        read_models.housing_monthly,
        HousingMonthlyOut,
        name="housing_monthly",
        tag="housing",
        doc="""Housing KPIs per partner and month: requests submitted, satisfied and
        unsatisfied, placements started and active, persons housed, beds available
        at month end, exits by outcome.""",
    )

    @router.get("/consumer/status", response_model=ConsumerStatusOut, tags=["operations"])
    async def consumer_status(pool: Pool) -> Any:
        async with read_only(pool) as conn:
            stored = await read_models.consumer_status(conn)
            consumers = await read_models.consumer_reports(conn, LIVE_REPORT_S)
        return ConsumerStatusOut(
            **stored,
            processed_since_start=sum(c["processed_since_start"] for c in consumers),
            duplicates_since_start=sum(c["duplicates_since_start"] for c in consumers),
            dead_lettered_since_start=sum(c["dead_lettered_since_start"] for c in consumers),
            assigned_partitions=sum(c["assigned_partitions"] for c in consumers),
            consumers=consumers,
        )

    @router.get("/dead-letters", response_model=list[DeadLetterOut], tags=["operations"])
    async def list_dead_letters(pool: Pool, limit: Limit = 50, offset: Offset = 0) -> Any:
        async with read_only(pool) as conn:
            return await read_models.dead_letters(conn, limit, offset)

    return router
