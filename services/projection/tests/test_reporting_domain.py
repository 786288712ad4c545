"""Reporting periods' pure rules: a partner's status and steps, a period's dates, which
partners report, a flag's identity and periods, and the fund report's sums."""

from __future__ import annotations

import datetime as dt

import pytest
from franoi_common.errors import InvalidDates, InvalidTransition, InvalidValue
from franoi_projection.domain import fund_report as fr
from franoi_projection.domain import reporting as r
from franoi_projection.domain.indicators import BY_ID, Text
from franoi_projection.domain.quality import Flag

D = dt.date
Q1 = r.Period("q1-2026", Text("T1", "Q1"), D(2026, 1, 1), D(2026, 3, 1), D(2026, 4, 30))


def test_status_is_the_step_taken_else_whether_flags_are_open() -> None:
    assert r.status(None, 0) is r.Status.NOT_STARTED
    assert r.status(None, 3) is r.Status.FLAGS_OPEN
    for state in r.State:
        assert r.status(state, 5).value == state.value


@pytest.mark.parametrize(
    "action,before,after",
    [
        (r.Action.SUBMIT, None, r.State.SUBMITTED),
        (r.Action.SUBMIT, r.State.RETURNED, r.State.SUBMITTED),
        (r.Action.APPROVE, r.State.SUBMITTED, r.State.APPROVED),
        (r.Action.RETURN, r.State.SUBMITTED, r.State.RETURNED),
        (r.Action.RETURN, r.State.APPROVED, r.State.RETURNED),
    ],
)
def test_allowed_steps(action: r.Action, before: r.State | None, after: r.State) -> None:
    assert r.step(action, before, version_approved=False) is after


@pytest.mark.parametrize(
    "action,before",
    [
        (r.Action.SUBMIT, r.State.SUBMITTED),
        (r.Action.SUBMIT, r.State.APPROVED),
        (r.Action.APPROVE, None),
        (r.Action.APPROVE, r.State.RETURNED),
        (r.Action.APPROVE, r.State.APPROVED),
        (r.Action.RETURN, None),
        (r.Action.RETURN, r.State.RETURNED),
    ],
)
def test_refused_steps_name_the_state(action: r.Action, before: r.State | None) -> None:
    with pytest.raises(InvalidTransition) as refused:
        r.step(action, before, version_approved=False)
    assert (before.value if before else "not submitted") in str(refused.value)


def test_an_approved_version_changes_only_by_a_reopening() -> None:
    for action in (r.Action.SUBMIT, r.Action.APPROVE, r.Action.RETURN):
        with pytest.raises(InvalidTransition, match="reopens"):
            r.step(action, r.State.APPROVED, version_approved=True)
    with pytest.raises(InvalidTransition):
        r.reopenable(False)
    r.reopenable(True)


def test_a_version_is_approved_when_every_reporting_partner_is() -> None:
    approved = {"p01": r.State.APPROVED, "p02": r.State.APPROVED}
    assert r.version_approved(["p01", "p02"], approved)
    assert not r.version_approved(["p01", "p02", "p03"], approved)
    assert not r.version_approved(["p01", "p02"], {**approved, "p02": r.State.SUBMITTED})
    assert not r.version_approved([], {})


def test_partners_report_from_the_period_they_are_active_in() -> None:
    partners = [("p01", None), ("p02", D(2026, 3, 31)), ("p03", D(2026, 4, 1))]
    assert r.partners_reporting(partners, Q1) == ["p01", "p02"]


def test_period_dates() -> None:
    assert Q1.first_day == D(2026, 1, 1) and Q1.last_day == D(2026, 3, 31)
    assert r.last_day(D(2028, 2, 1)) == D(2028, 2, 29)
    assert r.month_of("2026-04", "x") == D(2026, 4, 1)
    for bad in ("2026-4", "26-04", "2026-13", "april"):
        with pytest.raises(InvalidValue, match="yyyy-mm"):
            r.month_of(bad, "first_month")
    r.check_period(D(2026, 1, 1), D(2026, 3, 1), D(2026, 4, 1))
    with pytest.raises(InvalidDates, match="before"):
        r.check_period(D(2026, 3, 1), D(2026, 1, 1), D(2026, 4, 1))
    with pytest.raises(InvalidDates, match="deadline"):
        r.check_period(D(2026, 1, 1), D(2026, 3, 1), D(2026, 3, 31))
    with pytest.raises(InvalidDates, match="120"):
        r.check_period(D(2016, 1, 1), D(2026, 1, 1), D(2026, 4, 1))


def _flag(*dates: tuple[str, dt.date], records: tuple[str, ...] = ("a",)) -> Flag:
    return Flag("late_entry", "p01", "housing_placements", records, dates)


def test_a_flags_identity_is_its_rule_records_and_days() -> None:
    one = _flag(("dated_on", D(2026, 1, 5)))
    assert r.flag_key(one) == r.flag_key(_flag(("dated_on", D(2026, 1, 5))))
    assert len(r.flag_key(one)) == 24
    assert r.flag_key(one) != r.flag_key(_flag(("dated_on", D(2026, 1, 6))))
    assert r.flag_key(one) != r.flag_key(_flag(("dated_on", D(2026, 1, 5)), records=("b",)))


def test_a_flag_belongs_to_the_periods_its_days_overlap() -> None:
    span = r.flag_days(_flag(("started_on", D(2025, 11, 2)), ("today", D(2026, 1, 3))))
    assert span == (D(2025, 11, 2), D(2026, 1, 3))
    assert r.in_period(*span, Q1)
    assert not r.in_period(D(2025, 10, 1), D(2025, 12, 31), Q1)
    assert r.in_period(D(2026, 3, 31), D(2026, 3, 31), Q1)
    with pytest.raises(ValueError, match="names no day"):
        r.flag_days(_flag())


def test_fund_report_scopes_add_up_the_partners_sums() -> None:
    regions = {"p01": "Lombardia", "p02": "Lombardia", "p03": "Sicilia"}
    submitted = "housing_requests_submitted"
    sums = {"p01": {submitted: (3, 10)}, "p02": {submitted: (4, 4)}, "p03": {submitted: (1, 2)}}
    indicators = [BY_ID[submitted]]

    def value(scope: fr.Scope) -> object:
        (row,) = fr.figures(regions, sums, indicators, "it", scope)
        return row["value"]

    assert [s.kind for s in fr.scopes(regions)] == ["network"] + ["region"] * 2 + ["partner"] * 3
    assert value(fr.Scope("network", "")) == 8
    assert value(fr.Scope("region", "Lombardia")) == 7
    assert value(fr.Scope("partner", "p03")) == 1
    live = {**sums, "p02": {submitted: (6, 6)}}
    assert fr.differences(regions, sums, live, indicators) == {"p02": {submitted: 2}}
    assert fr.differences(regions, sums, sums, indicators) == {}
