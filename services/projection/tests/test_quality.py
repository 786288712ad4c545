"""The data-quality rules, without I/O: each raises on a crafted case and stays quiet on a
clean one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from franoi_projection.domain.months import add_months
from franoi_projection.domain.quality import (
    BY_ID,
    RULES,
    Contact,
    Entry,
    Facts,
    Flag,
    Hire,
    Internship,
    MonthlyFigure,
    Partner,
    Person,
    Placement,
    Request,
    Stay,
    Visit,
    check_rules,
    run,
)
from franoi_projection.domain.quality.calendar import easter, is_working_day, working_days_after
from franoi_projection.domain.quality.rules import (
    Timeliness,
    robust_z,
    timeliness,
    timeliness_bucket,
)

D = dt.date
TODAY = D(2026, 6, 15)
P = "p07"
REF = "ref-amina"
PERSON_ID = "0b9f7c1e-0000-4000-8000-000000000001"


def clean() -> Facts:
    """A partner's records with nothing to flag on TODAY."""
    return Facts(
        partners=(
            Partner(P, frozenset({"cases", "housing", "hosting", "employment"}), D(2024, 1, 1)),
        ),
        persons=(Person(P, PERSON_ID, REF, D(2025, 1, 10)),),
        requests=(
            Request(P, "housing", "hr-1", REF, "eviction", D(2025, 1, 12), D(2025, 2, 1)),
            Request(P, "housing", "hr-2", REF, "exit_from_reception", D(2026, 5, 2)),
            Request(P, "hosting", "fr-1", REF, "hosting", D(2026, 4, 1)),
        ),
        placements=(Placement(P, "pl-1", REF, D(2025, 2, 1), D(2026, 8, 1)),),
        stays=(Stay(P, "st-1", REF, D(2026, 3, 1), D(2026, 9, 1)),),
        visits=(
            Visit(P, "v-1", "st-1", D(2026, 3, 20)),
            Visit(P, "v-2", "st-1", D(2026, 5, 10)),
        ),
        internships=(
            Internship(P, "in-1", REF, D(2025, 3, 1), D(2025, 9, 1), D(2025, 9, 1), "hired"),
        ),
        hires=(Hire(P, "h-1", REF, D(2025, 9, 2), D(2026, 9, 1)),),
        contacts=(Contact(P, "cases", REF, D(2025, 1, 10)),),
        figures=tuple(
            MonthlyFigure(P, "housing_placements_started", add_months(D(2025, 1, 1), m), 10 + m % 3)
            for m in range(17)  # January 2025 to May 2026
        ),
        entries=(
            # Friday, entered the next Wednesday: 3 working days
            Entry(P, "housing_placements", "pl-1", D(2026, 5, 8), dt.datetime(2026, 5, 13, 9)),
        ),
    )


def flags_of(rule_id: str, facts: Facts, today: dt.date = TODAY) -> list[Flag]:
    return BY_ID[rule_id].check(facts, today)


def test_the_clean_records_raise_no_rule() -> None:
    assert run(clean(), TODAY) == []


def test_every_rule_has_a_unique_id_and_both_texts() -> None:
    check_rules()
    assert len(BY_ID) == len(RULES) == 13
    broken = dataclasses.replace(RULES[0], title=dataclasses.replace(RULES[0].title, en=" "))
    with pytest.raises(ValueError, match="lacks a text"):
        check_rules((broken,))
    with pytest.raises(ValueError, match="duplicate"):
        check_rules((RULES[0], RULES[0]))


def test_an_end_before_its_start_is_flagged_with_both_dates() -> None:
    facts = dataclasses.replace(
        clean(),
        placements=(Placement(P, "pl-9", REF, D(2026, 3, 1), D(2026, 8, 1), D(2026, 2, 27)),),
        requests=(Request(P, "hosting", "fr-9", REF, "hosting", D(2026, 4, 1), D(2026, 3, 30)),),
    )
    flags = flags_of("end_before_start", facts)
    assert [(f.subject, f.record_ids, f.dates) for f in flags] == [
        (
            "hosting_requests",
            ("fr-9",),
            (("submitted_on", D(2026, 4, 1)), ("closed_on", D(2026, 3, 30))),
        ),
        (
            "housing_placements",
            ("pl-9",),
            (("started_on", D(2026, 3, 1)), ("ended_on", D(2026, 2, 27))),
        ),
    ]
    assert all(f.partner_id == P for f in flags)


def test_a_planned_end_before_the_start_is_an_end_before_start_too() -> None:
    facts = dataclasses.replace(clean(), hires=(Hire(P, "h-9", REF, D(2025, 9, 2), D(2025, 8, 1)),))
    assert [f.dates[1] for f in flags_of("end_before_start", facts)] == [("ends_on", D(2025, 8, 1))]


