"""PostgreSQL persistence of dataclass aggregates, always scoped by partner.

A service declares, per aggregate class, its table and key column; the
columns are the dataclass fields (minus those not stored, such as ``events``).
Every read takes the caller's ``partner_id``: a row of another partner is
simply not found. ``for_update`` locks the aggregate's row for the rest of the
transaction, which serialises commands on one aggregate (and so its outbox order).
"""

from __future__ import annotations

import builtins
import dataclasses
import typing
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import asyncpg

A = TypeVar("A")


@dataclasses.dataclass(frozen=True)
class Table:
    """Where a repository keeps an aggregate class: its table and key column, the fields
    it does not store (``events``...), and, for an aggregate the repository maps by hand
    (values in other tables, sealed columns), the name of its own methods: with
    ``by_hand="hub"``, :meth:`Repository.add`, ``update`` and ``get`` are its
    ``add_hub``, ``update_hub`` and ``get_hub``."""

    name: str
    key: str
    not_stored: frozenset[str] = frozenset({"events"})
    by_hand: str | None = None


@dataclasses.dataclass(frozen=True)
class Rows:
    """A page of rows and how many match in all."""

    items: list[asyncpg.Record]
    total: int


_ENUMS: dict[type[Any], dict[str, type[Enum]]] = {}


def _enum_fields(cls: type[Any]) -> dict[str, type[Enum]]:
    if cls not in _ENUMS:
        found: dict[str, type[Enum]] = {}
        for name, hint in typing.get_type_hints(cls).items():
            for candidate in (hint, *typing.get_args(hint)):
                if isinstance(candidate, type) and issubclass(candidate, Enum):
                    found[name] = candidate
        _ENUMS[cls] = found
    return _ENUMS[cls]


