"""The network views built from monthly sums: key numbers and indicator tables.

Pure: the adapters fetch per-indicator sums from ``indicator_counts``; these functions
turn them into the answers (values, labels, display strings), suppressed when the answer
leaves the consortium.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from franoi_projection.domain.indicators import BY_ID, By, Indicator
from franoi_projection.domain.months import add_months
from franoi_projection.domain.suppression import (
    Mark,
    is_small,
    suppress_group,
    suppress_hierarchy,
    suppress_value,
)

SMALL = "<5"
HIDDEN = {"it": "n.d.", "en": "n/a"}


@dataclass(frozen=True)
class Sums:
    """One indicator's sums per key: over the period (``flow``) and over every month up to
    the period's end (``through_end``, the value of a stock)."""

    flow: Mapping[str, int]
    through_end: Mapping[str, int]


MonthlySums = Mapping[str, Mapping[dt.date, int]]
"""Indicator id → month → the month's sum (every month up to the period's end)."""


def format_count(value: int, lang: str) -> str:
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", ".")


def format_rate(value: float, lang: str) -> str:
    return f"{round(value * 100)}%"


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _display(mark: Mark, value: int | float | None, rate: bool, lang: str) -> str:
    if mark is Mark.PRIMARY and not rate:
        return SMALL
    if mark is not Mark.PUBLISHED or value is None:
        return HIDDEN[lang] if mark is not Mark.PUBLISHED else "-"
    return format_rate(value, lang) if rate else format_count(int(value), lang)


def _cell(mark: Mark, value: int | float | None, rate: bool, lang: str) -> dict[str, Any]:
    shown = value if mark is Mark.PUBLISHED else None
    return {"value": shown, "display": _display(mark, value, rate, lang)}


def stock_or_flow(indicator: Indicator, totals: Mapping[str, tuple[int, int]]) -> int:
    flow, through_end = totals.get(indicator.id, (0, 0))
    return through_end if indicator.stock else flow


NETWORK = "network"


def scope_node(partner_id: str | None, region: str | None) -> str:
    """The figure of the network → regions → partners hierarchy an answer is about."""
    if partner_id:
        return f"partner:{partner_id}"
    return f"region:{region}" if region else NETWORK


@dataclass(frozen=True)
class Hierarchy:
    """For answers that leave the consortium: the mark of every figure of the network, its
    regions and their partners, decided together (per indicator) so that asking a region
    and then each of its partners separately cannot pin a suppressed figure down."""

    marks: Mapping[str, Mapping[str, Mark]]

    def mark(self, indicator_id: str, node: str) -> Mark:
        return self.marks.get(indicator_id, {}).get(node, Mark.PUBLISHED)


def hierarchy(
    indicators: Sequence[Indicator],
    regions: Mapping[str, str],
    per_partner: Mapping[str, Mapping[str, tuple[int, int]]],
) -> Hierarchy:
    """The marks of the counts among ``indicators`` (rates follow their parts)."""
    by_region: dict[str, list[str]] = {}
    for partner, region in sorted(regions.items()):
        by_region.setdefault(f"region:{region}", []).append(f"partner:{partner}")
    groups = [(NETWORK, sorted(by_region)), *sorted(by_region.items())]
    marks: dict[str, Mapping[str, Mark]] = {}
    for indicator in indicators:
        if indicator.is_rate:
            continue
        values = {f"partner:{p}": stock_or_flow(indicator, per_partner.get(p, {})) for p in regions}
        for parent, children in reversed(groups):
            values[parent] = sum(values[c] for c in children)
        if any(is_small(v) for v in values.values()):
            marks[indicator.id] = suppress_hierarchy(values, groups)
    return Hierarchy(marks)


def scope_totals(
    regions: Mapping[str, str],
    per_partner: Mapping[str, Mapping[str, tuple[int, int]]],
    partner_id: str | None,
    region: str | None,
) -> dict[str, tuple[int, int]]:
    """The network's, a region's or a partner's sums, added up from every partner's."""
    totals: dict[str, tuple[int, int]] = {}
    for partner, sums in per_partner.items():
        if (partner_id and partner != partner_id) or (region and regions.get(partner) != region):
            continue
        for indicator_id, (flow, through_end) in sums.items():
            old_flow, old_end = totals.get(indicator_id, (0, 0))
            totals[indicator_id] = (old_flow + flow, old_end + through_end)
    return totals


