"""``franoi-bench pipeline|views|quality|search|desk|outbox|import|scaleout [options]``:
one benchmark per run.

``franoi-bench <benchmark> --help`` says what it measures and lists its options;
``--quick`` makes a small run of any of them. docs/benchmarks.md explains the figures.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from franoi_benchmarks import desk, imports, outbox, pipeline, quality, scaleout, search, views
from franoi_benchmarks.benchmark import Benchmark

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        pipeline.BENCHMARK,
        views.BENCHMARK,
        quality.BENCHMARK,
        search.BENCHMARK,
        desk.BENCHMARK,
        outbox.BENCHMARK,
        imports.BENCHMARK,
        scaleout.BENCHMARK,
    )
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="franoi-bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    parsers: dict[str, argparse.ArgumentParser] = {}
    for benchmark in BENCHMARKS.values():
        parsers[benchmark.name] = commands.add_parser(
            benchmark.name,
            help=benchmark.summary,
            description=benchmark.doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        benchmark.configure(parsers[benchmark.name])
    args = parser.parse_args(argv)
    benchmark = BENCHMARKS[args.benchmark]
    benchmark.settle(args, parsers[benchmark.name])
    raise SystemExit(benchmark.execute(args))
