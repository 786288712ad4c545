"""Rows of the aggregates a repository maps by hand (a :class:`~franoi_common.repository.Table`
with ``by_hand``): a change names the columns it sets, with their values, once.

    await set_columns(conn, table, partner_id, task.task_id, fields_of(task, "status"))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from franoi_common.repository import Table, db_value


def fields_of(aggregate: Any, *names: str) -> dict[str, Any]:
    """These fields of the aggregate, for the columns of their names."""
    return {name: getattr(aggregate, name) for name in names}


async def set_columns(
    conn: asyncpg.Connection,
    table: Table,
    partner_id: str,
    aggregate_id: UUID,
    values: Mapping[str, Any],
) -> None:
    """Set these columns (an enum as its value) of the partner's row of one aggregate."""
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=3))
    await conn.execute(
        f"UPDATE {table.name} SET {assignments}"  # noqa: S608 (the repository's own names)
        f" WHERE partner_id = $1 AND {table.key} = $2",
        partner_id,
        aggregate_id,
        *(db_value(v) for v in values.values()),
    )
