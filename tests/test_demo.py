"""The local network as the README starts it: `./scripts/network` comes up with the demo,
the demo's history reaches the projection through the real pipeline, every key number is
non-zero and each one the demo tallies equals what it recorded, the pages show it, the log
has no error line, and Ctrl-C stops everything.

With ``FRANOI_DOCS_SCREENSHOTS=1`` (``scripts/demo-screenshots``) the pages' screenshots
are also written to ``docs/images/`` for the README and the users' guides.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings
from franoi_network.demo.people import WORKERS
from playwright.async_api import Browser, expect

from tests.browser import EXPECT_TIMEOUT_MS, SCREENSHOTS, watched_page

ROOT = Path(__file__).resolve().parent.parent
DOCS_IMAGES = ROOT / "docs" / "images"
UP_WITHIN_S = 240
DEMO_WITHIN_S = 600
CAUGHT_UP_WITHIN_S = 180
MARK = "FRANOI_TEST_NETWORK_MARK"


def _free_port_block(size: int = 24) -> int:
    """A base port with ``size`` free ports after it (the network takes consecutive ones)."""
    for base in range(21000, 40000, 97):
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports on loopback")


class Network:
    def __init__(
        self, process: subprocess.Popen[str], out: Path, err: Path, work: Path, mark: str
    ) -> None:
        self.process, self.out, self.err, self.work, self.mark = process, out, err, work, mark

    def printed(self) -> str:
        return self.out.read_text(errors="replace")

    def logged(self) -> str:
        return self.err.read_text(errors="replace")

    def url(self, label: str) -> str:
        match = re.search(rf"{re.escape(label)}\s+(http://127\.0\.0\.1:\d+\S*)", self.printed())
        assert match, f"{label!r} not printed:\n{self.printed()}"
        return match.group(1)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    work = tmp_path_factory.mktemp("network")
    out, err = work / "stdout.txt", work / "stderr.txt"
    command = [
        str(ROOT / "scripts" / "network"),
        "--port", str(_free_port_block()),
        "--demo-report", str(work / "demo.json"),
        "--target", str(work / "network.json"),
    ]  # fmt: skip
    mark = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRANOI_DEV_")}
    env[MARK] = mark
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            command, stdout=stdout, stderr=stderr, text=True, cwd=ROOT, env=env,
            start_new_session=True,
        )  # fmt: skip
    running = Network(process, out, err, work, mark)
    try:
        deadline = time.monotonic() + UP_WITHIN_S
        while "Open in a browser" not in running.printed():
            assert process.poll() is None, f"the network ended:\n{running.logged()[-3000:]}"
            assert time.monotonic() < deadline, f"not up in {UP_WITHIN_S} s"
            time.sleep(0.5)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def _demo_report(network: Network) -> dict[str, Any]:
    report = network.work / "demo.json"
    deadline = time.monotonic() + DEMO_WITHIN_S
    while not report.exists():
        assert network.process.poll() is None, network.logged()[-3000:]
        assert time.monotonic() < deadline, f"the demo did not finish in {DEMO_WITHIN_S} s"
        time.sleep(1)
    result: dict[str, Any] = json.loads(report.read_text())
    return result


def _analyst() -> dict[str, str]:
    token = mint_token(
        AuthSettings(), subject="analyst", partner_id="consortium", roles=["consortium_analyst"]
    )
    return {"Authorization": f"Bearer {token}"}


def _caught_up(projection: str) -> None:
    """Until the projection has applied every event on the partners' topics."""
    deadline = time.monotonic() + CAUGHT_UP_WITHIN_S
    while True:
        lag = httpx.get(f"{projection}/v1/consumer/lag", headers=_analyst(), timeout=30)
        if lag.status_code == 200 and lag.json()["total"] == 0:
            return
        assert time.monotonic() < deadline, f"lag still {lag.text} after {CAUGHT_UP_WITHIN_S} s"
        time.sleep(1)


