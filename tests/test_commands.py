"""The service commands as a deployment runs them: ``migrate`` as its own step, then a
worker on its own (``relay``) answering its probes and stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
import httpx
from franoi_devenv import free_port

from tests.support import eventually, run_command

BIN = Path(sys.executable).parent


async def test_migrate_then_relay_on_its_own(databases, kafka_bootstrap, kafka_idempotent) -> None:
    database_url = await databases.create("housing")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")},
        "FRANOI_DATABASE_URL": database_url,
        "FRANOI_PARTNER_ID": "p19",
        "FRANOI_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "FRANOI_KAFKA_IDEMPOTENT_PRODUCER": str(kafka_idempotent).lower(),
        "FRANOI_HTTP_PORT": str(port),
    }
    code, output = await run_command(str(BIN / "franoi-housing"), "migrate", env=env)
    assert code == 0, output
    conn = await asyncpg.connect(database_url)
    try:
        applied = await conn.fetch("SELECT component, version FROM schema_migrations")
        assert {(r["component"], r["version"]) for r in applied} >= {("outbox", 1), ("housing", 1)}
    finally:
        await conn.close()
    code, output = await run_command(str(BIN / "franoi-housing"), "migrate", env=env)
    assert code == 0, output  # applying again is a no-op

    relay = await asyncio.create_subprocess_exec(
        str(BIN / "franoi-housing"), "relay", env=env,
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
            body = (await client.get("/readyz")).json()
            assert body["checks"]["database"] == "ok"
            assert (await client.get("/healthz")).json() == {"status": "ok"}
    finally:
        relay.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(relay.wait(), 60)
    assert code == 0
