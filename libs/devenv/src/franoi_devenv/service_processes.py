"""A service's command (``franoi-<service> serve|relay|consume|...``) in a process of its
own, on loopback, and its probes: what the outage tests and the fault runs share.

Each process is started by this module and ended by its pid (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

__all__ = ["BIN", "answering", "own_process", "probe", "worker_env"]

BIN = Path(sys.executable).parent
"""Where the services' commands are installed (next to this interpreter)."""


def worker_env(
    database_url: str, kafka_bootstrap: str, idempotent: bool, **more: str
) -> dict[str, str]:
    """The environment of a service process: this one's without any ``FRANOI_*`` variable,
    then the test settings, the database, the broker (metadata refreshed every 500 ms) and
    ``more`` as ``FRANOI_<NAME>``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")},
        "FRANOI_ENV": "test",
        "FRANOI_DATABASE_URL": database_url,
        "FRANOI_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "FRANOI_KAFKA_IDEMPOTENT_PRODUCER": str(idempotent).lower(),
        "FRANOI_KAFKA_METADATA_MAX_AGE_MS": "500",
        **{f"FRANOI_{name.upper()}": value for name, value in more.items()},
    }


@contextlib.asynccontextmanager
async def own_process(
    service: str, command: str, env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``franoi-<service> <command>`` in a process of its own, stopped with SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        str(BIN / f"franoi-{service}"), command, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def probe(url: str, path: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of ``GET url+path``."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        answer = await client.get(path)
    return answer.status_code, answer.json()


async def answering(url: str) -> bool:
    """Whether the process at ``url`` answers and says it is ready."""
    try:
        status, _ = await probe(url, "/readyz")
    except httpx.TransportError:
        return False
    return status == 200