def test_a_date_in_the_future_is_flagged_but_a_planned_one_is_not() -> None:
    facts = dataclasses.replace(
        clean(), visits=(*clean().visits, Visit(P, "v-9", "st-1", D(2026, 6, 16)))
    )
    flags = flags_of("future_date", facts)
    assert [(f.subject, f.record_ids, f.dates) for f in flags] == [
        ("hosting_visits", ("v-9",), (("visited_on", D(2026, 6, 16)),))
    ]
    assert flags_of("future_date", facts, today=D(2026, 6, 16)) == []


def test_a_record_before_the_persons_registration_at_the_partner_is_flagged() -> None:
    early = Placement(P, "pl-9", REF, D(2025, 1, 5), D(2026, 8, 1))
    elsewhere = Placement("p02", "pl-8", REF, D(2024, 6, 1), D(2026, 8, 1))
    facts = dataclasses.replace(clean(), placements=(early, elsewhere))
    flags = flags_of("before_registration", facts)
    assert [(f.record_ids, f.dates) for f in flags] == [
        (("pl-9",), (("started_on", D(2025, 1, 5)), ("registered_on", D(2025, 1, 10))))
    ]


def test_activity_before_the_partner_joined_is_flagged() -> None:
    facts = dataclasses.replace(
        clean(), partners=(clean().partners[0]._replace(active_since=D(2025, 3, 1)),)
    )
    flagged = {f.record_ids[0] for f in flags_of("before_partner_joined", facts)}
    assert flagged == {PERSON_ID, "hr-1", "pl-1"}


def test_activity_on_an_axis_the_directory_does_not_list_is_flagged() -> None:
    facts = dataclasses.replace(
        clean(), partners=(Partner(P, frozenset({"cases", "housing", "employment"})),)
    )
    flags = flags_of("axis_not_listed", facts)
    assert {(f.subject, f.record_ids[0]) for f in flags} == {
        ("hosting_requests", "fr-1"),
        ("hosting_stays", "st-1"),
        ("hosting_visits", "v-1"),
        ("hosting_visits", "v-2"),
    }


def test_a_placement_or_stay_past_its_planned_end_with_no_exit_is_flagged() -> None:
    facts = dataclasses.replace(
        clean(),
        placements=(
            Placement(P, "pl-9", REF, D(2025, 2, 1), D(2026, 6, 14)),
            Placement(P, "pl-8", REF, D(2025, 2, 1), D(2026, 6, 1), D(2026, 6, 1)),
            Placement(P, "pl-7", REF, D(2025, 2, 1)),  # no planned end: nothing to pass
        ),
        stays=(Stay(P, "st-9", REF, D(2026, 1, 1), D(2026, 6, 1)),),
        visits=(Visit(P, "v-9", "st-9", D(2026, 2, 15)), Visit(P, "v-8", "st-9", D(2026, 4, 10))),
    )
    flags = flags_of("past_planned_end", facts)
    assert [(f.record_ids, f.dates[1]) for f in flags] == [
        (("pl-9",), ("planned_end_on", D(2026, 6, 14))),
        (("st-9",), ("planned_end_on", D(2026, 6, 1))),
    ]
    assert flags_of("past_planned_end", facts, today=D(2026, 5, 31)) == []


def test_a_stay_with_more_than_60_days_between_visits_is_flagged_per_gap() -> None:
    stay = Stay(P, "st-9", REF, D(2026, 1, 1), D(2026, 12, 31))
    facts = dataclasses.replace(
        clean(), stays=(stay,), visits=(Visit(P, "v-9", "st-9", D(2026, 3, 15)),)
    )
    flags = flags_of("stay_without_visit", facts)
    assert [(f.dates, f.value) for f in flags] == [
        ((("started_on", D(2026, 1, 1)), ("visited_on", D(2026, 3, 15))), 73.0),
        ((("visited_on", D(2026, 3, 15)), ("today", TODAY)), 92.0),
    ]
    exactly_60 = dataclasses.replace(
        facts,
        visits=(Visit(P, "v-9", "st-9", D(2026, 3, 2)), Visit(P, "v-8", "st-9", D(2026, 5, 1))),
    )
    assert flags_of("stay_without_visit", exactly_60) == []


def test_an_ended_stay_is_checked_up_to_its_end_only() -> None:
    stay = Stay(P, "st-9", REF, D(2026, 1, 1), D(2026, 3, 1), D(2026, 2, 20))
    facts = dataclasses.replace(clean(), stays=(stay,), visits=())
    assert flags_of("stay_without_visit", facts) == []


