"""The records behind a partner's figure for a period: the rows of the fact tables its
sources count (their own ids, never a person's), so the coordinator can open each one.

A flow's records are the rows its sources count in the period's months; a stock's, the
rows still counted at the period's end (what they added and removed sums to more than
zero); a rate's, its numerator's. An outcome of the journeys is counted from a person's
records across partners and lists none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import asyncpg

from franoi_projection.domain.indicators import BY_ID, FACT_TABLES, Indicator
from franoi_projection.domain.months import add_months

MAX_RECORDS = 5000
"""At most this many records per figure are listed (the count is always whole)."""


def _key_column(table: str) -> str:
    return FACT_TABLES[table].key


async def records_behind(
    conn: asyncpg.Connection,
    indicator: Indicator,
    partner_id: str,
    first_month: dt.date,
    last_month: dt.date,
) -> list[tuple[str, str]]:
    """``(table, record id)`` of the rows behind ``indicator`` for the partner and months."""
    if indicator.is_rate:
        assert indicator.numerator
        indicator = BY_ID[indicator.numerator]
    end = add_months(last_month, 1)
    net: dict[tuple[str, str], int] = defaultdict(int)
    for source in indicator.sources:
        key = _key_column(source.table)
        since = "" if indicator.stock else f" AND ({source.month}) >= $2"
        rows = await conn.fetch(
            f"SELECT t.{key}::text AS record_id, ({source.amount})::bigint AS amount"  # noqa: S608
            f" FROM {source.table} t WHERE t.partner_id = $1 AND ({source.when})"
            f" AND ({source.month}) < $3{since}",
            partner_id,
            first_month,
            end,
        )
        for row in rows:
            net[(source.table, row["record_id"])] += 1 if not indicator.stock else row["amount"]
    found = sorted(k for k, n in net.items() if n > 0)
    return found[:MAX_RECORDS]
