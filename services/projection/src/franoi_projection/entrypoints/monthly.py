"""``GET /v1/<axis>/monthly?from=&to=&partner_id=&region=``: the partner-by-month views,
for consortium analysts, generated from their lists of catalogue figures
(:data:`franoi_projection.domain.monthly.VIEWS`): the answer's models, their field
descriptions and the counters read all come from the catalogue. Counts only, never a
person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from franoi_common.api import read_only
from pydantic import BaseModel, Field, create_model

from franoi_projection.domain.indicators import BY_ID, MIN_SCORED
from franoi_projection.domain.monthly import (
    VIEWS,
    Counters,
    Figure,
    Group,
    MonthlyView,
    Share,
    rows,
)
from franoi_projection.domain.months import month_label
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import analyst
from franoi_projection.queries import counters, directory


class RateOut(BaseModel):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator; null when it is 0")


def _described(figure: Figure | Share) -> str:
    indicator = BY_ID[figure.indicator]
    if isinstance(figure, Share):
        return f"{indicator.label.en}, with its parts (indicator {indicator.id})"
    if figure.ended:
        ended = BY_ID[figure.ended]
        return (
            f"Under way at some time in the month: {indicator.label.en} at its end plus"
            f" {ended.label.en} in it (indicators {indicator.id} + {ended.id})"
        )
    if figure.breakdown:
        return f"{indicator.label.en}, by value (indicator {indicator.id})"
    if indicator.is_score:
        return (
            f"{indicator.label.en}: the month's mean, 1 to 5; null under {MIN_SCORED} stays"
            f" visited (indicator {indicator.id})"
        )
    return f"{indicator.label.en}, in the month (indicator {indicator.id})"


def _field(figure: Figure | Share) -> tuple[Any, Any]:
    indicator = BY_ID[figure.indicator]
    if isinstance(figure, Share):
        kind: Any = RateOut
    elif figure.breakdown:
        kind = dict[str, int]
    elif indicator.is_score:
        kind = float | None
    else:
        kind = int
    return kind, Field(description=_described(figure))


def _models(view: MonthlyView) -> type[BaseModel]:
    """The view's answer model: ``first_month``, ``last_month`` and its rows."""
    fields: dict[str, Any] = {"partner_id": (str, ...), "region": (str, ...), "month": (str, ...)}
    for item in view.fields:
        if isinstance(item, Group):
            nested = create_model(  # type: ignore[call-overload]
                f"{item.name.capitalize()}Out", **{f.name: _field(f) for f in item.figures}
            )
            fields[item.name] = (nested, ...)
        else:
            fields[item.name] = _field(item)
    row = create_model(f"{view.title}MonthOut", **fields)
    answer: type[BaseModel] = create_model(
        f"{view.title}MonthlyOut",
        first_month=(str, ...),
        last_month=(str, ...),
        rows=(list[row], ...),
    )
    return answer


def _add(router: APIRouter, view: MonthlyView) -> None:
    answer = _models(view)
    indicators = view.indicators
    ids = [i.id for i in indicators]
    stocks = [i.id for i in indicators if i.stock]

    async def monthly(pool: params.Pool, months: params.Period, where: params.Scope) -> Any:
        first, last, partner_id, region = months.first, months.last, where.partner_id, where.region
        async with read_only(pool) as conn:
            partners = await directory.directory(conn, partner_id, region)
            sums = await counters.by_partner_and_month(
                conn, ids, view.splits, stocks, first, last, partner_id, region
            )
        found = rows(view, partners, Counters.of(sums), first, last)
        return {"first_month": month_label(first), "last_month": month_label(last), "rows": found}

    monthly.__doc__ = view.summary
    router.add_api_route(
        f"/{view.axis}/monthly",
        monthly,
        methods=["GET"],
        response_model=answer,
        tags=[view.axis],
        name=f"{view.axis}_monthly",
    )


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(analyst)])
    for view in VIEWS:
        _add(router, view)
    return router
