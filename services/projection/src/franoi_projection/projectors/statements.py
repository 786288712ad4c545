"""What the domains' projections share: the statement that records an event's values in its
aggregate's row."""

from __future__ import annotations

from enum import Enum
from typing import Any

from franoi_common.projector import Statement


def column_value(value: Any) -> Any:
    """An event's value as a column holds it: an enum by its value, a list as a list."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [column_value(v) for v in value]
    return value


def update(table: str, key: str, *same: str, constants: str = "", **columns: str) -> Statement[Any]:
    """``UPDATE`` the aggregate's row of ``table`` (its ``key`` is the event's attribute of
    that name): set each column of ``same`` to the event's attribute of the same name, each
    of ``columns`` to the attribute it names, and ``constants`` (SQL: ``status = 'held'``)."""
    columns = {**{name: name for name in same}, **columns}
    sets = [f"{column} = ${n}" for n, column in enumerate(columns, start=3)]
    attributes = tuple(columns.values())
    return Statement(
        f"UPDATE {table} SET {', '.join(filter(None, [constants, *sets]))}"  # noqa: S608 - literals
        f" WHERE partner_id = $1 AND {key} = $2",
        lambda p, e: (p, getattr(e, key), *(column_value(getattr(e, a)) for a in attributes)),
    )