def key_numbers(
    indicators: Sequence[Indicator],
    totals: Mapping[str, tuple[int, int]],
    lang: str,
    suppressed: bool,
    across: Hierarchy | None = None,
    node: str = NETWORK,
) -> list[dict[str, Any]]:
    """The key-number rows from ``indicator id → (flow, through_end)``; suppressed with
    the marks of ``across`` (the hierarchy the answer is part of) when given."""

    def mark_of(indicator: Indicator, value: int) -> Mark:
        if not suppressed:
            return Mark.PUBLISHED
        return across.mark(indicator.id, node) if across else suppress_value(value)

    rows = []
    for indicator in indicators:
        row: dict[str, Any] = {
            "indicator_id": indicator.id,
            "axis": indicator.axis,
            "label": indicator.label(lang),
            "unit": indicator.unit.value,
            "numerator": None,
            "denominator": None,
        }
        if indicator.is_rate:
            assert indicator.numerator and indicator.denominator
            num = stock_or_flow(BY_ID[indicator.numerator], totals)
            den = stock_or_flow(BY_ID[indicator.denominator], totals)
            num_mark = mark_of(BY_ID[indicator.numerator], num)
            den_mark = mark_of(BY_ID[indicator.denominator], den)
            mark = Mark.PUBLISHED if num_mark is den_mark is Mark.PUBLISHED else Mark.COMPLEMENT
            row.update(_cell(mark, ratio(num, den), True, lang))
            row["numerator"] = num if num_mark is Mark.PUBLISHED else None
            row["denominator"] = den if den_mark is Mark.PUBLISHED else None
        else:
            value = stock_or_flow(indicator, totals)
            mark = mark_of(indicator, value)
            row.update(_cell(mark, value, False, lang))
        rows.append(row)
    return rows


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def _count_values(
    indicator: Indicator,
    by: By,
    keys: Sequence[str],
    sums: Sums | None,
    monthly: Mapping[dt.date, int] | None,
    first: dt.date,
    last: dt.date,
) -> tuple[list[int], int, bool]:
    """The values of a count indicator per key, its total, and whether they add up to it."""
    if by is By.MONTH:
        assert monthly is not None
        months = months_between(first, last)
        if indicator.stock:
            running = sum(n for m, n in monthly.items() if m < first)
            values = []
            for month in months:
                running += monthly.get(month, 0)
                values.append(running)
            return values, values[-1], False
        values = [monthly.get(m, 0) for m in months]
        return values, sum(values), True
    assert sums is not None
    source = sums.through_end if indicator.stock else sums.flow
    values = [source.get(k, 0) for k in keys]
    return values, sum(values), True


def table(
    indicator: Indicator,
    by: By,
    keys: Sequence[tuple[str, str]],
    sums: Mapping[str, Sums],
    monthly: MonthlySums,
    first: dt.date,
    last: dt.date,
    lang: str,
    suppressed: bool,
    across: Hierarchy | None = None,
    node: str = NETWORK,
) -> dict[str, Any]:
    """An indicator broken down ``by`` the given keys ``(key, label)``, with its total.
    Suppressed, a table by partner or region takes the marks of ``across`` (its cells and
    total are figures of that hierarchy); any other table whose total the hierarchy hides
    hides every count, since its cells would add up to that total."""
    key_ids = [k for k, _ in keys]

    def counts(ind: Indicator) -> tuple[list[int], int, list[Mark], Mark]:
        values, total, additive = _count_values(
            ind, by, key_ids, sums.get(ind.id), monthly.get(ind.id, {}), first, last
        )
        if not suppressed:
            return values, total, [Mark.PUBLISHED] * len(values), Mark.PUBLISHED
        if across is not None and by in (By.PARTNER, By.REGION):
            prefix = "partner:" if by is By.PARTNER else "region:"
            cells = [across.mark(ind.id, prefix + k) for k in key_ids]
            return values, total, cells, across.mark(ind.id, node)
        marks = suppress_group(values, total if additive else None)
        total_mark = marks.total if additive else suppress_value(total)
        cells = list(marks.cells)
        if across is not None and across.mark(ind.id, node) is not Mark.PUBLISHED:
            total_mark = across.mark(ind.id, node)
            cells = [Mark.COMPLEMENT if m is Mark.PUBLISHED and v > 0 else m
                     for v, m in zip(values, cells, strict=True)]  # fmt: skip
        return values, total, cells, total_mark

    rows: list[dict[str, Any]] = []
    if indicator.is_rate:
        assert indicator.numerator and indicator.denominator
        nums, num_total, num_marks, num_total_mark = counts(BY_ID[indicator.numerator])
        dens, den_total, den_marks, den_total_mark = counts(BY_ID[indicator.denominator])
        for i, (key, label) in enumerate(keys):
            published = num_marks[i] is den_marks[i] is Mark.PUBLISHED
            mark = Mark.PUBLISHED if published else Mark.COMPLEMENT
            rows.append(
                {"key": key, "label": label, **_cell(mark, ratio(nums[i], dens[i]), True, lang)}
            )
        total_published = num_total_mark is den_total_mark is Mark.PUBLISHED
        total_mark = Mark.PUBLISHED if total_published else Mark.COMPLEMENT
        total = _cell(total_mark, ratio(num_total, den_total), True, lang)
    else:
        values, count_total, marks, count_total_mark = counts(indicator)
        for (key, label), value, mark in zip(keys, values, marks, strict=True):
            rows.append({"key": key, "label": label, **_cell(mark, value, False, lang)})
        total = _cell(count_total_mark, count_total, False, lang)
    return {"rows": rows, "total": total}
