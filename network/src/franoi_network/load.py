"""``franoi-load``: the local network held under a sustained mixed load, and what it costs.

Starts the local network (``franoi-devnet --no-demo``, every partner's services, desks and
the projection, on PostgreSQL and Apache Kafka, on free loopback ports) in a process of its
own, then for ``--seconds``, all at once:

* the partners' services write: the demo (:mod:`franoi_network.demo`) recorded again and
  again, each time with another seed and a smaller scale, through every partner's APIs;
* a social worker reads at the desk: signed in at the first partner's desk, its working
  pages one after the other;
* the dashboard reads: the analyst's key numbers, indicators, monthly views and the
  consumer's status, one after the other;
* the dashboard's live stream stays open and counts what it is sent.

It reports the latency percentiles of each kind of read, the writes per second, the
projection's lag (sampled every 5 s: its largest value), and the memory of every process
of the network -- the services' Python process, PostgreSQL, Apache Kafka; resident memory
with shared pages divided among the processes sharing them (PSS), so that PostgreSQL's
processes add up -- after the warm-up and at the end, with the bound on growth it holds
them to (:func:`memory_bound`). Exit status 0 when the bound holds, no write was
refused and the projection caught up at the end.

    franoi-load                     # 10 minutes
    franoi-load --seconds 60 --json load.json

Every process it starts is ended by its pid; traffic goes to loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings
from franoi_devenv import LocalPostgres
from franoi_devenv.process import descendants, end, free_ports, log_tail, memory_kib

from franoi_network.demo.cli import record_demo
from franoi_network.demo.record import NetworkTarget

PARTNERS = ("p01", "p02", "p03")
SHARED_SERVICES = 3
"""employment, hosting and events: one instance for every partner (franoi-devnet)."""
MEMORY_GROWTH_BOUND = 1.5
"""A process may end the run with at most this many times the memory it had after the
warm-up (plus :data:`MEMORY_SLACK_MIB`, for the small ones)."""
MEMORY_SLACK_MIB = 64
SHARED_BUFFERS_MIB = 128
"""PostgreSQL's shared buffers (its default): they become resident as they fill, which is
its cache warming, not a leak -- PostgreSQL's bound allows them on top."""

WARM_UP_S = 20.0
DEMO_SCALE = 0.05
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
DESK_PAGES = ("/", "/persons", "/record")
DASHBOARD_READS = (
    "/v1/network/key-numbers",
    "/v1/network/indicators",
    "/v1/housing/monthly",
    "/v1/employment/monthly",
    "/v1/consumer/status",
)


def progress(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def memory_bound(part: str, after_warm_up: float) -> float:
    """The most memory (MiB) ``part`` may hold at the end of the run."""
    extra = SHARED_BUFFERS_MIB if part == "postgresql" else 0
    return after_warm_up * MEMORY_GROWTH_BOUND + MEMORY_SLACK_MIB + extra


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Timings:
    values_ms: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, ms: float) -> None:
        self.values_ms.setdefault(kind, []).append(ms)

    def fail(self, kind: str) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + 1

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            kind: {
                "n": len(v),
                "p50_ms": round(percentile(v, 0.5), 1),
                "p95_ms": round(percentile(v, 0.95), 1),
                "p99_ms": round(percentile(v, 0.99), 1),
                "max_ms": round(max(v), 1),
            }
            for kind, v in sorted(self.values_ms.items())
        }


# --- processes and their memory -----------------------------------------------------------


def memory_by_part(root: int, postgres: int) -> dict[str, float]:
    """The memory (MiB, proportional set size: shared pages divided among the processes
    sharing them) of the network's processes: the services' Python process, PostgreSQL (the
    postmaster ``postgres`` and every server process under it, together), Apache Kafka."""
    sizes: dict[str, float] = {}
    for pid in [*descendants(root), *descendants(postgres)]:
        with contextlib.suppress(OSError):
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            part = (
                "services (python)" if pid == root
                else "postgresql" if name.startswith("postgres")
                else "apache kafka" if name == "java"
                else name
            )  # fmt: skip
            sizes[part] = round(sizes.get(part, 0.0) + memory_kib(pid) / 1024, 1)
    return sizes


# --- the load ------------------------------------------------------------------------------


