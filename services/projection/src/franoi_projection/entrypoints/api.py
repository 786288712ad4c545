"""The network read API for the consortium (OpenAPI at ``/openapi.json``).

Only consortium analysts (token ``partner_id: consortium``) read the network
views; they show counts and pseudonymous aggregates, never a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from franoi_common.api import Limit, Offset, from_state, read_only
from franoi_common.consumer import IdempotentConsumer
from pydantic import BaseModel

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


class ConsumerStatusOut(BaseModel):
    events_processed: int
    last_processed_at: dt.datetime | None
    dead_letters: int
    processed_since_start: int
    duplicates_since_start: int
    dead_lettered_since_start: int
    assigned_partitions: int


class DeadLetterOut(BaseModel):
    id: int
    topic: str
    kafka_partition: int
    kafka_offset: int
    event_id: str | None
    event_type: str | None
    reason: str
    dead_lettered_at: dt.datetime


Consumer = Annotated[IdempotentConsumer, Depends(from_state("consumer", IdempotentConsumer))]


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
    async def consumer_status(pool: Pool, consumer_stats: Consumer) -> Any:
        async with read_only(pool) as conn:
            stored = await read_models.consumer_status(conn)
        return ConsumerStatusOut(
            **stored,
            processed_since_start=consumer_stats.processed,
            duplicates_since_start=consumer_stats.duplicates,
            dead_lettered_since_start=consumer_stats.dead_lettered,
            assigned_partitions=len(consumer_stats.assigned),
        )

    @router.get("/dead-letters", response_model=list[DeadLetterOut], tags=["operations"])
    async def list_dead_letters(pool: Pool, limit: Limit = 50, offset: Offset = 0) -> Any:
        async with read_only(pool) as conn:
            return await read_models.dead_letters(conn, limit, offset)

    return router