def test_the_demo_is_recorded_through_the_apis_and_adds_up_in_the_key_numbers(
    network: Network,
) -> None:
    report = _demo_report(network)
    assert report["refused"] == [], report["refused"][:5]
    assert report["sent"] == report["calls"] > 3000
    assert report["late_entries"] > 0
    projection = json.loads((network.work / "network.json").read_text())["projection"]
    _caught_up(projection)
    answer = httpx.get(
        f"{projection}/v1/network/key-numbers",
        params={"from": report["first_day"][:7], "to": report["last_day"][:7]},
        headers=_analyst(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    rows = {row["indicator_id"]: row["value"] for row in answer.json()["rows"]}
    assert len(rows) >= 30
    assert [k for k, v in rows.items() if not v] == [], "every key number shows something"
    expected = report["expected_key_numbers"]
    assert len(expected) >= 28
    mismatched = {
        k: (rows[k], v) for k, v in expected.items() if rows[k] != pytest.approx(v, abs=1e-3)
    }
    assert mismatched == {}, "figure: (projection, recorded)"


async def test_the_pages_show_the_demo(network: Network, browser: Browser) -> None:
    _demo_report(network)
    dashboard, public = network.url("dashboard (consortium)"), network.url("public page")
    desk = network.url("desk (social workers) p01")
    shots: list[Path] = []
    async with watched_page(browser) as page:
        page.set_default_timeout(EXPECT_TIMEOUT_MS)
        await page.goto(dashboard)
        await expect(page.locator("main")).to_contain_text("Richieste abitative")
        await page.wait_for_load_state("networkidle")
        shots.append(SCREENSHOTS / "demo-dashboard-it.png")
        await page.screenshot(path=str(shots[-1]), full_page=True)
        await page.goto(public)
        await page.wait_for_load_state("networkidle")
        shots.append(SCREENSHOTS / "demo-public-it.png")
        await page.screenshot(path=str(shots[-1]), full_page=True)
        await page.goto(desk)
        await page.get_by_label("Il tuo nome").fill(WORKERS[0])
        await page.get_by_role("button", name="Entra").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("I miei casi")
        # The demo's plans are followed by named workers: hers are on her desk.
        await expect(page.locator("main")).not_to_contain_text("Nessun progetto aperto a tuo nome")
        await expect(page.locator("main")).not_to_contain_text("Nessuna attività aperta a tuo nome")
        await page.wait_for_load_state("networkidle")
        shots.append(SCREENSHOTS / "demo-desk-it.png")
        await page.screenshot(path=str(shots[-1]), full_page=True)
    if os.environ.get("FRANOI_DOCS_SCREENSHOTS") == "1":
        for shot in shots:
            shutil.copy(shot, DOCS_IMAGES / shot.name)
    assert all(s.stat().st_size > 10_000 for s in shots)


def _marked(mark: str) -> dict[int, str]:
    """The processes (pid: command) whose environment carries the network's mark: every
    process it started inherits it, its broker and PostgreSQL (daemonised) included."""
    needle = f"{MARK}={mark}".encode()
    found = {}
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if needle in environ.read_bytes().split(b"\0"):
                found[int(environ.parent.name)] = (environ.parent / "comm").read_text().strip()
    return found


def test_a_clean_run_logs_no_error_and_ctrl_c_stops_everything(network: Network) -> None:
    _demo_report(network)
    running = _marked(network.mark)
    assert {"java", "postgres"} <= set(running.values()), running
    network.process.send_signal(signal.SIGINT)
    assert network.process.wait(90) == 0, network.logged()[-3000:]
    time.sleep(1)
    assert _marked(network.mark) == {}, "still running after Ctrl-C"
    log = network.logged()
    errors = [
        line for line in log.splitlines() if '"level": "ERROR"' in line or "Traceback" in line
    ]
    assert errors == [], errors[:5]
    assert "stopping the network" in log
