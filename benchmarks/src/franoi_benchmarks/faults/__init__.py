"""``franoi-faults``: the platform's promises checked under faults, on real PostgreSQL and
Apache Kafka, every part a process of its own on loopback.

Two suites, each on a network of its own (:mod:`~.parts`):

* ``single`` -- one broker; one partner's housing API with two relays of their own; the
  projection's API with two consumers of their own. Scenarios: relays killed (SIGKILL) at
  random moments, many times, during writes; consumers killed mid-batch; the broker stopped
  and killed; the partner's PostgreSQL stopped with ``-m immediate`` and started again;
  poison only.
* ``scale-out`` -- a three-broker cluster (replication factor 3, ``min.insync.replicas=2``),
  topics of six partitions; three API replicas of one partner's housing service, each with
  its relay, and two relays of their own; three consumers in one group. Scenarios: API
  replicas and relays killed; consumers killed; a broker killed and partition leaders moved;
  brokers killed and stopped.

In every scenario 1 % of the messages on the partner's topic are poison (a payload cut
short, data that breaks the contract, a missing CloudEvents header, another partner's
event). After each scenario the checks (:mod:`~.checks`) compare the topic, the outbox, the
read model and the dead letters with the ledger of what the APIs acknowledged, and the
probes are asked what they say (:mod:`~.scenarios`); after the last one the projection is
rebuilt from the topics and compared with the live read model (:mod:`~.rebuild`).

    franoi-faults                   # the full run: both suites, 45 s per scenario
    franoi-faults --short           # the short form (CI): fewer scenarios, 3 s each
    franoi-faults --suite single --seconds 20 --json faults.json

Exit status 0 when every promise held; the report (JSON) on stdout or in ``--json``;
progress on stderr. docs/reliability.md explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from franoi_benchmarks.faults.parts import Topology
from franoi_benchmarks.faults.run import SuiteResult, run_suite
from franoi_benchmarks.faults.scenarios import SCALE_OUT, SINGLE, Scenario

SUITES = {
    "single": (Topology(brokers=1, partitions=3, apis=1, relays=2, consumers=2), SINGLE),
    "scale-out": (
        Topology(brokers=3, partitions=6, apis=3, relay_in_api=True, relays=2, consumers=3),
        SCALE_OUT,
    ),
}
FULL_SECONDS = 45.0
SHORT_SECONDS = 3.0
SHORT_LEAVES_OUT = {"poison messages", "brokers killed and stopped", "consumers killed"}
"""The short form leaves out the scenarios whose faults others have too: poison goes out in
every scenario, a broker of the cluster is killed in "broker killed, leader moved", the
single suite kills consumers (and the scale-out's three consumers share every scenario)."""


def short_scenarios(suite: str) -> list[Scenario]:
    """The scenarios of ``suite``'s short form."""
    return [s for s in SUITES[suite][1] if s.name not in SHORT_LEAVES_OUT]


async def run(
    suites: Sequence[str],
    seconds: float,
    seed: int,
    timeout_s: float,
    work_dir: Path | None,
    short: bool = False,
    only: Sequence[str] = (),
) -> list[SuiteResult]:
    results = []
    async with asyncio.timeout(timeout_s):
        for name in suites:
            topology, every = SUITES[name]
            scenarios = short_scenarios(name) if short else every
            if only:
                scenarios = [s for s in scenarios if s.name in only]
            if not scenarios:
                continue
            results.append(
                await run_suite(name, topology, scenarios, seconds, seed=seed, work_dir=work_dir)
            )
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="franoi-faults", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--short", action="store_true", help="the short form (CI)")
    parser.add_argument(
        "--suite", action="append", choices=sorted(SUITES), help="run only this suite (again: more)"
    )
    parser.add_argument(
        "--scenario", action="append", default=[], metavar="NAME",
        help="run only this scenario (again: more), e.g. 'relay killed'",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, help="seconds of writing per scenario")
    parser.add_argument("--seed", type=int, default=1, help="the faults' random seed")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="the whole run's bound in seconds"
    )
    parser.add_argument("--json", type=Path, help="write the report to this file too")
    parser.add_argument("--work-dir", type=Path, help="keep the parts' logs here")
    args = parser.parse_args(argv)
    seconds = args.seconds or (SHORT_SECONDS if args.short else FULL_SECONDS)
    suites = args.suite or list(SUITES)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the faults make it talk
    work = args.work_dir
    results = asyncio.run(
        run(suites, seconds, args.seed, args.timeout, work, short=args.short, only=args.scenario)
    )
    report = json.dumps([r.as_dict() for r in results], indent=2)
    print(report)
    if args.json is not None:
        args.json.write_text(report + "\n")
    raise SystemExit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
