"""Monthly indicator counts kept up to date by the projection's own statements.

For each fact table the catalogue computes indicators from, two statements are generated
from the definitions: *retract* subtracts what the table's row for one aggregate currently
contributes to ``indicator_counts`` (every indicator, month and disaggregation), *assert*
adds what it contributes after the change. :func:`counted` wraps each event type's
statements of an aggregate with a fact row between the two, so any change to the row —
a new row, a correction, a closing, a duplicate that changes nothing — moves the counts
by exactly the difference. Each statement reads and writes only its own aggregate's row
and adds to counters, so the statements are correct for any order of different
aggregates and set-wise with ``executemany`` (retract all, change all, assert all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts.base import DomainEvent

from franoi_projection.domain.indicators import (
    CATALOGUE,
    FACT_TABLES,
    PERSON_DIMENSIONS,
    FactTable,
    Indicator,
)


def contributions(table: FactTable, catalogue: tuple[Indicator, ...], where: str) -> str:
    """A SELECT of the contributions ``(dimension, indicator_id, partner_id, month, key, n)``
    of the rows of ``table`` matching ``where`` (SQL over the alias ``t``)."""
    rows: list[str] = []
    for indicator in catalogue:
        disaggregated = bool(set(indicator.disaggregations) & set(PERSON_DIMENSIONS))
        for source in indicator.sources:
            if source.table != table.name:
                continue
            rows.append(
                f"('{indicator.id}', date_trunc('month', t.{source.month})::date,"
                f" CASE WHEN {source.when} THEN ({source.amount})::bigint END,"
                f" {'true' if disaggregated else 'false'})"
            )
    if not rows:
        raise ValueError(f"no indicator is computed from {table.name}")
    dimensions = ["('all', '')"]
    if table.person_columns:
        dimensions += [
            f"('{d.value}', CASE WHEN x.disaggregated THEN t.{d.value} END)"
            for d in PERSON_DIMENSIONS
        ]
    return (
        "SELECT d.dimension, x.indicator_id, t.partner_id, x.month, d.key, sum(x.n) AS n"  # noqa: S608
        f" FROM {table.name} t"
        f" CROSS JOIN LATERAL (VALUES {', '.join(rows)})"
        " AS x(indicator_id, month, n, disaggregated)"
        f" CROSS JOIN LATERAL (VALUES {', '.join(dimensions)}) AS d(dimension, key)"
        f" WHERE ({where})"
        " AND x.month IS NOT NULL AND x.n IS NOT NULL AND d.key IS NOT NULL"
        " GROUP BY d.dimension, x.indicator_id, t.partner_id, x.month, d.key"
    )


def contribution_sql(
    table: FactTable, sign: int, catalogue: tuple[Indicator, ...], *, many: bool = False
) -> str:
    """The upsert adding ``sign`` times one aggregate's contributions (``$1`` partner,
    ``$2`` the aggregate's key) or, ``many``, those of a group of aggregates at once
    (``$1`` the partners, ``$2`` the keys, as arrays): contributions add up, so one
    statement for the group equals one per aggregate."""
    where = (
        f"(t.partner_id, t.{table.key}) IN"  # noqa: S608 - names from the catalogue
        " (SELECT p, k FROM unnest($1::text[], $2::uuid[]) AS u(p, k))"
        if many
        else f"t.partner_id = $1 AND t.{table.key} = $2"
    )
    select = contributions(table, catalogue, where)
    return (
        "INSERT INTO indicator_counts AS c (dimension, indicator_id, partner_id, month, key, n)"  # noqa: S608
        f" SELECT dimension, indicator_id, partner_id, month, key, {sign} * n FROM ({select}) s"
        " ON CONFLICT (dimension, indicator_id, partner_id, month, key)"
        " DO UPDATE SET n = c.n + excluded.n"
    )


JOURNEYS_RECOUNT = (
    "SELECT dimension, indicator_id, partner_id, month, key, n FROM journey_contributions("
    "(SELECT coalesce(array_agg(DISTINCT person_ref), '{}') FROM journey_milestones))"
)
"""Every journey outcome recomputed from the facts (migration 009)."""


def recount_sql(catalogue: tuple[Indicator, ...] = CATALOGUE) -> str:
    """Every counter recomputed from the facts at once (for checks and rebuilds)."""
    parts = [
        contributions(t, catalogue, "true") for t in _tables_with_indicators(catalogue).values()
    ]
    if any(i.journey is not None for i in catalogue):
        parts.append(JOURNEYS_RECOUNT)
    return (
        "SELECT dimension, indicator_id, partner_id, month, key, sum(n) AS n"  # noqa: S608
        f" FROM ({' UNION ALL '.join(parts)}) u GROUP BY 1, 2, 3, 4, 5"
    )


def mismatches_sql(catalogue: tuple[Indicator, ...] = CATALOGUE) -> str:
    """The counters that differ from a recount of the facts (none, when all is well)."""
    return (
        f"SELECT dimension, indicator_id, partner_id, month, key,"  # noqa: S608
        f" coalesce(r.n, 0) AS recounted, coalesce(c.n, 0) AS counted"
        f" FROM ({recount_sql(catalogue)}) r"
        " FULL JOIN indicator_counts c USING (dimension, indicator_id, partner_id, month, key)"
        " WHERE coalesce(r.n, 0) <> coalesce(c.n, 0)"
    )


def _tables_with_indicators(catalogue: tuple[Indicator, ...]) -> dict[str, FactTable]:
    names = {s.table for i in catalogue for s in i.sources}
    return {name: FACT_TABLES[name] for name in sorted(names)}


def fact_tables_of(cls: type[DomainEvent], tables: dict[str, FactTable]) -> list[FactTable]:
    """The fact tables of the event's aggregate: the domain's tables keyed by the event's key."""
    return [
        table
        for table in tables.values()
        if table.name.startswith(cls.domain() + "_") and table.key == cls.KEY
    ]


def counted(
    projection: Projection, catalogue: tuple[Indicator, ...] = CATALOGUE
) -> dict[type[DomainEvent], list[Statement[Any]]]:
    """The projection with each fact-changing event type's statements between the retract
    and the assert of its aggregate's contributions."""
    tables = _tables_with_indicators(catalogue)
    result: dict[type[DomainEvent], list[Statement[Any]]] = {}
    for cls, statements in projection.items():
        facts = fact_tables_of(cls, tables)
        if not facts or not statements:
            result[cls] = list(statements)
            continue
        key = cls.KEY

        def args(partner_id: str, event: Any, key: str = key) -> tuple[Any, ...]:
            return (partner_id, getattr(event, key))

        def many_args(rows: Sequence[tuple[str, Any]], key: str = key) -> tuple[Any, ...]:
            return ([p for p, _ in rows], [getattr(e, key) for _, e in rows])

        def contribution(table: FactTable, sign: int) -> Statement[Any]:
            return Statement(
                contribution_sql(table, sign, catalogue),
                args,
                many_sql=contribution_sql(table, sign, catalogue, many=True),
                many_args=many_args,
            )

        result[cls] = [
            *(contribution(t, -1) for t in facts),
            *statements,
            *(contribution(t, 1) for t in facts),
        ]
    return result
