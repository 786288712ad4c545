"""``franoi-bench``: its benchmarks and their options, and the pipeline, the views, the
quality checks', the search and the import benchmarks in small runs on the session's
PostgreSQL (the desk's: ``test_bench_desk.py``), the scale-out benchmark on servers of its
own. Each run checks what it measures as it goes (every event applied once, each answer's
total equal to its raw baseline's); here, that the report holds every figure next to its
baseline."""

from __future__ import annotations

import pytest
from franoi_benchmarks import cli, imports, pipeline, quality, scaleout, search, views


def test_franoi_bench_offers_every_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    names = {"pipeline", "views", "quality", "search", "desk", "outbox", "import", "scaleout"}
    for name in names:
        assert name in shown
    assert set(cli.BENCHMARKS) == names


def test_each_benchmark_keeps_its_options_and_has_a_quick_run() -> None:
    options = {
        "pipeline": ["--placements", "--burst", "--concurrency", "--gap-ms", "--services",
                     "--backlog", "--no-replay", "--no-baselines", "--command-requests",
                     "--command-warmup", "--command-rounds", "--raw-count", "--kafka"],
        "views": ["--events", "--repeats"],
        "quality": ["--events", "--repeats", "--runs"],
        "search": ["--persons", "--others", "--queries", "--warmup", "--seed"],
        "desk": ["--persons", "--records", "--requests", "--warmup", "--services", "--seed"],
        "outbox": ["--entries", "--services", "--chromium"],
        "import": ["--rows", "--file-rows", "--concurrency", "--seed", "--services"],
        "scaleout": ["--seconds", "--clients"],
    }  # fmt: skip
    for name, benchmark in cli.BENCHMARKS.items():
        shown = benchmark.parser().format_help()
        for option in [*options[name], "--quick", "--timeout", "--json"]:
            assert option in shown, (name, option)
        quick = benchmark.parse_args(["--quick"])
        small = {o.name: o.quick for o in benchmark.options if o.quick is not None}
        assert small and all(getattr(quick, name) == value for name, value in small.items())
    assert cli.BENCHMARKS["desk"].parse_args(["--quick"]).records == 20_000
    with pytest.raises(SystemExit):
        views.BENCHMARK.parse_args(["--events", "10"])


async def test_the_views_benchmark_in_a_small_run(postgres_admin_url: str) -> None:
    args = views.BENCHMARK.parse_args(["--events", "2000", "--repeats", "5"])
    report = await views.run(args, postgres_admin_url)

    assert report["counters"] > 0 and report["journeys"] > 0
    cases = {r["case"]: r for r in report["results"]}
    assert len(cases) == len(views.cases())
    for row in cases.values():
        assert 0 < row["api_p50_ms"] <= row["api_p95_ms"]
        assert row["ratio_to_bare"] > 0
    assert cases["key numbers, network, 5 years"]["ratio_to_facts_scan"] > 0
    assert "XLSX export: requests by month" in views.render(report)


async def test_the_quality_benchmark_in_a_small_run(postgres_admin_url: str) -> None:
    args = quality.BENCHMARK.parse_args(["--events", "3000", "--repeats", "5", "--runs", "1"])
    report = await quality.run(args, postgres_admin_url)

    assert report["entries"] > 0 and report["flags"] == sum(report["flags_by_rule"].values())
    assert report["network_run_s"] > 0 and report["network_ratio_to_read"] > 0
    assert 0 < report["partner_run_p50_ms"] <= report["partner_run_p95_ms"]
    cases = {r["case"]: r for r in report["results"]}
    assert set(cases) == {"flag page (a quarter)", "partner's period page"}
    for row in cases.values():
        assert 0 < row["api_p50_ms"] <= row["api_p95_ms"] and row["ratio_to_bare"] > 0
    assert "network run" in quality.render(report)