def test_an_internship_ended_with_no_outcome_is_flagged_after_the_grace_days() -> None:
    internship = Internship(P, "in-9", REF, D(2026, 1, 1), D(2026, 5, 1), D(2026, 5, 1))
    facts = dataclasses.replace(clean(), internships=(internship,))
    flags = flags_of("internship_without_outcome", facts)
    assert [(f.record_ids, f.value) for f in flags] == [(("in-9",), 45.0)]
    assert flags_of("internship_without_outcome", facts, today=D(2026, 5, 31)) == []


def test_a_request_open_longer_than_180_days_is_flagged() -> None:
    facts = dataclasses.replace(
        clean(), requests=(Request(P, "housing", "hr-9", REF, "eviction", D(2025, 12, 16)),)
    )
    flags = flags_of("request_open_too_long", facts)
    assert [(f.subject, f.record_ids, f.value) for f in flags] == [
        ("housing_requests", ("hr-9",), 181.0)
    ]
    assert flags_of("request_open_too_long", facts, today=D(2026, 6, 14)) == []


def test_two_open_requests_of_one_kind_for_one_person_are_flagged_together() -> None:
    facts = dataclasses.replace(
        clean(),
        requests=(
            *clean().requests,
            Request(P, "hosting", "fr-2", REF, "hosting", D(2026, 5, 1)),
            Request(P, "hosting", "fr-3", REF, "mentoring", D(2026, 5, 1)),  # another kind
            Request("p02", "hosting", "fr-4", REF, "hosting", D(2026, 5, 1)),  # another partner
        ),
    )
    flags = flags_of("duplicate_open_requests", facts)
    assert [(f.partner_id, f.record_ids) for f in flags] == [(P, ("fr-1", "fr-2"))]


def test_a_hire_with_no_contact_by_its_start_is_flagged() -> None:
    facts = dataclasses.replace(
        clean(),
        hires=(
            Hire(P, "h-9", "ref-other", D(2026, 2, 1)),
            Hire(P, "h-8", "ref-later", D(2026, 2, 1)),
            Hire(P, "h-7", "ref-elsewhere", D(2026, 2, 1)),
        ),
        contacts=(
            Contact(P, "events", "ref-later", D(2026, 2, 2)),
            Contact("p02", "events", "ref-elsewhere", D(2026, 2, 1)),
        ),
    )
    assert [f.record_ids for f in flags_of("hire_without_contact", facts)] == [("h-9",), ("h-8",)]


def test_a_monthly_figure_far_from_the_partners_history_is_flagged() -> None:
    history = [10, 12, 11, 9, 10, 13, 11, 10, 12, 11]
    figures = (
        *(MonthlyFigure(P, "stays", D(2025, m + 1, 1), v) for m, v in enumerate(history)),
        MonthlyFigure(P, "stays", D(2025, 11, 1), 40),
        MonthlyFigure(P, "stays", D(2025, 12, 1), 12),
    )
    facts = dataclasses.replace(clean(), figures=figures)
    flags = flags_of("figure_outlier", facts, today=D(2026, 1, 10))
    assert [(f.subject, f.dates) for f in flags] == [("stays", (("month", D(2025, 11, 1)),))]
    assert flags[0].value is not None and flags[0].value > 3.5
    assert flags[0].record_ids == ()


def test_a_missing_month_counts_as_zero_and_the_current_month_is_not_judged() -> None:
    figures = tuple(MonthlyFigure(P, "x", D(2025, m, 1), 10 + m % 2) for m in range(1, 13))
    facts = dataclasses.replace(clean(), figures=figures)
    assert flags_of("figure_outlier", facts, today=D(2026, 1, 20)) == []
    # February 2026 absent: a zero against a year of 10-11
    assert [f.dates for f in flags_of("figure_outlier", facts, today=D(2026, 3, 5))] == [
        (("month", D(2026, 1, 1)),),
        (("month", D(2026, 2, 1)),),
    ]


def test_robust_z_uses_the_median_deviation_then_the_mean_one() -> None:
    assert robust_z(20, [10, 11, 9, 10, 12, 8]) == pytest.approx(0.6745 * 10 / 1)
    assert robust_z(10, [10, 10, 10, 10, 11]) == pytest.approx(0.0)
    assert robust_z(20, [10, 10, 10, 10, 15]) == pytest.approx(10 / (1.253314 * 1))
    assert robust_z(99, [0, 0, 0, 0, 0, 0]) is None


