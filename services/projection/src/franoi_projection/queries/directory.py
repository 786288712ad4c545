"""The partner directory (``partners``): read by every view, managed by the consortium's
admins through the API, seeded from the directory file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from franoi_projection.domain.directory import Partner

PARTNER_COLUMNS = "partner_id, name, kind, region, province, axes, active_since"
_VALUES = PARTNER_COLUMNS.split(", ")


async def load_directory(pool: asyncpg.Pool, partners: Sequence[Partner]) -> None:
    """Adds the file's partners that the directory does not hold yet: after the first
    start the directory is managed through the API, and the file never overwrites it."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            f"INSERT INTO partners ({PARTNER_COLUMNS})"  # noqa: S608
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (partner_id) DO NOTHING",
            [
                (p.partner_id, p.name, p.kind, p.region, p.province, list(p.axes), p.active_since)
                for p in partners
            ],
        )


async def regions(conn: asyncpg.Connection) -> list[str]:
    """The network's regions (public knowledge: the public page's filter)."""
    return [
        r["region"] for r in await conn.fetch("SELECT DISTINCT region FROM partners ORDER BY 1")
    ]


async def directory(
    conn: asyncpg.Connection, partner_id: str | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {PARTNER_COLUMNS} FROM partners"  # noqa: S608
        " WHERE ($1::text IS NULL OR partner_id = $1) AND ($2::text IS NULL OR region = $2)"
        " ORDER BY partner_id",
        partner_id,
        region,
    )
    return [dict(r) for r in rows]


async def partner(conn: asyncpg.Connection, partner_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {PARTNER_COLUMNS} FROM partners WHERE partner_id = $1",  # noqa: S608
        partner_id,
    )
    return dict(row) if row else None


async def insert_partner(conn: asyncpg.Connection, values: dict[str, Any]) -> bool:
    """False when the id is taken."""
    inserted = await conn.fetchval(
        f"INSERT INTO partners ({PARTNER_COLUMNS})"  # noqa: S608
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (partner_id) DO NOTHING"
        " RETURNING true",
        *(values[name] for name in _VALUES),
    )
    return bool(inserted)


async def update_partner(conn: asyncpg.Connection, values: dict[str, Any]) -> bool:
    """False when there is no such partner."""
    updated = await conn.fetchval(
        "UPDATE partners SET name = $2, kind = $3, region = $4, province = $5, axes = $6,"
        " active_since = $7 WHERE partner_id = $1 RETURNING true",
        *(values[name] for name in _VALUES),
    )
    return bool(updated)