async def test_the_search_benchmark_in_a_small_run(postgres_admin_url: str) -> None:
    args = search.BENCHMARK.parse_args(
        ["--persons", "1000", "--others", "1000", "--queries", "12", "--warmup", "2"]
    )
    report = await search.run(args, postgres_admin_url)

    assert report["persons"] == {"p01": 1000, "p02": 1000}
    assert set(report["by_kind"]) == set(search.KINDS)
    for figures in [*report["by_kind"].values(), report["all"], report["duplicates"]]:
        assert figures["queries"] >= 2
        assert 0 < figures["api"]["p50_ms"] <= figures["api"]["max_ms"]
        assert figures["ratio_p95"] > 0
    assert report["by_kind"]["document"]["found_median"] == 1  # a tax code finds its person
    assert "target: API p95 <= 50 ms" in search.render(report)


async def test_the_pipeline_benchmark_in_a_small_run(postgres_admin_url: str) -> None:
    """Tansu (starts in a second), each service in its own process, every phase and
    baseline."""
    args = pipeline.BENCHMARK.parse_args(
        ["--kafka", "tansu", "--services", "subprocess", "--placements", "3", "--burst", "40",
         "--concurrency", "4", "--backlog", "40", "--command-requests", "200",
         "--command-warmup", "20", "--command-rounds", "1", "--raw-count", "100"]
    )  # fmt: skip
    report = await pipeline.run(args, postgres_admin_url)

    assert report["latency"]["commit_to_projection_ms"]["n"] == 3
    burst = report["burst"]
    assert (burst["events"], burst["errors"]) == (40, 0)
    assert burst["all_events_applied_once"] and burst["unit_beds_match"]
    assert burst["dead_letters"] == 0
    assert set(burst["cpu_percent_of_one_core"]) >= {"housing service", "projection service"}
    assert report["backlog"]["all_events_applied_once"]
    assert report["backlog"]["events"] == 40
    assert report["replay"]["rebuild"]["applied"] == report["replay"]["rebuild"]["events"]
    assert report["replay"]["redelivery"]["applied"] == 0
    for kind in ("raw-db", "housing-p03"):  # CPU time counts in ticks of 10 ms
        assert report["commands"][kind]["server_cpu_ms_per_request"] > 0
    ratios = {row["what"].strip(): row["ratio"] for row in report["side_by_side"]}
    assert len(ratios) == 8
    assert ratios["relay drain of a standing backlog (events/s)"] > 0
    assert ratios["rebuild into an empty read model (events/s)"] > 0
    assert "Side by side with the raw baselines of this run" in pipeline.render(report)


async def test_the_import_benchmark_in_a_small_run(postgres_admin_url: str) -> None:
    """The same history imported and sent through the API lands as the same records (the
    benchmark fails otherwise); a second import finds every row unchanged."""
    args = imports.BENCHMARK.parse_args(
        ["--rows", "300", "--file-rows", "150", "--services", "in-process"]
    )
    report = await imports.run(args, postgres_admin_url)

    assert (report["agreements"], report["units"], report["placements"]) == (1, 12, 287)
    assert report["same_records"] and report["recorded"]["placements"] == 287
    assert report["recorded"]["events"] == 1 + 12 + 2 * 287  # each stay started and ended
    for phase in ("import", "api", "import_again"):
        assert report[phase]["rows"] == 300 and report[phase]["rows_per_s"] > 0
    assert report["import"]["placements"]["files"] == 2
    assert report["import"]["placements"]["tally"]["created"] == 287
    assert report["import_again"]["placements"]["tally"]["unchanged"] == 287
    assert report["ratio"] > 0
    assert "ratio import / API (rows/s)" in imports.render(report)


async def test_the_scaleout_benchmark_in_a_small_run() -> None:
    """One replica, then three, each network on servers of its own: both measured, the
    ratios set side by side."""
    args = scaleout.BENCHMARK.parse_args(["--seconds", "2", "--clients", "2"])
    report = await scaleout.run(args, None)

    one, three = report["runs"]
    assert (one["replicas"], three["replicas"]) == (1, 3)
    for run in report["runs"]:
        assert run["commands"] > 0 and run["commands_per_s"] > 0
        assert run["backlog_events"] > 0 and run["events_per_s"] > 0
    assert sum(name.startswith("consumer-") for name in three["memory_mib"]) == 3
    assert report["ratios"]["commands_per_s"] > 0 and report["ratios"]["events_per_s"] > 0
    assert "ratio 3/1" in scaleout.render(report)