async def write(target: NetworkTarget, stop: asyncio.Event, outcome: dict[str, Any]) -> None:
    """The demo again and again, a new seed each time, until told to stop."""
    seed = 100
    while not stop.is_set():
        began = time.monotonic()
        report = await record_demo(
            target, list(PARTNERS), seed=seed, scale=DEMO_SCALE, years=1, show_progress=False
        )
        outcome["calls"] += report.calls
        outcome["refused"] += len(report.refused)
        outcome["seconds"] += time.monotonic() - began
        outcome["rounds"] += 1
        seed += 1


async def read_desk(url: str, stop: asyncio.Event, timings: Timings) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        page = await client.get("/signin")
        token = CSRF.search(page.text)
        assert token is not None, "no CSRF token on the desk's sign-in page"
        signed = await client.post(
            "/signin",
            data={"csrf": token.group(1), "name": "Operatrice di prova", "partner_id": PARTNERS[0],
                  "role": "social_worker"},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text[:300]
        while not stop.is_set():
            for path in DESK_PAGES:
                await _timed(client, path, f"desk {path}", timings, {})
            await asyncio.sleep(0.2)


async def read_dashboard(url: str, stop: asyncio.Event, timings: Timings, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while not stop.is_set():
            for path in DASHBOARD_READS:
                await _timed(client, path, f"dashboard {path}", timings, headers)
            await asyncio.sleep(0.2)


async def _timed(
    client: httpx.AsyncClient, path: str, kind: str, timings: Timings, headers: dict[str, str]
) -> None:
    began = time.perf_counter()
    try:
        answer = await client.get(path, headers=headers)
    except httpx.TransportError:
        timings.fail(kind)
        return
    if answer.status_code == 200:
        timings.add(kind, (time.perf_counter() - began) * 1000)
    else:
        timings.fail(kind)


async def follow_stream(url: str, token: str, seen: list[float]) -> None:
    """The dashboard's live stream: when each update came."""
    async with (
        httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10, read=None)) as client,
        client.stream(
            "GET", "/v1/network/stream", headers={"Authorization": f"Bearer {token}"}
        ) as answer,
    ):
        async for line in answer.aiter_lines():
            if line.startswith("data: "):
                seen.append(time.monotonic())


async def sample_lag(
    url: str, token: str, stop: asyncio.Event, samples: list[tuple[float, int]]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.TransportError):
                answer = await client.get("/v1/consumer/lag", headers=headers)
                if answer.status_code == 200:
                    samples.append((time.monotonic() - began, int(answer.json()["total"])))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)


async def hold(
    base: int, target: NetworkTarget, seconds: float, root: int, postgres: int
) -> dict[str, Any]:
    auth = AuthSettings()
    analyst = mint_token(
        auth, subject="load", partner_id="consortium", roles=["consortium_analyst"]
    )
    desk_url = f"http://127.0.0.1:{base + 1 + 2 * len(PARTNERS) + SHARED_SERVICES}"
    stop = asyncio.Event()
    timings = Timings()
    writes: dict[str, Any] = {"calls": 0, "refused": 0, "seconds": 0.0, "rounds": 0}
    streamed: list[float] = []
    lag: list[tuple[float, int]] = []
    stream = asyncio.create_task(follow_stream(target.projection, analyst, streamed))
    tasks = [
        asyncio.create_task(write(target, stop, writes)),
        asyncio.create_task(read_desk(desk_url, stop, timings)),
        asyncio.create_task(read_dashboard(target.projection, stop, timings, analyst)),
        asyncio.create_task(sample_lag(target.projection, analyst, stop, lag)),
    ]
    began = time.monotonic()
    await asyncio.sleep(min(WARM_UP_S, seconds / 4))
    memory_start = memory_by_part(root, postgres)
    progress(f"after the warm-up: {memory_start}")
    await asyncio.sleep(max(0.0, seconds - (time.monotonic() - began)))
    stop.set()
    progress("stopping the load (the demo's round in progress ends first)")
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    caught_up_s = await _caught_up(target.projection, analyst, 300)
    memory_end = memory_by_part(root, postgres)
    stream.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stream
    within = {
        part: memory_end.get(part, 0.0) <= memory_bound(part, size)
        for part, size in memory_start.items()
    }
    gaps = [b - a for a, b in itertools.pairwise(streamed)]
    return {
        "seconds": round(elapsed, 1),
        "writes": {
            **writes,
            "calls_per_s": round(writes["calls"] / max(writes["seconds"], 1e-9), 1),
        },
        "reads": timings.summary(),
        "read failures": timings.failures,
        "stream updates": len(streamed),
        "stream longest silence s": round(max(gaps), 1) if gaps else None,
        "lag max": max((n for _, n in lag), default=None),
        "lag samples": len(lag),
        "caught up after the load s": caught_up_s,
        "memory after warm-up MiB": memory_start,
        "memory at end MiB": memory_end,
        "memory bound MiB": {p: round(memory_bound(p, mib)) for p, mib in memory_start.items()},
        "memory within bound": within,
    }


