"""``franoi-demo``: records the demo history into a running network.

``franoi-demo --target network.json`` reads where the projection and each partner's
services answer (the local network runner writes that file and prints its path) and
records, through the partner APIs, a seeded multi-year history on the axes each partner
works on (from the projection's directory). ``--report`` writes what was sent, what was
refused and what the key numbers should add up to.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from franoi_common.settings import AuthSettings
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from franoi_network.demo.plan import DEFAULT_SIZES, plan_network
from franoi_network.demo.record import DemoReport, NetworkTarget, partner_profiles, record

DEFAULT_SCALE = 0.5
DEFAULT_SEED = 1


async def record_demo(
    target: NetworkTarget,
    partners: Sequence[str],
    *,
    seed: int = DEFAULT_SEED,
    scale: float = DEFAULT_SCALE,
    years: int = 3,
    today: dt.date | None = None,
    auth: AuthSettings | None = None,
    show_progress: bool = True,
) -> DemoReport:
    """Plans and records the demo, with a progress bar on standard error."""
    auth = auth or AuthSettings()
    sizes = {p: DEFAULT_SIZES[i % len(DEFAULT_SIZES)] for i, p in enumerate(partners)}
    profiles = await partner_profiles(target, partners, auth, sizes)
    plan = plan_network(
        profiles, today=today or dt.date.today(), years=years, scale=scale, seed=seed
    )
    with Progress(
        TextColumn("demo: recording {task.fields[span]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=None,
        disable=not show_progress,
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(
            "demo", total=plan.total_calls, span=f"{plan.first_day:%m/%Y}-{plan.last_day:%m/%Y}"
        )
        return await record(plan, target, auth=auth, progress=lambda n: bar.advance(task, n))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="franoi-demo", description=__doc__)
    parser.add_argument("--target", type=Path, required=True, help="the network's JSON file")
    parser.add_argument("--partners", help="comma-separated; default: every partner of the target")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--scale", type=float, default=DEFAULT_SCALE, help="1.0: partners as busy as a real project"
    )
    parser.add_argument("--years", type=int, default=3, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--report", type=Path, help="write the report (JSON) here")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 20:
        parser.error("--scale must be above 0 and at most 20")
    try:
        target = NetworkTarget.from_file(args.target)
    except (OSError, ValueError, KeyError) as error:
        parser.error(f"cannot read the target {args.target}: {error}")
    partners = args.partners.split(",") if args.partners else sorted(target.services)
    report = asyncio.run(
        record_demo(target, partners, seed=args.seed, scale=args.scale, years=args.years)
    )
    if args.report:
        report.write(args.report)
    print(
        f"demo recorded: {report.sent} of {report.calls} calls in {report.seconds} s"
        f" ({report.late_entries} late entries), {len(report.refused)} refused",
        file=sys.stderr,
    )
    for refusal in report.refused[:20]:
        print(
            f"  refused {refusal.status} {refusal.method} {refusal.path}: {refusal.reason}",
            file=sys.stderr,
        )
    sys.exit(1 if report.refused else 0)
