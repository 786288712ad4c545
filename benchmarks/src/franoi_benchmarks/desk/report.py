"""The desk benchmark's report: each page next to its baseline, where the time goes, and the
table docs/benchmarks.md shows."""

from __future__ import annotations

from typing import Any

from franoi_benchmarks.desk.partner import PARTNER
from franoi_benchmarks.stats import table


def render(report: dict[str, Any]) -> str:
    worker = report["worker"]
    lines = [
        f"\n{report['persons']:,} persons of {PARTNER} ({report['followed']:,} with records,"
        f" {report['frequent']:,} frequent), {report['records']:,} records; generated in"
        f" {report['generate_s']} s, loaded in {report['load_s']} s; services"
        f" {report['services']}; {report['machine']}",
        f"the signed-in worker follows {worker['open_plans']} open plans and has"
        f" {worker['open_tasks']} open tasks\n",
    ]
    pages = report["pages"]
    columns = [
        ("page", -36),
        ("n", 4),
        ("desk p50", 9),
        ("p95", 7),
        ("max", 7),
        ("API p50", 8),
        ("p95", 7),
        ("ratio p95", 10),
        ("target", -7),
    ]
    lines += table(
        columns,
        [[page, s["requests"], s["desk"]["p50_ms"], s["desk"]["p95_ms"], s["desk"]["max_ms"],
          s["api"]["p50_ms"], s["api"]["p95_ms"], s["ratio_p95"],
          "met" if s["target_met"] else "NOT met"] for page, s in pages.items()],
    )  # fmt: skip
    lines += [f"  {page}: {s['facts']}" for page, s in pages.items()]
    lines.append("")
    lines += table(
        [("API call alone", -64), ("p50", 7), ("p95", 7), ("KB", 7)],
        [[c["call"], c["p50_ms"], c["p95_ms"], c["max_kb"]] for c in report["calls"]],
    )
    lines.append("\n" + markdown(report))
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"| page ({report['pages']['search']['requests']} requests each) | desk p50 | desk p95"
        " | API p50 | API p95 | ratio p50 | ratio p95 (page / API) | p95 ≤ 150 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page, s in report["pages"].items():
        desk, api = s["desk"], s["api"]
        lines.append(
            f"| {page} | {desk['p50_ms']} | {desk['p95_ms']} | {api['p50_ms']} |"
            f" {api['p95_ms']} | {s['ratio_p50']} | {s['ratio_p95']} |"
            f" {'yes' if s['target_met'] else '**no**'} |"
        )
    return "\n".join(lines)