def db_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class Repository:
    """Generic add / update / get / list over the tables a service declares."""

    tables: ClassVar[Mapping[type[Any], Table]] = {}

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    def table(self, cls: type[Any]) -> Table:
        return self.tables[cls]

    def columns(self, cls: type[Any]) -> list[str]:
        skip = self.tables[cls].not_stored
        return [f.name for f in dataclasses.fields(cls) if f.name not in skip]

    def from_row(self, cls: type[A], row: asyncpg.Record) -> A:
        enums = _enum_fields(cls)
        values = {}
        for name in self.columns(cls):
            value = row[name]
            if value is not None and name in enums:
                value = enums[name](value)
            values[name] = value
        return cls(**values)

    def insert(self, partner_id: str, aggregate: Any, **local: Any) -> tuple[str, list[Any]]:
        """The ``INSERT … RETURNING *`` of a new aggregate and its arguments; ``local`` holds
        service-only columns (never published)."""
        table = self.tables[type(aggregate)]
        values = {
            name: db_value(getattr(aggregate, name)) for name in self.columns(type(aggregate))
        }
        values.update(local)
        values["partner_id"] = partner_id
        names = list(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        return (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"  # noqa: S608
            " RETURNING *",
            list(values.values()),
        )

    @classmethod
    def one_row(cls, kind: type[Any]) -> bool:
        """Whether :meth:`add` stores an aggregate of ``kind`` as the one row of
        :meth:`insert` (no rows in other tables, no sealed columns): then its create can write
        the row and its events in one statement. A repository that adds rows elsewhere in
        :meth:`add` says for which classes it does not."""
        return cls.tables[kind].by_hand is None

    def _by_hand(self, kind: type[Any], what: str) -> Any:
        """This repository's own method ``what`` for ``kind``, if it maps it by hand."""
        name = self.tables[kind].by_hand
        return None if name is None else getattr(self, f"{what}_{name}")

    async def add(self, partner_id: str, aggregate: Any, **local: Any) -> asyncpg.Record | None:
        """Insert a new aggregate; ``local`` holds service-only columns (never published).

        Returns the row as inserted (``RETURNING *``: column defaults included), or None for
        an aggregate the repository maps by hand."""
        by_hand = self._by_hand(type(aggregate), "add")
        if by_hand is not None:
            await by_hand(partner_id, aggregate)
            return None
        statement, args = self.insert(partner_id, aggregate, **local)
        row: asyncpg.Record = await self.conn.fetchrow(statement, *args)
        return row

    async def update(self, partner_id: str, aggregate: Any) -> None:
        by_hand = self._by_hand(type(aggregate), "update")
        if by_hand is not None:
            await by_hand(partner_id, aggregate)
            return
        table = self.tables[type(aggregate)]
        names = [n for n in self.columns(type(aggregate)) if n != table.key]
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
        await self.conn.execute(
            f"UPDATE {table.name} SET {assignments}"  # noqa: S608
            f" WHERE partner_id = $1 AND {table.key} = $2",
            partner_id,
            getattr(aggregate, table.key),
            *(db_value(getattr(aggregate, n)) for n in names),
        )

    async def get(
        self, cls: type[A], partner_id: str, aggregate_id: UUID, *, for_update: bool = False
    ) -> A | None:
        by_hand = self._by_hand(cls, "get")
        if by_hand is not None:
            found: A | None = await by_hand(partner_id, aggregate_id, for_update=for_update)
            return found
        row = await self.get_row(cls, partner_id, aggregate_id, for_update=for_update)
        if row is None:
            return None
        aggregate = self.from_row(cls, row)
        await self.load_parts(partner_id, aggregate)
        return aggregate

    async def load_parts(self, partner_id: str, aggregate: Any) -> None:
        """Load, after :meth:`get` read its row, what ``aggregate`` keeps in other tables (a
        unit's active placements...): nothing, unless the service's repository says what."""

    async def get_row(
        self, cls: type[Any], partner_id: str, aggregate_id: UUID, *, for_update: bool = False
    ) -> asyncpg.Record | None:
        table = self.tables[cls]
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(
            f"SELECT * FROM {table.name} WHERE partner_id = $1 AND {table.key} = $2{lock}",  # noqa: S608
            partner_id,
            aggregate_id,
        )

    async def list(
        self,
        cls: type[Any],
        partner_id: str,
        *,
        filters: Mapping[str, Any],
        limit: int,
        offset: int,
        extra_where: Sequence[str] = (),
        extra_args: Sequence[Any] = (),
    ) -> Rows:
        """A page of rows, newest first, with equality ``filters`` on known columns (a list
        value: any of its values).

        ``extra_where`` clauses may use ``$2``... for ``extra_args`` ($1 is the partner)."""
        table = self.tables[cls]
        where, args = self._where(cls, partner_id, filters, extra_where, extra_args)
        total = await self.conn.fetchval(
            f"SELECT count(*) FROM {table.name} WHERE {where}",  # noqa: S608
            *args,
        )
        rows = await self.conn.fetch(
            f"SELECT * FROM {table.name} WHERE {where}"  # noqa: S608
            f" ORDER BY created_at DESC, {table.key} DESC"
            f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            limit,
            offset,
        )
        return Rows(items=list(rows), total=int(total))

    def _where(
        self,
        cls: type[Any],
        partner_id: str,
        filters: Mapping[str, Any],
        extra_where: Sequence[str] = (),
        extra_args: Sequence[Any] = (),
    ) -> tuple[str, builtins.list[Any]]:
        """The partner's rows of ``cls`` whose columns equal ``filters`` (None: any value; a
        list: any of its values), as a ``WHERE`` condition and its arguments."""
        allowed = set(self.columns(cls)) | {"partner_id"}
        clauses = ["partner_id = $1", *extra_where]
        args: builtins.list[Any] = [partner_id, *extra_args]
        for name, value in filters.items():
            if value is None:
                continue
            if name not in allowed:
                raise ValueError(f"cannot filter on {name}")
            if isinstance(value, list | tuple):  # any of these values
                args.append([db_value(v) for v in value])
                clauses.append(f"{name} = ANY(${len(args)})")
                continue
            args.append(db_value(value))
            clauses.append(f"{name} = ${len(args)}")
        return " AND ".join(clauses), args

    async def find(
        self,
        cls: type[A],
        partner_id: str,
        *,
        oldest_first_by: str | None = None,
        where: Sequence[str] = (),
        where_args: Sequence[Any] = (),
        **equal: Any,
    ) -> builtins.list[A]:
        """The partner's aggregates of ``cls`` whose columns equal ``equal`` (None: any value;
        a list: any of its values), in the order of ``oldest_first_by`` (then of their key).

        ``where`` clauses may use ``$2``... for ``where_args`` ($1 is the partner)."""
        table = self.tables[cls]
        clauses, args = self._where(cls, partner_id, equal, where, where_args)
        order = f" ORDER BY {oldest_first_by}, {table.key}" if oldest_first_by else ""
        rows = await self.conn.fetch(
            f"SELECT * FROM {table.name} WHERE {clauses}{order}",  # noqa: S608
            *args,
        )
        return [self.from_row(cls, row) for row in rows]

    async def rows_of_person(
        self, cls: type[Any], partner_id: str, person_ref: str
    ) -> builtins.list[asyncpg.Record]:
        """Every row of ``cls`` held for one person (the person's file), oldest first."""
        table = self.tables[cls]
        return list(
            await self.conn.fetch(
                f"SELECT * FROM {table.name} WHERE partner_id = $1 AND person_ref = $2"  # noqa: S608
                f" ORDER BY created_at, {table.key}",
                partner_id,
                person_ref,
            )
        )
