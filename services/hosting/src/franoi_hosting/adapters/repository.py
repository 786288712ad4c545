"""PostgreSQL persistence of the hosting aggregates, always scoped by partner.

Every read takes the caller's ``partner_id``: a row of another partner is
simply not found. ``for_update`` locks the aggregate's row for the rest of the
transaction. Locking a family serialises every command that can take one of
its rooms (propose, accept, start a stay), which keeps the capacity rule true
under concurrent requests; lock order is family → match → request → stay.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from franoi_contracts.hosting import LOW_WELLBEING

from franoi_hosting.domain.model import (
    FamilyRequest,
    HostFamily,
    Match,
    MatchStatus,
    MonitoringVisit,
    Stay,
    StayStatus,
)

T = TypeVar("T", HostFamily, FamilyRequest, Match, Stay, MonitoringVisit)
Aggregate = HostFamily | FamilyRequest | Match | Stay | MonitoringVisit

_NOT_STORED = {"events", "open_matches", "active_stays"}

TABLES: dict[type[Any], tuple[str, str]] = {
    HostFamily: ("host_families", "family_id"),
    FamilyRequest: ("family_requests", "request_id"),
    Match: ("matches", "match_id"),
    Stay: ("hosting_stays", "stay_id"),
    MonitoringVisit: ("monitoring_visits", "visit_id"),
}


def columns(cls: type[Any]) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in _NOT_STORED]


_ENUM_FIELDS: dict[str, dict[str, tuple[type[Enum], bool]]] = {}


def _enum_fields(cls: type[Any]) -> dict[str, tuple[type[Enum], bool]]:
    """Field name → (its enum, whether it is a list of them)."""
    if cls.__name__ in _ENUM_FIELDS:
        return _ENUM_FIELDS[cls.__name__]
    found: dict[str, tuple[type[Enum], bool]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        is_list = typing.get_origin(hint) is list
        for candidate in (hint, *typing.get_args(hint)):
            if isinstance(candidate, type) and issubclass(candidate, Enum):
                found[name] = (candidate, is_list)
    _ENUM_FIELDS[cls.__name__] = found
    return found


def _from_row(cls: type[T], row: asyncpg.Record) -> T:
    enums = _enum_fields(cls)
    values = {}
    for name in columns(cls):
        value = row[name]
        if value is not None and name in enums:
            enum, is_list = enums[name]
            value = [enum(v) for v in value] if is_list else enum(value)
        elif isinstance(value, list):
            value = list(value)
        values[name] = value
    return cls(**values)


def _db_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_db_value(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class Page:
    items: list[asyncpg.Record]
    total: int


class HostingRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, partner_id: str, aggregate: Aggregate) -> None:
        table, _ = TABLES[type(aggregate)]
        values = {name: _db_value(getattr(aggregate, name)) for name in columns(type(aggregate))}
        values["partner_id"] = partner_id
        names = list(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        await self.conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
            *values.values(),
        )

    async def update(self, partner_id: str, aggregate: Aggregate) -> None:
        table, key = TABLES[type(aggregate)]
        names = [n for n in columns(type(aggregate)) if n != key]
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
        """One aggregate; a family comes with its open matches and active stays."""
        table, key = TABLES[cls]
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(
            f"SELECT * FROM {table} WHERE partner_id = $1 AND {key} = $2{lock}",  # noqa: S608
            partner_id,
            aggregate_id,
        )
        if row is None:
            return None
        aggregate = _from_row(cls, row)
        if isinstance(aggregate, HostFamily):
            aggregate.open_matches = await self.open_matches(partner_id, aggregate.family_id)
            aggregate.active_stays = await self.active_stays(
                partner_id, family_id=aggregate.family_id
            )
        return aggregate

    async def get_row(
        self, cls: type[Any], partner_id: str, aggregate_id: UUID
    ) -> asyncpg.Record | None:
        table, key = TABLES[cls]
        return await self.conn.fetchrow(
            f"SELECT * FROM {table} WHERE partner_id = $1 AND {key} = $2",  # noqa: S608
            partner_id,
            aggregate_id,
        )

    async def family_of_match(self, partner_id: str, match_id: UUID) -> UUID | None:
        found: UUID | None = await self.conn.fetchval(
            "SELECT family_id FROM matches WHERE partner_id = $1 AND match_id = $2",
            partner_id,
            match_id,
        )
        return found

    async def open_matches(self, partner_id: str, family_id: UUID) -> list[Match]:
        rows = await self.conn.fetch(
            "SELECT * FROM matches WHERE partner_id = $1 AND family_id = $2"
            " AND status = ANY($3::text[]) ORDER BY proposed_on, match_id",
            partner_id,
            family_id,
            [MatchStatus.PROPOSED.value, MatchStatus.ACCEPTED.value],
        )
        return [_from_row(Match, row) for row in rows]

    async def accepted_matches(self, partner_id: str, person_ref: str) -> list[Match]:
        rows = await self.conn.fetch(
            "SELECT * FROM matches WHERE partner_id = $1 AND person_ref = $2 AND status = $3",
            partner_id,
            person_ref,
            MatchStatus.ACCEPTED.value,
        )
        return [_from_row(Match, row) for row in rows]

    async def active_stays(
        self, partner_id: str, *, family_id: UUID | None = None, person_ref: str | None = None
    ) -> list[Stay]:
        rows = await self.conn.fetch(
            "SELECT * FROM hosting_stays WHERE partner_id = $1 AND status = $2"
            " AND ($3::uuid IS NULL OR family_id = $3) AND ($4::text IS NULL OR person_ref = $4)"
            " ORDER BY started_on, stay_id",
            partner_id,
            StayStatus.ACTIVE.value,
            family_id,
            person_ref,
        )
        return [_from_row(Stay, row) for row in rows]

    # --- the family's private data -----------------------------------------------------

    async def save_private(
        self,
        partner_id: str,
        family_id: UUID,
        members: list[dict[str, Any]],
        address: str | None,
        phone: str | None,
        email: str | None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO host_family_private (family_id, partner_id, members, address, phone,"
            " email) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (family_id) DO UPDATE"
            " SET members = $3, address = $4, phone = $5, email = $6",
            family_id,
            partner_id,
            members,
            address,
            phone,
            email,
        )

    async def private(self, partner_id: str, family_id: UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT members, address, phone, email FROM host_family_private"
            " WHERE partner_id = $1 AND family_id = $2",
            partner_id,
            family_id,
        )

    # --- reads -------------------------------------------------------------------------

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
        table, key = TABLES[cls]
        allowed = set(columns(cls))
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

    async def occupied_rooms(self, partner_id: str, family_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Rooms taken per family: active stays plus accepted matches not started."""
        rows = await self.conn.fetch(
            "SELECT family_id, count(*) AS taken FROM ("
            "  SELECT family_id FROM hosting_stays"
            "   WHERE partner_id = $1 AND status = 'active' AND family_id = ANY($2::uuid[])"
            "  UNION ALL"
            "  SELECT family_id FROM matches"
            "   WHERE partner_id = $1 AND status = 'accepted' AND family_id = ANY($2::uuid[])"
            ") taken GROUP BY family_id",
            partner_id,
            list(family_ids),
        )
        return {row["family_id"]: int(row["taken"]) for row in rows}

    async def follow_up(self, partner_id: str, limit: int, offset: int) -> Page:
        """Active stays whose last visit has a flag or a score of 2 or less."""
        query = (
            "FROM hosting_stays s"
            " JOIN LATERAL (SELECT * FROM monitoring_visits v"
            "   WHERE v.partner_id = s.partner_id AND v.stay_id = s.stay_id"
            "   ORDER BY v.visited_on DESC, v.created_at DESC LIMIT 1) last ON true"
            " WHERE s.partner_id = $1 AND s.status = 'active'"
            "   AND (cardinality(last.flags) > 0"
            "        OR least(last.guest_wellbeing, last.family_wellbeing) <= $2)"
        )
        total = await self.conn.fetchval(f"SELECT count(*) {query}", partner_id, LOW_WELLBEING)
        rows = await self.conn.fetch(
            f"SELECT s.*, last.visit_id AS last_visit_id, last.visited_on AS last_visited_on,"
            " last.guest_wellbeing AS last_guest_wellbeing,"
            " last.family_wellbeing AS last_family_wellbeing, last.flags AS last_flags"
            f" {query} ORDER BY last.visited_on, s.stay_id LIMIT $3 OFFSET $4",
            partner_id,
            LOW_WELLBEING,
            limit,
            offset,
        )
        return Page(items=list(rows), total=int(total))
