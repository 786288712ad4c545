"""The local network runner on the memory-only broker: ``franoi-devnet`` with Tansu brings
up a working network (embedded PostgreSQL, every partner service, projection, desks), records
a small demo and stops by itself. ``tests/test_demo.py`` runs the README's command as
written (Apache Kafka, the full demo)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import sys
from pathlib import Path

import httpx

from tests.support import eventually

DEVNET = Path(sys.executable).parent / "franoi-devnet"


async def test_local_network_runs_end_to_end(tmp_path: Path) -> None:
    from franoi_devenv.process import free_ports

    port = free_ports(10)  # projection, 2 housing, 2 cases, 3 shared, 2 desks
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRANOI_DEV_")}
    process = await asyncio.create_subprocess_exec(
        str(DEVNET), "--partners", "p01,p02", "--scale", "0.05", "--seconds", "150",
        "--port", str(port), "--kafka", "tansu",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    output: list[str] = []
    try:
        analyst = None
        while analyst is None:
            line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
            assert line, "devnet exited early:\n" + "".join(output)
            output.append(line)
            match = re.match(r"\s+export ANALYST=(\S+)", line)
            if match:
                analyst = match.group(1)
        while "/v1/housing/monthly" not in output[-1]:
            output.append((await asyncio.wait_for(process.stdout.readline(), 60)).decode())
        today = dt.date.today()
        span = {"from": f"{today.year - 3}-{today.month:02d}", "to": today.strftime("%Y-%m")}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def demo_visible() -> bool:
                response = await client.get(
                    "/v1/network/key-numbers",
                    params=span,
                    headers={"Authorization": f"Bearer {analyst}"},
                )
                rows = {r["indicator_id"]: r["value"] for r in response.json()["rows"]}
                return bool(rows["housing_requests_submitted"] and rows["cases_plans_opened"])

            await eventually(demo_visible, timeout_s=90, interval_s=0.5)

            # The dashboard's address carries the analyst's token; the public page needs none.
            dashboard = next(line.split()[-1] for line in output if "/dashboard/#token=" in line)
            public = next(line.split()[-1] for line in output if line.rstrip().endswith("/public/"))
            assert dashboard.endswith(f"#token={analyst}")
            page = await client.get(dashboard.split("#")[0])
            assert page.status_code == 200 and "Fra Noi" in page.text
            assert (await client.get(public)).status_code == 200

        # Every service it lists answers (cases, housing, employment, hosting, events).
        docs = [w for line in output for w in line.split() if w.endswith("/docs")]
        assert len(docs) == 8, docs
        async with httpx.AsyncClient() as client:
            for url in docs:
                assert (await client.get(url)).status_code == 200, url
        names = {line.split()[0] for line in output if line.strip().endswith("/docs")}
        assert {"cases", "housing", "employment", "hosting", "events"} <= names, names

        # Each partner's desk answers with its sign-in page.
        desks = [line.split()[-1] for line in output if line.strip().startswith("desk (")]
        assert len(desks) == 2, output
        async with httpx.AsyncClient() as client:
            for url in desks:
                signin = await client.get(url, follow_redirects=True)
                assert signin.status_code == 200 and 'action="/signin"' in signin.text, url

        # The welcome text works when pasted into a fresh shell: export lines, then curl.
        exports = [line.strip() for line in output if line.strip().startswith("export ")]
        curls = [line.strip() for line in output if line.strip().startswith("curl ")]
        assert len(exports) == 3 and len(curls) >= 2
        script = "\n".join(
            [*exports, *(c.replace("curl ", "curl -sf -o /dev/null ", 1) for c in curls)]
        )
        shell = await asyncio.create_subprocess_exec(
            "bash", "-euc", script, env={"PATH": os.environ["PATH"]},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        pasted = (await asyncio.wait_for(shell.communicate(), 60))[0].decode()
        assert shell.returncode == 0, pasted
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0
    # What Tansu cannot answer (the consumer lag) degrades quietly: no error in the log.
    output.append((await process.stdout.read()).decode())
    errors = [line for line in "".join(output).splitlines() if '"level": "ERROR"' in line]
    assert errors == [], errors[:3]


def test_the_help_says_what_runs_per_partner() -> None:
    """``franoi-devnet --help`` and ``scripts/network`` say what the run above shows: cases,
    housing and the desk per partner; employment, hosting and events shared."""
    from franoi_network.devnet import __doc__ as help_text

    root = Path(__file__).resolve().parent.parent
    network = (root / "scripts" / "network").read_text(encoding="utf-8")
    comments = " ".join(line.lstrip("# ") for line in network.splitlines() if line.startswith("#"))
    for text in (help_text or "", comments):
        said = " ".join(text.split())
        assert "for each partner its own cases and housing services and its desk" in said, said
        assert "employment, hosting and events services, one instance shared" in said, said
        assert "one housing service per partner" not in said
