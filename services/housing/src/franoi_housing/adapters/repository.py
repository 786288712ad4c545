"""PostgreSQL persistence of the housing aggregates, always scoped by partner.

Every read takes the caller's ``partner_id``: a row of another partner is
simply not found. ``for_update`` locks the aggregate's row for the rest of the
transaction (commands on one unit are serialised, which keeps capacity and the
outbox order of that aggregate consistent).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    Placement,
    PlacementStatus,
)

T = TypeVar("T", Agreement, HousingRequest, HousingUnit, Placement)

_NOT_STORED = {"events", "active_placements"}


def _columns(cls: type[Any]) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in _NOT_STORED]


_TABLES: dict[type[Any], tuple[str, str]] = {
    Agreement: ("agreements", "agreement_id"),
    HousingUnit: ("housing_units", "unit_id"),
    HousingRequest: ("housing_requests", "request_id"),
    Placement: ("placements", "placement_id"),
}


_ENUM_FIELDS: dict[str, dict[str, type[Enum]]] = {}


def _enum_fields(cls: type[Any]) -> dict[str, type[Enum]]:
    if cls.__name__ in _ENUM_FIELDS:
        return _ENUM_FIELDS[cls.__name__]
    found: dict[str, type[Enum]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        for candidate in (hint, *typing.get_args(hint)):
            if isinstance(candidate, type) and issubclass(candidate, Enum):
                found[name] = candidate
    _ENUM_FIELDS[cls.__name__] = found
    return found


def _from_row(cls: type[T], row: asyncpg.Record) -> T:
    enums = _enum_fields(cls)
    values = {}
    for name in _columns(cls):
        value = row[name]
        if value is not None and name in enums:
            value = enums[name](value)
        values[name] = value
    return cls(**values)


@dataclasses.dataclass(frozen=True)
class Page:
    items: list[asyncpg.Record]
    total: int


class HousingRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(
        self,
        partner_id: str,
        aggregate: Agreement | HousingRequest | HousingUnit | Placement,
        **local: Any,
    ) -> None:
        """Insert a new aggregate; ``local`` holds service-only columns (never published)."""
        table, _ = _TABLES[type(aggregate)]
        values = {name: _db_value(getattr(aggregate, name)) for name in _columns(type(aggregate))}
        values.update(local)
        values["partner_id"] = partner_id
        names = list(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        await self.conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
            *values.values(),
        )

    async def update(
        self, partner_id: str, aggregate: Agreement | HousingRequest | HousingUnit | Placement
    ) -> None:
        table, key = _TABLES[type(aggregate)]
        names = [n for n in _columns(type(aggregate)) if n != key]
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
        await self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE partner_id = $1 AND {key} = $2",  # noqa: S608
            partner_id,
            getattr(aggregate, key),
            *(_db_value(getattr(aggregate, n)) for n in names),
        )

    async def get(
        self, cls: type[T], partner_id: str, aggregate_id: UUID, *, for_update: bool = False
    ) -> T | None:
        table, key = _TABLES[cls]
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(
            f"SELECT * FROM {table} WHERE partner_id = $1 AND {key} = $2{lock}",  # noqa: S608
            partner_id,
            aggregate_id,
        )
        if row is None:
            return None
        aggregate = _from_row(cls, row)
        if isinstance(aggregate, HousingUnit):
            aggregate.active_placements = await self.active_placements(
                partner_id, unit_id=aggregate.unit_id
            )
        return aggregate

    async def get_row(
        self, cls: type[Any], partner_id: str, aggregate_id: UUID
    ) -> asyncpg.Record | None:
        table, key = _TABLES[cls]
        return await self.conn.fetchrow(
            f"SELECT * FROM {table} WHERE partner_id = $1 AND {key} = $2",  # noqa: S608
            partner_id,
            aggregate_id,
        )

    async def active_placements(
        self, partner_id: str, *, unit_id: UUID | None = None, person_ref: str | None = None
    ) -> list[Placement]:
        rows = await self.conn.fetch(
            "SELECT * FROM placements WHERE partner_id = $1 AND status = $2"
            " AND ($3::uuid IS NULL OR unit_id = $3) AND ($4::text IS NULL OR person_ref = $4)"
            " ORDER BY started_on, placement_id",
            partner_id,
            PlacementStatus.ACTIVE.value,
            unit_id,
            person_ref,
        )
        return [_from_row(Placement, row) for row in rows]

    async def list(
        self,
        cls: type[Any],
        partner_id: str,
        *,
        filters: dict[str, Any],
        limit: int,
        offset: int,
        extra_where: Sequence[str] = (),
    ) -> Page:
        """A page of rows, newest first, with equality ``filters`` on known columns."""
        table, key = _TABLES[cls]
        allowed = set(_columns(cls))
        clauses = ["partner_id = $1"]
        args: list[Any] = [partner_id]
        for name, value in filters.items():
            if value is None:
                continue
            if name not in allowed:
                raise ValueError(f"cannot filter on {name}")
            args.append(_db_value(value))
            clauses.append(f"{name} = ${len(args)}")
        clauses.extend(extra_where)
        where = " AND ".join(clauses)
        total = await self.conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE {where}",  # noqa: S608
            *args,
        )
        rows = await self.conn.fetch(
            f"SELECT * FROM {table} WHERE {where}"  # noqa: S608
            f" ORDER BY created_at DESC, {key} DESC LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            limit,
            offset,
        )
        return Page(items=list(rows), total=int(total))

    async def occupied_beds(self, partner_id: str, unit_ids: Sequence[UUID]) -> dict[UUID, int]:
        rows = await self.conn.fetch(
            "SELECT unit_id, sum(household_size) AS occupied FROM placements"
            " WHERE partner_id = $1 AND status = 'active' AND unit_id = ANY($2::uuid[])"
            " GROUP BY unit_id",
            partner_id,
            list(unit_ids),
        )
        return {row["unit_id"]: int(row["occupied"]) for row in rows}


def _db_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
