"""``GET /v1/network/journeys/summary``: what the pseudonymous journeys add up to.

For consortium analysts only, and only as counts: persons by the axes their journeys
touched, the distribution of the time from first contact to first hire (median and
quartiles in days) and the outcome indicators over the period. There is deliberately no
endpoint returning one person's journey: a ``person_ref`` can be recomputed from a
document number by every partner, so a journey by reference would let one partner read
where a person went at the others (docs/network-views.md, "Journeys").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from franoi_common.api import read_only
from pydantic import BaseModel, Field

from franoi_projection.domain import journeys
from franoi_projection.domain.indicators import CATALOGUE
from franoi_projection.domain.months import month_label
from franoi_projection.domain.views import ratio, stock_or_flow
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import analyst
from franoi_projection.queries import counters
from franoi_projection.queries import journeys as journey_sums

OUTCOMES = [i for i in CATALOGUE if i.axis == "journeys"]


class AxesOut(BaseModel):
    axes: list[str] = Field(description="The axes touched, in alphabetical order")
    persons: int


class OutcomeOut(BaseModel):
    indicator_id: str
    label: str
    unit: str
    value: int | float | None = Field(description="a rate is a fraction 0..1 (null: 0 / 0)")


class HireTimeOut(BaseModel):
    persons: int = Field(description="Persons first hired in the period")
    median_days: float | None
    first_quartile_days: float | None
    third_quartile_days: float | None


class JourneysSummaryOut(BaseModel):
    first_month: str
    last_month: str
    persons: int = Field(description="Persons whose first contact is in the period")
    by_axes: list[AxesOut] = Field(description="Those persons by the axes their journey touched")
    by_number_of_axes: dict[str, int]
    time_to_first_hire: HireTimeOut
    outcomes: list[OutcomeOut]


def _quartile(distribution: dict[int, int], share: float) -> float | None:
    """The value below which ``share`` of the persons fall (nearest rank)."""
    total = sum(distribution.values())
    if not total:
        return None
    rank = max(1, round(share * total))
    seen = 0
    for days in sorted(distribution):
        seen += distribution[days]
        if seen >= rank:
            return float(days)
    return None


def build_router() -> APIRouter:
    """``/v1/network/journeys/...``, for consortium analysts."""
    router = APIRouter(
        prefix="/v1/network", tags=["network views"], dependencies=[Depends(analyst)]
    )

    @router.get("/journeys/summary", response_model=JourneysSummaryOut, name="journeys_summary")
    async def summary(
        pool: params.Pool,
        months: params.Period,
        where: params.Scope,
        lang: params.Lang = "it",
    ) -> Any:
        """Persons by the axes their journeys touched (first contact in the period), the
        median time from first contact to first hire, and the outcome indicators."""
        first, last, partner_id, region = months.first, months.last, where.partner_id, where.region
        async with read_only(pool) as conn:
            by_axes = await journey_sums.persons_by_axes(conn, first, last, partner_id, region)
            days = await journey_sums.days_to_first_hire(conn, first, last, partner_id, region)
            sums = await counters.totals(conn, first, last, partner_id, region)
        outcomes = []
        for indicator in OUTCOMES:
            value: int | float | None
            if indicator.is_rate:
                assert indicator.numerator and indicator.denominator
                value = ratio(
                    sums.get(indicator.numerator, (0, 0))[0],
                    sums.get(indicator.denominator, (0, 0))[0],
                )
            else:
                value = stock_or_flow(indicator, sums)
            outcomes.append(
                OutcomeOut(
                    indicator_id=indicator.id,
                    label=indicator.label(lang),
                    unit=indicator.unit.value,
                    value=value,
                )
            )
        by_number: dict[str, int] = {}
        for key, n in by_axes.items():
            count = str(len(journeys.axes_of(key)))
            by_number[count] = by_number.get(count, 0) + n
        return JourneysSummaryOut(
            first_month=month_label(first),
            last_month=month_label(last),
            persons=sum(by_axes.values()),
            by_axes=[
                AxesOut(axes=journeys.axes_of(key), persons=n)
                for key, n in sorted(by_axes.items(), key=lambda item: (-item[1], item[0]))
            ],
            by_number_of_axes=dict(sorted(by_number.items())),
            time_to_first_hire=HireTimeOut(
                persons=sum(days.values()),
                median_days=journeys.median_days(days),
                first_quartile_days=_quartile(days, 0.25),
                third_quartile_days=_quartile(days, 0.75),
            ),
            outcomes=outcomes,
        )

    return router