async def _caught_up(url: str, token: str, timeout_s: float) -> float | None:
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while time.monotonic() - began < timeout_s:
            with contextlib.suppress(httpx.TransportError):
                answer = await client.get(
                    "/v1/consumer/lag", headers={"Authorization": f"Bearer {token}"}
                )
                if answer.status_code == 200 and answer.json()["total"] == 0:
                    return round(time.monotonic() - began, 1)
            await asyncio.sleep(1)
    return None


async def run(seconds: float, work: Path) -> dict[str, Any]:
    span = 2 + 3 * len(PARTNERS) + SHARED_SERVICES + 2
    base = free_ports(span)
    target_file = work / "network.json"
    log_path = work / "devnet.log"
    argv = [
        str(Path(sys.executable).parent / "franoi-devnet"),
        "--no-demo", "--kafka", "apache-kafka", "--port", str(base),
        "--partners", ",".join(PARTNERS), "--target", str(target_file),
    ]  # fmt: skip
    # The network's PostgreSQL is this run's own, so that its memory can be measured.
    postgres = LocalPostgres()
    await asyncio.to_thread(postgres.start)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRANOI_DEV_")}
    env["FRANOI_DEV_DATABASE_URL"] = postgres.url
    progress(f"starting the network on ports {base}..{base + span}")
    devnet = _start(argv, env, log_path)
    try:
        target = await _network_up(target_file, devnet, 300, log_path)
        progress(f"the network is up; {seconds:.0f} s of load")
        postmaster = int((postgres.socket_dir / "postmaster.pid").read_text().split()[0])
        return await hold(base, target, seconds, devnet.pid, postmaster)
    finally:
        progress("stopping the network")
        end(devnet, 60)
        await asyncio.to_thread(postgres.stop)


def _start(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )  # fmt: skip


def _target(path: Path) -> NetworkTarget | None:
    """The network's addresses once the runner has written them."""
    if not path.is_file() or not path.stat().st_size:
        return None
    try:
        return NetworkTarget.from_file(path)
    except ValueError:
        return None


async def _network_up(
    target_file: Path, devnet: subprocess.Popen[bytes], timeout_s: float, log_path: Path
) -> NetworkTarget:
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        if devnet.poll() is not None:
            raise RuntimeError(
                f"franoi-devnet ended with {devnet.returncode}:\n{log_tail(log_path)}"
            )
        target = _target(target_file)
        if target is not None:
            async with httpx.AsyncClient(timeout=5) as client:
                with contextlib.suppress(httpx.TransportError):
                    ready = await client.get(target.projection + "/readyz")
                    if ready.status_code == 200:
                        return target
        await asyncio.sleep(1)
    raise TimeoutError(f"the network was not up within {timeout_s:.0f} s:\n{log_tail(log_path)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="franoi-load", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=600.0, help="how long the load lasts")
    parser.add_argument("--json", type=Path, help="write the report to this file too")
    args = parser.parse_args(argv)
    if not 10 <= args.seconds <= 3600:
        parser.error("--seconds 10..3600")
    work = Path(tempfile.mkdtemp(prefix="franoi-load-"))
    report = asyncio.run(run(args.seconds, work))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    ok = (
        all(report["memory within bound"].values())
        and report["writes"]["refused"] == 0
        and report["caught up after the load s"] is not None
    )
    raise SystemExit(0 if ok else 1)
