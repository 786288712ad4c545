# ruff: noqa: S608 - the SQL is generated from the catalogue's definitions, never from input
"""Monthly indicator counts kept up to date by the projection's own statements.

For each fact table the catalogue computes indicators from, two statements are generated
from the definitions: *retract* subtracts what the rows an event can change currently
contribute to ``indicator_counts`` (every indicator, month and disaggregation), *assert*
adds what they contribute after the change. :func:`counted` wraps each event type's
statements of an aggregate with a fact row between the two, so any change to the row —
a new row, a correction, a closing, a duplicate that changes nothing — moves the counts
by exactly the difference. Each statement reads and writes only the rows in its scope and
adds to counters, so the statements are correct for any order of different aggregates and
set-wise with ``executemany`` (retract all, change all, assert all).

The scope is the aggregate's rows; for a source counting groups (the distinct persons,
labs or stays among the rows), it is every row of the groups the aggregate's rows belong
to, or that the event names (a new row's person; an erased person's surrogate, which a
trigger puts in the row instead): a group's rows count together, so they are retracted and
asserted together. A row never changes group (a person's, a lab's rows keep their
reference), so the retract and the assert see the same groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts.base import DomainEvent

from franoi_projection.domain.indicators import (
    CATALOGUE,
    FACT_TABLES,
    PERSON_DIMENSIONS,
    FactTable,
    Indicator,
    Source,
)

COLUMNS = "dimension, indicator_id, partner_id, month, key"


def _month(sql: str) -> str:
    return f"date_trunc('month', {sql})::date"


def _group(source: Source, alias: str) -> str:
    """The group of a row as text (the first of the group's columns not NULL)."""
    columns = [f"{alias}.{c}" for c in source.group]
    return f"coalesce({', '.join(columns)})::text" if len(columns) > 1 else f"{columns[0]}::text"


def _sources(table: FactTable, catalogue: Sequence[Indicator]) -> list[tuple[Indicator, Source]]:
    return [(i, s) for i in catalogue for s in i.sources if s.table == table.name]


def _row_contributions(
    table: FactTable, pairs: Sequence[tuple[Indicator, Source]], where: str
) -> str | None:
    """The contributions of the rows matching ``where`` (SQL over the alias ``t``) to the
    indicators that count rows one by one."""
    rows: list[str] = []
    split = any(i.split for i, _ in pairs)
    for indicator, source in pairs:
        disaggregated = bool(set(indicator.disaggregations) & set(PERSON_DIMENSIONS))
        tail = f", {'true' if disaggregated else 'false'}"
        if split:
            tail += (
                f", '{indicator.split.dimension}', ({indicator.split.value})::text"
                if indicator.split
                else ", NULL::text, NULL::text"
            )
        rows.append(
            f"('{indicator.id}', {_month(source.month)},"
            f" CASE WHEN {source.when} THEN ({source.amount})::bigint END{tail})"
        )
    if not rows:
        return None
    dimensions = ["('all', '')"]
    if table.person_columns:
        dimensions += [
            f"('{d.value}', CASE WHEN x.disaggregated THEN t.{d.value} END)"
            for d in PERSON_DIMENSIONS
        ]
    columns = "indicator_id, month, n, disaggregated"
    if split:
        dimensions.append("(x.split_dimension, x.split_key)")
        columns += ", split_dimension, split_key"
    return (
        "SELECT d.dimension, x.indicator_id, t.partner_id, x.month, d.key, x.n"
        f" FROM {table.name} t"
        f" CROSS JOIN LATERAL (VALUES {', '.join(rows)}) AS x({columns})"
        f" CROSS JOIN LATERAL (VALUES {', '.join(dimensions)}) AS d(dimension, key)"
        f" WHERE ({where})"
        " AND x.month IS NOT NULL AND x.n IS NOT NULL AND d.key IS NOT NULL"
    )


def _group_contributions(table: FactTable, indicator: Indicator, source: Source, where: str) -> str:
    """The contributions of a source counting groups: each group of the rows matching
    ``where`` once a month, from its rows of the month."""
    return (
        f"SELECT 'all', '{indicator.id}', t.partner_id, {_month(source.month)}, '',"
        f" ({source.amount})::bigint FROM {table.name} t"
        f" WHERE ({where}) AND ({source.when}) AND ({source.month}) IS NOT NULL"
        f" GROUP BY t.partner_id, {_group(source, 't')}, 4"
    )


def contributions(
    table: FactTable, catalogue: Sequence[Indicator], rows: str, groups: str | None = None
) -> str:
    """A SELECT of the contributions ``(dimension, indicator_id, partner_id, month, key, n)``
    of the rows of ``table`` matching ``rows`` and, for sources counting groups, of the
    groups matching ``groups`` (SQL over the alias ``t``; ``{group}``: the row's group)."""
    pairs = _sources(table, catalogue)
    if not pairs:
        raise ValueError(f"no indicator is computed from {table.name}")
    parts = [_row_contributions(table, [(i, s) for i, s in pairs if not s.group], rows)]
    for indicator, source in pairs:
        if source.group:
            where = (groups or rows).replace("{group}", _group(source, "t"))
            parts.append(_group_contributions(table, indicator, source, where))
    union = " UNION ALL ".join(p for p in parts if p)
    return f"SELECT {COLUMNS}, sum(n) AS n FROM ({union}) u({COLUMNS}, n) GROUP BY 1, 2, 3, 4, 5"


def _groups(table: FactTable, catalogue: Sequence[Indicator]) -> list[Source]:
    """The sources of ``table`` that count groups, one per way of naming a group."""
    found: dict[tuple[str, ...], Source] = {}
    for _, source in _sources(table, catalogue):
        if source.group:
            found.setdefault(source.group, source)
    return list(found.values())


def _group_scope(table: FactTable, groups: Sequence[Source], many: bool) -> str:
    """The groups of the aggregate's rows and those the event names (``$3``: their values;
    with ``many``, ``$3`` their partners and ``$4`` the values), with the surrogate of an
    erased person's reference."""
    if many:
        mine = (
            f"(a.partner_id, a.{table.key}) IN"
            " (SELECT p, k FROM unnest($1::text[], $2::uuid[]) AS u(p, k))"
        )
        named = "unnest($3::text[], $4::text[]) AS w(p, v)"
        scope = [f"SELECT w.p, w.v FROM {named}"]
        erased, partner, value = f"SELECT w.p, e.surrogate FROM {named}", "w.p", "w.v"
    else:
        mine = f"a.partner_id = $1 AND a.{table.key} = $2"
        scope = ["SELECT $1::text, v FROM unnest($3::text[]) AS v"]
        erased, partner, value = (
            "SELECT $1::text, e.surrogate FROM unnest($3::text[]) AS v",
            "$1",
            "v",
        )
    scope += [
        f"SELECT a.partner_id, {_group(s, 'a')} FROM {table.name} a WHERE {mine}" for s in groups
    ]
    if any("person_ref" in s.group for s in groups):
        scope.append(
            f"{erased} JOIN erased_persons e"
            f" ON e.ref_hash = franoi_erased_ref_hash({partner}::text, {value})"
        )
    return f"(t.partner_id, {{group}}) IN ({' UNION '.join(scope)})"


def named_groups(event: DomainEvent, groups: Sequence[Source]) -> list[str]:
    """The values the event gives to the columns naming groups, anywhere in its data (a
    known person's line of an access batch...)."""
    columns = {c for s in groups for c in s.group}
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in columns and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(event.model_dump(mode="json"))
    return found


def contribution_sql(
    table: FactTable, sign: int, catalogue: Sequence[Indicator] = CATALOGUE, *, many: bool = False
) -> str:
    """The upsert adding ``sign`` times the contributions of one aggregate's rows (``$1``
    partner, ``$2`` the aggregate's key) or, ``many``, of a group of aggregates at once
    (``$1`` the partners, ``$2`` the keys, as arrays): contributions add up, so one
    statement for the group equals one per aggregate. Where groups are counted, ``$3``
    (with ``many``: ``$3`` and ``$4``) are the groups the events name."""
    rows = (
        f"(t.partner_id, t.{table.key}) IN"
        " (SELECT p, k FROM unnest($1::text[], $2::uuid[]) AS u(p, k))"
        if many
        else f"t.partner_id = $1 AND t.{table.key} = $2"
    )
    groups = _groups(table, catalogue)
    scope = _group_scope(table, groups, many) if groups else None
    select = contributions(table, catalogue, rows, scope)
    return (
        f"INSERT INTO indicator_counts AS c ({COLUMNS}, n)"
        f" SELECT {COLUMNS}, {sign} * n FROM ({select}) s"
        f" ON CONFLICT ({COLUMNS}) DO UPDATE SET n = c.n + excluded.n"
    )


JOURNEYS_RECOUNT = (
    "SELECT dimension, indicator_id, partner_id, month, key, n FROM journey_contributions("
    "(SELECT coalesce(array_agg(DISTINCT person_ref), '{}') FROM journey_milestones))"
)
"""Every journey outcome recomputed from the facts (migration 009)."""


def recount_sql(catalogue: tuple[Indicator, ...] = CATALOGUE) -> str:
    """Every counter recomputed from the facts at once (for checks and rebuilds)."""
    parts = [contributions(t, catalogue, "true") for t in _tables_with_indicators(catalogue)]
    if any(i.journey is not None for i in catalogue):
        parts.append(JOURNEYS_RECOUNT)
    return (
        f"SELECT {COLUMNS}, sum(n) AS n FROM ({' UNION ALL '.join(parts)}) u GROUP BY 1, 2, 3, 4, 5"
    )


def mismatches_sql(catalogue: tuple[Indicator, ...] = CATALOGUE) -> str:
    """The counters that differ from a recount of the facts (none, when all is well)."""
    return (
        f"SELECT {COLUMNS},"
        " coalesce(r.n, 0) AS recounted, coalesce(c.n, 0) AS counted"
        f" FROM ({recount_sql(catalogue)}) r"
        f" FULL JOIN indicator_counts c USING ({COLUMNS})"
        " WHERE coalesce(r.n, 0) <> coalesce(c.n, 0)"
    )


def _tables_with_indicators(catalogue: Sequence[Indicator]) -> list[FactTable]:
    names = {s.table for i in catalogue for s in i.sources}
    return [FACT_TABLES[name] for name in sorted(names)]


def fact_tables_of(cls: type[DomainEvent], tables: Iterable[FactTable]) -> list[FactTable]:
    """The fact tables of the event's aggregate: the domain's tables keyed by the event's key."""
    return [t for t in tables if t.name.startswith(cls.domain() + "_") and t.key == cls.KEY]


def _contribution(
    table: FactTable, sign: int, key: str, catalogue: Sequence[Indicator]
) -> Statement[Any]:
    groups = _groups(table, catalogue)

    def args(partner_id: str, event: Any) -> tuple[Any, ...]:
        own = (partner_id, getattr(event, key))
        return (*own, named_groups(event, groups)) if groups else own

    def many_args(rows: Sequence[tuple[str, Any]]) -> tuple[Any, ...]:
        own = ([p for p, _ in rows], [getattr(e, key) for _, e in rows])
        if not groups:
            return own
        named = [(p, v) for p, e in rows for v in named_groups(e, groups)]
        return (*own, [p for p, _ in named], [v for _, v in named])

    return Statement(
        contribution_sql(table, sign, catalogue),
        args,
        many_sql=contribution_sql(table, sign, catalogue, many=True),
        many_args=many_args,
    )


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
        result[cls] = [
            *(_contribution(t, -1, cls.KEY, catalogue) for t in facts),
            *statements,
            *(_contribution(t, 1, cls.KEY, catalogue) for t in facts),
        ]
    return result
