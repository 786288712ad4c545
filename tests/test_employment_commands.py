"""The employment service's command line as a deployment runs it: ``migrate`` (twice: the
second is a no-op), then ``serve`` answering its probes and its API, and stopping on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
import httpx
from franoi_devenv import free_port

from tests.support import auth_header, eventually

BIN = Path(sys.executable).parent


async def _run(*argv: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_migrate_then_serve(databases, kafka_bootstrap, kafka_idempotent) -> None:
    database_url = await databases.create("employment")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")},
        "FRANOI_DATABASE_URL": database_url,
        "FRANOI_PARTNER_ID": "p24",
        "FRANOI_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "FRANOI_KAFKA_IDEMPOTENT_PRODUCER": str(kafka_idempotent).lower(),
        "FRANOI_HTTP_PORT": str(port),
        "FRANOI_RELAY_ENABLED": "false",
    }
    for _ in range(2):
        code, output = await _run(str(BIN / "franoi-employment"), "migrate", env=env)
        assert code == 0, output
    conn = await asyncpg.connect(database_url)
    try:
        applied = await conn.fetch("SELECT component, version FROM schema_migrations")
        assert {(r["component"], r["version"]) for r in applied} >= {
            ("outbox", 1), ("outbox", 2), ("employment", 1),
        }  # fmt: skip
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        assert {"consultations", "internships", "hires", "skills_assessments"} <= tables
    finally:
        await conn.close()

    server = await asyncio.create_subprocess_exec(
        str(BIN / "franoi-employment"), "serve", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                try:
                    response = await client.get("/readyz")
                except httpx.TransportError:
                    return False
                return response.status_code == 200

            await eventually(ready, timeout_s=60, interval_s=0.2)
            response = await client.get("/v1/hires", headers=auth_header("p24"))
            assert response.status_code == 200, response.text
            assert response.json()["total"] == 0
    finally:
        server.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(server.wait(), 60)
    # uvicorn shuts down gracefully, then re-raises the signal it handled
    assert code in (0, -signal.SIGTERM)
