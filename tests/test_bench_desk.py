"""The desk's page benchmark (``franoi-bench desk``) in a small run: 300 persons and
3,000 records at one partner, every service and the desk served in this process, each page
asked 10 times next to its raw baseline. Each request checks that the page shows what the
services answered (the benchmark raises otherwise); here, that the pages hold the data."""

from __future__ import annotations

from franoi_benchmarks import desk as bench_desk


async def test_the_desk_pages_show_the_partners_data(postgres_admin_url: str) -> None:
    args = bench_desk.parse_args(
        ["--persons", "300", "--records", "3000", "--requests", "10", "--warmup", "2",
         "--services", "in-process"]
    )  # fmt: skip
    report = await bench_desk.run(args, admin_url=postgres_admin_url)

    assert 2_500 <= report["records"] <= 3_000
    assert set(report["rows"]) >= {"plans", "tasks", "placements", "consultations",
                                   "hosting_stays", "access_known_persons"}  # fmt: skip
    pages = report["pages"]
    assert list(pages) == list(bench_desk.PAGES)
    for page in pages.values():
        assert page["requests"] == 10
        assert 0 < page["desk"]["p50_ms"] <= page["desk"]["max_ms"]
        assert 0 < page["api"]["p50_ms"] <= page["api"]["max_ms"]

    search = pages["search"]["facts"]
    assert search["found_median"] >= 1
    assert search["person_in_top_20"] >= 0.5  # a name with a typo still finds its person

    # every open plan fits in the register's first page here: my cases shows all of the
    # worker's plans and tasks
    worker = report["worker"]
    mine = pages["my cases"]["facts"]
    assert worker["open_plans"] >= 3
    assert mine["plans"] == worker["open_plans"]
    assert mine["tasks"] == min(worker["open_tasks"], 200)
    everyone = pages["working lists, whole organisation"]["facts"]
    assert sum(everyone["lists"]) > sum(mine["lists"])

    file = pages["person's file"]["facts"]
    assert file["records_median"] >= 5  # frequent persons: records in several services

    calls = {c["call"]: c for c in report["calls"]}
    assert len(calls) == 17  # each call the pages make, alone
    assert all(c["p50_ms"] > 0 for c in calls.values())
    assert calls["cases: a person's file (the four services' records included)"]["max_kb"] > 0
