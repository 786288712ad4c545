"""The demo's plan, without I/O: seeded, in the order the services' rules need, within its
span, and tallied as it records."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from franoi_network.demo.plan import TALLIED, PartnerProfile, plan_network

TODAY = dt.date(2026, 12, 6)
PARTNERS = [
    PartnerProfile("p01", "Lombardia", frozenset({"cases", "housing", "employment", "hosting"})),
    PartnerProfile("p02", "Piemonte", frozenset({"cases", "housing"}), 0.6),
    PartnerProfile("p03", "Veneto", frozenset({"cases", "employment", "events"}), 0.8),
]


def test_the_same_seed_gives_the_same_calls_and_another_seed_others() -> None:
    first = plan_network(PARTNERS, today=TODAY, scale=0.2, seed=7)
    again = plan_network(PARTNERS, today=TODAY, scale=0.2, seed=7)
    other = plan_network(PARTNERS, today=TODAY, scale=0.2, seed=8)
    assert first.calls == again.calls
    assert first.calls != other.calls
    assert first.tally == again.tally


def test_calls_stay_within_the_span_and_each_partners_axes() -> None:
    plan = plan_network(PARTNERS, today=TODAY, scale=0.3, seed=1)
    assert plan.first_day == dt.date(2023, 12, 1) and plan.last_day == TODAY
    services = {
        p.partner_id: Counter(c.service for c in plan.calls[p.partner_id]) for p in PARTNERS
    }
    assert set(services["p02"]) == {"cases", "housing"}
    assert set(services["p03"]) == {"cases", "employment", "events"}
    assert set(services["p01"]) == {"cases", "housing", "employment", "hosting"}
    for calls in plan.calls.values():
        assert all(c.happened_on <= TODAY for c in calls)
        assert all(c.recorded_on >= c.happened_on for c in calls)


def test_each_partner_records_in_date_order_freeing_before_taking() -> None:
    plan = plan_network(PARTNERS, today=TODAY, scale=0.3, seed=3)
    for calls in plan.calls.values():
        keys = [(c.recorded_on, not c.frees) for c in calls]
        assert keys == sorted(keys)
    late = [c for calls in plan.calls.values() for c in calls if c.late]
    assert late, "a few entries are recorded late"
    assert all(c.service == "employment" for c in late), "only what no rule depends on"


def test_what_acts_on_a_thing_is_recorded_after_the_thing() -> None:
    plan = plan_network(PARTNERS, today=TODAY, scale=0.3, seed=5)
    for calls in plan.calls.values():
        seen: set[object] = set()
        for call in calls:
            for segment in call.path.split("/"):
                if len(segment) == 36:
                    assert segment in seen, f"{call.path} recorded before what it acts on"
            seen.update(v for k, v in call.body.items() if k.endswith("_id"))


def test_the_tally_adds_up_what_the_calls_record() -> None:
    plan = plan_network(PARTNERS, today=TODAY, scale=0.5, seed=2)
    calls = [c for cs in plan.calls.values() for c in cs]

    def posted(path: str) -> list[dict[str, object]]:
        return [c.body for c in calls if c.method == "POST" and c.path == path]

    housed = sum(int(b["household_size"]) for b in posted("/v1/placements"))  # type: ignore[call-overload]
    assert plan.tally["housing_persons_housed"] == housed > 0
    assert plan.tally["cases_plans_opened"] == len(posted("/v1/plans")) > 0
    assert plan.tally["hosting_requests_submitted"] == sum(
        1 for c in calls if c.service == "hosting" and c.path == "/v1/requests"
    )
    consultations = posted("/v1/consultations")
    savings = [b for b in consultations if b["topic"] == "savings_and_financial_education"]
    assert plan.tally["employment_savings_consultations"] == len(savings) > 0
    assert plan.tally["employment_job_consultations"] == len(consultations) - len(savings)
    expected = plan.expected_key_numbers()
    assert set(TALLIED) <= set(expected)
    assert all(expected[k] > 0 for k in TALLIED), {k for k in TALLIED if not expected[k]}
    assert 0 < expected["housing_satisfaction_rate"] < 1
    assert 0 < expected["hosting_satisfaction_rate"] < 1


def test_scale_makes_the_history_larger() -> None:
    small = plan_network(PARTNERS, today=TODAY, scale=0.2, seed=1)
    large = plan_network(PARTNERS, today=TODAY, scale=0.8, seed=1)
    assert large.total_calls > 3 * small.total_calls


def test_plans_and_their_tasks_are_followed_by_the_demos_named_workers() -> None:
    from franoi_network.demo.people import WORKERS

    plan = plan_network(PARTNERS, today=TODAY, scale=0.3, seed=4)
    calls = [c for cs in plan.calls.values() for c in cs]
    plans = [c.body for c in calls if c.path == "/v1/plans"]
    tasks = [c.body for c in calls if c.path.endswith("/tasks")]
    assert plans and tasks
    assert {b["key_worker"] for b in plans} == set(WORKERS)
    assert {b["assignee"] for b in tasks} <= set(WORKERS)
