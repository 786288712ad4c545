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

from typing import Any

from franoi_common.events import DomainEvent
from franoi_common.projector import Projection, Statement

from franoi_projection.domain.indicators import (
    CATALOGUE,
    FACT_TABLES,
    PERSON_DIMENSIONS,
    FactTable,
    Indicator,
)


def contribution_sql(table: FactTable, sign: int, catalogue: tuple[Indicator, ...]) -> str:
    """The upsert adding ``sign`` times one row's contributions (``$1`` partner, ``$2`` key)."""
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
        "INSERT INTO indicator_counts AS c (dimension, indicator_id, partner_id, month, key, n)"  # noqa: S608
        f" SELECT d.dimension, x.indicator_id, t.partner_id, x.month, d.key, {sign} * sum(x.n)"
        f" FROM {table.name} t"
        f" CROSS JOIN LATERAL (VALUES {', '.join(rows)})"
        " AS x(indicator_id, month, n, disaggregated)"
        f" CROSS JOIN LATERAL (VALUES {', '.join(dimensions)}) AS d(dimension, key)"
        f" WHERE t.partner_id = $1 AND t.{table.key} = $2"
        " AND x.month IS NOT NULL AND x.n IS NOT NULL AND d.key IS NOT NULL"
        " GROUP BY d.dimension, x.indicator_id, t.partner_id, x.month, d.key"
        " ON CONFLICT (dimension, indicator_id, partner_id, month, key)"
        " DO UPDATE SET n = c.n + excluded.n"
    )


def _tables_with_indicators(catalogue: tuple[Indicator, ...]) -> dict[str, FactTable]:
    names = {s.table for i in catalogue for s in i.sources}
    return {name: FACT_TABLES[name] for name in names}


def fact_table_of(cls: type[DomainEvent], tables: dict[str, FactTable]) -> FactTable | None:
    """The fact table of the event's aggregate: the domain's table keyed by the event's key."""
    for table in tables.values():
        if table.name.startswith(cls.domain() + "_") and table.key == cls.KEY:
            return table
    return None


def counted(
    projection: Projection, catalogue: tuple[Indicator, ...] = CATALOGUE
) -> dict[type[DomainEvent], list[Statement[Any]]]:
    """The projection with each fact-changing event type's statements between the retract
    and the assert of its aggregate's contributions."""
    tables = _tables_with_indicators(catalogue)
    result: dict[type[DomainEvent], list[Statement[Any]]] = {}
    for cls, statements in projection.items():
        table = fact_table_of(cls, tables)
        if table is None or not statements:
            result[cls] = list(statements)
            continue
        key = cls.KEY

        def args(partner_id: str, event: Any, key: str = key) -> tuple[Any, ...]:
            return (partner_id, getattr(event, key))

        result[cls] = [
            Statement(contribution_sql(table, -1, catalogue), args),
            *statements,
            Statement(contribution_sql(table, 1, catalogue), args),
        ]
    return result