def test_an_entry_after_five_working_days_is_late() -> None:
    # Friday 24 April 2026: 25 April (Saturday), 1 May (Friday) holidays
    entry = Entry(
        P, "hosting_stays", "st-1", D(2026, 4, 24), dt.datetime(2026, 5, 4, 8, tzinfo=dt.UTC)
    )
    assert working_days_after(D(2026, 4, 24), D(2026, 5, 4)) == 5
    facts = dataclasses.replace(clean(), entries=(entry,))
    assert flags_of("late_entry", facts) == []
    late = entry._replace(entered_at=dt.datetime(2026, 5, 5, 8, tzinfo=dt.UTC))
    flags = flags_of("late_entry", dataclasses.replace(clean(), entries=(late,)))
    assert [(f.record_ids, f.dates, f.value) for f in flags] == [
        (("st-1",), (("dated_on", D(2026, 4, 24)), ("entered_on", D(2026, 5, 5))), 6.0)
    ]


def test_the_entry_day_is_the_day_in_italy() -> None:
    # Thursday's event; 22:30 UTC on Tuesday (3 working days) is Wednesday in Rome (4)
    entry = Entry(P, "t", "r", D(2026, 6, 4), dt.datetime(2026, 6, 9, 22, 30))
    by_bucket = timeliness((entry,))[P]
    assert by_bucket == dict.fromkeys(Timeliness, 0) | {Timeliness.WITHIN_5: 1}


def test_timeliness_buckets_against_the_3_and_5_day_deadlines() -> None:
    assert [timeliness_bucket(d) for d in (-1, 0, 3, 4, 5, 6)] == [
        Timeliness.AHEAD,
        Timeliness.WITHIN_3,
        Timeliness.WITHIN_3,
        Timeliness.WITHIN_5,
        Timeliness.WITHIN_5,
        Timeliness.LATE,
    ]


def test_italian_working_days_skip_weekends_and_national_holidays() -> None:
    assert [easter(y) for y in (2024, 2025, 2026)] == [
        D(2024, 3, 31),
        D(2025, 4, 20),
        D(2026, 4, 5),
    ]
    assert not is_working_day(D(2026, 4, 6))  # Easter Monday
    assert not is_working_day(D(2026, 6, 2))  # Festa della Repubblica
    assert not is_working_day(D(2026, 10, 4)) and is_working_day(D(2025, 10, 3))
    assert is_working_day(D(2026, 6, 3))
    assert working_days_after(D(2026, 6, 5), D(2026, 6, 8)) == 1  # Friday to Monday
    assert working_days_after(D(2026, 6, 8), D(2026, 6, 8)) == 0
    assert working_days_after(D(2026, 6, 8), D(2026, 6, 5)) == -1
    assert working_days_after(D(2025, 12, 24), D(2025, 12, 29)) == 1  # 25, 26 and a weekend


def test_no_flag_carries_a_persons_identifier() -> None:
    facts = dataclasses.replace(
        clean(),
        partners=(Partner(P, frozenset(), D(2027, 1, 1)),),
        requests=(*clean().requests, Request(P, "hosting", "fr-2", REF, "hosting", D(2025, 1, 1))),
        hires=(Hire(P, "h-9", REF, D(2024, 1, 1), D(2023, 1, 1)),),
    )
    flags = run(facts, TODAY)
    assert len({f.rule_id for f in flags}) >= 5
    for flag in flags:
        text = repr(flag)
        assert REF not in text
        assert PERSON_ID not in text or flag.subject == "cases_persons"


def test_the_reporting_guide_lists_every_rule() -> None:
    guide = (Path(__file__).parents[3] / "docs" / "reporting.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.title.it} |" in guide


def test_runs_over_different_facts_at_once_each_read_their_own_records() -> None:
    """The dated records are made once per facts: two runs in two threads (the coordinator's
    and the scheduled one) never read each other's."""
    from concurrent.futures import ThreadPoolExecutor

    late = dataclasses.replace(
        clean(), placements=(Placement(P, "pl-9", REF, D(2026, 2, 1), D(2026, 1, 1)),)
    )
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda facts: run(facts, TODAY), [clean(), late] * 20))
    assert all(flags == [] for flags in results[::2])
    assert all(
        [(f.rule_id, f.record_ids) for f in flags]
        == [("end_before_start", ("pl-9",)), ("past_planned_end", ("pl-9",))]
        for flags in results[1::2]
    ), results[1]


def test_the_collector_is_paused_while_runs_are_under_way_and_resumes_after_the_last() -> None:
    import gc

    from franoi_projection.adapters.quality_store import _collector_paused

    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
        with _collector_paused():  # a second run under way
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("a run failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()
