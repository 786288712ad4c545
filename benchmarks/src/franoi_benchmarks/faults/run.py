"""One suite: a network started, its scenarios one after the other (writers writing, poison
going out, the scenario's faults injected), the checks after each, a rebuild compared at the
end, every process ended."""

from __future__ import annotations

import random
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings

from franoi_benchmarks.faults.checks import Figures, check, summary
from franoi_benchmarks.faults.parts import OTHER_PARTNER, PARTNER, Network, Topology
from franoi_benchmarks.faults.rebuild import rebuild_and_compare
from franoi_benchmarks.faults.scenarios import Faults, Scenario
from franoi_benchmarks.faults.traffic import Ledger, Poisoner, Writers
from franoi_benchmarks.stats import progress
from franoi_benchmarks.stats import summary as latency_summary


@dataclass
class ScenarioResult:
    name: str
    promise: str
    seconds: float
    commands: int
    """Commands acknowledged during this scenario."""
    faults: Counter[str]
    figures: Figures
    """Checked over everything written so far in the suite."""
    probes_asked: int
    probe_lies: list[str]

    @property
    def problems(self) -> list[str]:
        return [*self.figures.problems, *(f"probe: {lie}" for lie in self.probe_lies)]


@dataclass
class SuiteResult:
    name: str
    topology: Topology
    scenarios: list[ScenarioResult] = field(default_factory=list)
    rebuild_differences: dict[str, int] | None = None
    memory_start_kib: dict[str, int] = field(default_factory=dict)
    memory_end_kib: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    error: str | None = None

    @property
    def problems(self) -> list[str]:
        found = [f"{s.name}: {p}" for s in self.scenarios for p in s.problems]
        if self.rebuild_differences:
            found.append(f"rebuild differs from the live read model: {self.rebuild_differences}")
        if self.error:
            found.append(self.error)
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.name,
            "topology": self.topology.describe(),
            "seconds": round(self.seconds, 1),
            "scenarios": [
                {
                    "name": s.name,
                    "promise": s.promise,
                    "seconds": s.seconds,
                    "commands acknowledged": s.commands,
                    "faults injected": dict(s.faults),
                    "probes asked": s.probes_asked,
                    "probe lies": s.probe_lies,
                    "checked (cumulative)": summary(s.figures),
                    "poison reasons": s.figures.poison_reasons,
                    "problems": s.problems,
                }
                for s in self.scenarios
            ],
            "rebuild identical": self.rebuild_differences == {},
            "rebuild differences": self.rebuild_differences,
            "restarts by the supervisor": self.restarts,
            "command latency ms": self.latency_ms,
            "answers": dict(self.answers),
            "memory at start MiB": _mib(self.memory_start_kib),
            "memory at end MiB": _mib(self.memory_end_kib),
            "problems": self.problems,
        }


def _mib(sizes: dict[str, int]) -> dict[str, float]:
    return {name: round(kib / 1024, 1) for name, kib in sizes.items()}


def worker_headers() -> dict[str, str]:
    token = mint_token(
        AuthSettings(), subject="faults", partner_id=PARTNER, roles=["social_worker"]
    )
    return {"Authorization": f"Bearer {token}"}


async def run_suite(
    name: str,
    topology: Topology,
    scenarios: list[Scenario],
    seconds: float,
    *,
    seed: int = 1,
    concurrency: int = 4,
    rebuild: bool = True,
    work_dir: Path | None = None,
) -> SuiteResult:
    """Start the network, run ``scenarios`` for ``seconds`` each, check, stop everything."""
    began = time.monotonic()
    result = SuiteResult(name, topology)
    rng = random.Random(seed)  # noqa: S311 - the faults' moments, not a secret
    work = work_dir or Path(tempfile.mkdtemp(prefix="franoi-faults-"))
    network = Network(topology, work / name.replace(" ", "-"))
    progress(f"{name}: starting {topology.describe()}")
    try:
        await network.start()
        result.memory_start_kib = network.memory_kib()
        ledger = Ledger()
        poisoner = Poisoner(network.kafka, PARTNER, OTHER_PARTNER, every=100)
        writers = Writers(
            network.api_urls, worker_headers(), ledger, concurrency, rng,
            on_acknowledged=poisoner.acknowledged,
        )  # fmt: skip
        for scenario in scenarios:
            progress(f"{name}: {scenario.name} for {seconds:.0f} s")
            faults = Faults()
            before = ledger.acknowledged
            writers.start()
            poisoner.start()
            try:
                await scenario.inject(network, faults, time.monotonic() + seconds, rng)
            finally:
                await writers.stop()
                await poisoner.stop()
            figures = await check(network, ledger, poisoner.sent, timeout_s=120)
            outcome = ScenarioResult(
                scenario.name, scenario.promise, seconds, ledger.acknowledged - before,
                faults.injected, figures, len(faults.probes), faults.lies,
            )  # fmt: skip
            result.scenarios.append(outcome)
            progress(f"{name}: {scenario.name}: {summary(figures)}")
            for problem in outcome.problems:
                progress(f"  PROBLEM {problem}")
        result.memory_end_kib = network.memory_kib()
        result.restarts = {p.name: p.restarts for p in network.parts.values() if p.restarts}
        result.answers = ledger.answers
        if ledger.latencies_ms:
            result.latency_ms = latency_summary(ledger.latencies_ms)
        if rebuild:
            progress(f"{name}: rebuilding the projection from the topics")
            result.rebuild_differences = await rebuild_and_compare(network)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        progress(f"{name}: FAILED {result.error}\n{traceback.format_exc()}")
    finally:
        progress(f"{name}: stopping the network")
        await network.close()
        result.seconds = time.monotonic() - began
    return result
