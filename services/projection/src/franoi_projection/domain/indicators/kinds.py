"""The kinds of indicator, as the axis modules define them: a flow, a stock, a rate, a
score."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ParamSpec

from .model import (
    ALL_DIMENSIONS,
    PLACE_AND_TIME,
    SCORE_SCALE,
    By,
    Indicator,
    Source,
    Split,
    Text,
    Unit,
)

P = ParamSpec("P")


def flow(
    id: str,
    axis: str,
    label: Text,
    description: Text,
    unit: Unit,
    counts: str,
    *sources: Source,
    by: tuple[By, ...] = ALL_DIMENSIONS,
    split: Split | None = None,
) -> Indicator:
    """A flow: the sum of its sources' amounts over the months of a period."""
    return Indicator(
        id, axis, label, description, unit, counts, sources, disaggregations=by, split=split
    )


def _stock_of(make: Callable[P, Indicator]) -> Callable[P, Indicator]:
    def stock(*args: P.args, **kwargs: P.kwargs) -> Indicator:
        return replace(make(*args, **kwargs), stock=True)

    return stock


stock = _stock_of(flow)
"""A stock: its value at the end of the period's last month (its sources add and remove: a
unit counts from the month it is available until the month it is withdrawn)."""


def open_at_end(
    id: str,
    axis: str,
    texts: tuple[Text, Text],
    unit: Unit,
    counts: str,
    table: str,
    since: str,
    until: str,
    by: tuple[By, ...] = PLACE_AND_TIME,
) -> Indicator:
    """A stock of the rows of ``table`` begun (``since``) and not ended (``until``) by the end
    of the period: each counts from the month it begins until the month it ends."""
    label, description = texts
    begun, ended = Source(table, since), Source(table, until, amount="-1")
    return stock(id, axis, label, description, unit, counts, begun, ended, by=by)


_ONCE_A_MONTH = Text(
    " Conta una volta al mese; sommati sui mesi di un periodo, una volta per ogni mese.",
    " Counts once a month; added up over the months of a period, once for each month.",
)


def distinct(
    id: str, axis: str, label: Text, description: Text, unit: Unit, counts: str, source: Source
) -> Indicator:
    """How many different groups (persons, labs, stays) ``source`` finds in the month."""
    text = Text(description.it + _ONCE_A_MONTH.it, description.en + _ONCE_A_MONTH.en)
    return flow(id, axis, label, text, unit, counts, source, by=PLACE_AND_TIME)


def rate(
    id: str,
    axis: str,
    label: Text,
    description: Text,
    counts: str,
    numerator: str,
    over: str,
    *,
    by: tuple[By, ...] = ALL_DIMENSIONS,
) -> Indicator:
    """A share: ``numerator`` over ``over`` (both flows), for the same period and scope."""
    return Indicator(
        id,
        axis,
        label,
        description,
        Unit.RATE,
        counts,
        numerator=numerator,
        denominator=over,
        disaggregations=by,
    )


def score(
    id: str, axis: str, label: Text, description: Text, counts: str, source: Source, per: str
) -> Indicator:
    """A mean (1 to 5) of what ``source`` gives each group of rows in a month (its
    ``amount``, the SQL of the group's mean), over the flow ``per`` (how many groups); shown
    in its partner-by-month view only, from ``MIN_SCORED`` up."""
    return Indicator(
        id,
        axis,
        label,
        description,
        Unit.SCORE,
        counts,
        (replace(source, amount=f"round({source.amount} * {SCORE_SCALE})"),),
        denominator=per,
        disaggregations=PLACE_AND_TIME,
        network=False,
    )
