"""After the faults: ``franoi-projection rebuild --no-switch`` builds the read model again
from the topics into a new generation, and every table is compared with the live one, row
by row (``EXCEPT ALL`` both ways).

Not compared: what a rebuild cannot know or numbers its own way -- when each event arrived
(``processed_at``, carried over only when a rebuild switches), the order dead letters were
numbered in, when migrations ran, and what the running consumers say of themselves.
"""

from __future__ import annotations

import asyncio

from franoi_devenv.service_processes import BIN
from franoi_projection.adapters.generations import active_generation, generations
from franoi_projection.rebuild import CHECK_TABLES

from franoi_benchmarks.faults.parts import CONSUMER_GROUP, Network

EXCLUDED_COLUMNS = {
    "schema_migrations": {"applied_at"},
    "dead_letters": {"id", "recorded_at", "dead_lettered_at"},
    "erased_persons": {"recorded_at"},
    "processed_events": {"processed_at"},
}
NOT_COMPARED = {"consumer_reports", "partner_activity", *CHECK_TABLES}


async def rebuild_and_compare(network: Network, timeout_s: float = 300.0) -> dict[str, int]:
    """Rows that differ between the rebuilt generation and the live one, by table (an
    empty answer: identical)."""
    env = dict(network.projection.env)
    process = await asyncio.create_subprocess_exec(
        str(BIN / "franoi-projection"), "rebuild", "--no-switch", "--max-lag", "0",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), timeout_s)
    if process.returncode != 0:
        raise RuntimeError(f"rebuild failed ({process.returncode}): {err.decode()[-2000:]}")
    conn = await network.database("projection")
    try:
        live = (await active_generation(conn, CONSUMER_GROUP)).schema
        built = [g for g in await generations(conn, CONSUMER_GROUP) if g.state == "built"]
        if not built:
            raise RuntimeError("the rebuild left no built generation")
        rebuilt = built[-1].schema
        differences: dict[str, int] = {}
        for table in await _tables(conn, live):
            if table in NOT_COMPARED:
                continue
            columns = [
                c for c in await _columns(conn, live, table)
                if c not in EXCLUDED_COLUMNS.get(table, set())
            ]  # fmt: skip
            listed = ", ".join(f'"{c}"' for c in columns)
            a, b = f'"{live}"."{table}"', f'"{rebuilt}"."{table}"'
            differing = await conn.fetchval(
                f"SELECT count(*) FROM ((SELECT {listed} FROM {a} EXCEPT ALL"  # noqa: S608
                f" SELECT {listed} FROM {b}) UNION ALL (SELECT {listed} FROM {b}"
                f" EXCEPT ALL SELECT {listed} FROM {a})) d"
            )
            if differing:
                differences[table] = int(differing)
        return differences
    finally:
        await conn.close()


async def _tables(conn: object, schema: str) -> list[str]:
    rows = await conn.fetch(  # type: ignore[attr-defined]
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
        schema,
    )
    return [r["table_name"] for r in rows]


async def _columns(conn: object, schema: str, table: str) -> list[str]:
    rows = await conn.fetch(  # type: ignore[attr-defined]
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        schema,
        table,
    )
    return [r["column_name"] for r in rows]
