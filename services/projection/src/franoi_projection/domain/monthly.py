"""The partner-by-month views (``GET /v1/<axis>/monthly``): catalogue indicators under the
names their clients know, one row per partner and month.

Each view lists its figures: a count (an indicator's value in the month: a flow's sum, a
stock's running value), a breakdown (a flow's split as a dictionary, value → count), a
share (a rate with its numerator and denominator), a score (a mean, shown from
:data:`~franoi_projection.domain.indicators.MIN_SCORED` up) or a group of figures. Nothing
is counted here: every value is read from the counters the catalogue defines, so a view
and the key numbers cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from franoi_projection.domain.indicators import BY_ID, MIN_SCORED, SCORE_SCALE, Indicator
from franoi_projection.domain.months import month_label
from franoi_projection.domain.views import months_between, ratio


@dataclass(frozen=True)
class Figure:
    """One field of a row: an indicator's value in the month; ``breakdown``, its split as
    a dictionary (the keys of ``keys_of``'s split too, with their zeros, when given);
    ``ended``, what was under way at some time in the month: the stock ``indicator`` at the
    month's end plus the flow ``ended`` of the month (what ended in it)."""

    name: str
    indicator: str
    breakdown: bool = False
    keys_of: str | None = None
    ended: str | None = None


@dataclass(frozen=True)
class Share:
    """A rate as ``{numerator, denominator, rate}``."""

    name: str
    indicator: str


@dataclass(frozen=True)
class Group:
    """Figures gathered under one field."""

    name: str
    figures: tuple[Figure, ...]


Field = Figure | Share | Group


@dataclass(frozen=True)
class MonthlyView:
    axis: str
    title: str
    summary: str
    fields: tuple[Field, ...]

    @property
    def figures(self) -> list[Figure | Share]:
        return [
            f
            for field in self.fields
            for f in (field.figures if isinstance(field, Group) else (field,))
        ]

    @property
    def indicators(self) -> list[Indicator]:
        """Every indicator whose counters the view reads (a rate's or score's parts too)."""
        ids: dict[str, None] = {}
        for figure in self.figures:
            for part in BY_ID[figure.indicator].parts:
                ids[part] = None
            if isinstance(figure, Figure):
                for other in filter(None, (figure.keys_of, figure.ended)):
                    ids[other] = None
        return [BY_ID[i] for i in ids]

    @property
    def splits(self) -> list[tuple[str, str]]:
        """``(indicator id, dimension)`` of the breakdowns it shows."""
        found: dict[tuple[str, str], None] = {}
        for figure in self.figures:
            if isinstance(figure, Figure) and figure.breakdown:
                for indicator_id in filter(None, (figure.indicator, figure.keys_of)):
                    split = BY_ID[indicator_id].split
                    assert split is not None, f"{indicator_id} has no split"
                    found[(indicator_id, split.dimension)] = None
        return list(found)


@dataclass
class Counters:
    """The counters a view read, by indicator, partner and month: totals, and per split
    value (a stock's months before the first come as the month before it)."""

    totals: dict[tuple[str, str], dict[dt.date, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    split: dict[tuple[str, str], dict[dt.date, dict[str, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> Counters:
        counters = cls()
        for r in rows:
            at = (r["indicator_id"], r["partner_id"])
            if r["dimension"] == "all":
                counters.totals[at][r["month"]] = int(r["n"])
            else:
                counters.split[at][r["month"]][r["key"]] = int(r["n"])
        return counters


def _values(
    indicator: Indicator, monthly: Mapping[dt.date, int], months: Sequence[dt.date]
) -> list[int]:
    """The indicator's value in each month: a flow's sum, a stock's running value."""
    if not indicator.stock:
        return [monthly.get(m, 0) for m in months]
    running = sum(n for m, n in monthly.items() if m < months[0])
    values = []
    for month in months:
        running += monthly.get(month, 0)
        values.append(running)
    return values


def score(total: int, count: int) -> float | None:
    """A mean score (1-5, two decimals) from the sum of its means in millionths over how
    many there are; none under :data:`MIN_SCORED` (a family or a guest could be told apart)."""
    if count < MIN_SCORED:
        return None
    mean = Decimal(total) / Decimal(count) / SCORE_SCALE
    return float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class _Cell:
    """Where a value is read: a partner's month, with the month's index in the period."""

    partner_id: str
    index: int
    month: dt.date


def _value(
    figure: Figure | Share, at: _Cell, values: Mapping[str, Sequence[int]], counters: Counters
) -> Any:
    indicator = BY_ID[figure.indicator]
    if isinstance(figure, Share) or indicator.parts != (indicator.id,):
        top, bottom = (values[p][at.index] for p in indicator.parts)
        if isinstance(figure, Share):
            return {"numerator": top, "denominator": bottom, "rate": ratio(top, bottom)}
        return score(top, bottom) if indicator.is_score else ratio(top, bottom)
    if not figure.breakdown:
        ended = values[figure.ended][at.index] if figure.ended else 0
        return values[indicator.id][at.index] + ended
    split = counters.split.get((indicator.id, at.partner_id), {}).get(at.month, {})
    shown = {k: n for k, n in split.items() if n}
    if figure.keys_of:
        keys = counters.split.get((figure.keys_of, at.partner_id), {}).get(at.month, {})
        shown = {k: split.get(k, 0) for k, n in keys.items() if n} | shown
    return shown


def rows(
    view: MonthlyView,
    partners: Sequence[Mapping[str, Any]],
    counters: Counters,
    first: dt.date,
    last: dt.date,
) -> list[dict[str, Any]]:
    """One row per partner (``partner_id``, ``region``) and month from ``first`` to ``last``."""
    months = months_between(first, last)
    result = []
    for partner in partners:
        pid = partner["partner_id"]
        values = {
            i.id: _values(i, counters.totals.get((i.id, pid), {}), months) for i in view.indicators
        }
        for index, month in enumerate(months):
            at = _Cell(pid, index, month)
            row: dict[str, Any] = {
                "partner_id": pid,
                "region": partner["region"],
                "month": month_label(month),
            }
            for item in view.fields:
                if isinstance(item, Group):
                    row[item.name] = {f.name: _value(f, at, values, counters) for f in item.figures}
                else:
                    row[item.name] = _value(item, at, values, counters)
            result.append(row)
    return result


def _breakdown(name: str, indicator: str, keys_of: str | None = None) -> Figure:
    return Figure(name, indicator, breakdown=True, keys_of=keys_of)


def _under_way(name: str, at_end: str, ended: str) -> Figure:
    return Figure(name, at_end, ended=ended)


VIEWS: tuple[MonthlyView, ...] = (
    MonthlyView(
        "housing",
        "Housing",
        "Housing per partner and month: requests submitted, satisfied and unsatisfied,"
        " placements started and under way, households housed, beds available at month end,"
        " exits by outcome.",
        (
            Figure("requests_submitted", "housing_requests_submitted"),
            Figure("requests_satisfied", "housing_requests_satisfied"),
            Figure("requests_unsatisfied", "housing_requests_unsatisfied"),
            Figure("placements_started", "housing_placements_started"),
            _under_way("active_placements", "housing_households_housed", "housing_exits"),
            _under_way(
                "persons_housed", "housing_households_housed", "housing_households_moved_out"
            ),
            Figure("beds_available", "housing_beds_available"),
            _breakdown("exits_by_outcome", "housing_exits"),
        ),
    ),
    MonthlyView(
        "employment",
        "Employment",
        "Employment per partner and month: consultations by topic and persons consulted,"
        " group activities held and their participants by kind, course enrolments,"
        " completions and dropouts, internships started and ended by outcome (``pending``"
        " until recorded), hires by contract type, hires after an internship and persons"
        " hired.",
        (
            Figure("consultations", "employment_consultations"),
            _breakdown("consultations_by_topic", "employment_consultations"),
            Figure("persons_consulted", "employment_persons_consulted"),
            _breakdown("group_activities_held_by_kind", "employment_group_activities_held"),
            _breakdown("participants_by_kind", "employment_group_participants"),
            Figure("training_enrolments", "employment_enrolments_started"),
            Figure("training_completions", "employment_enrolments_completed"),
            Figure("training_dropouts", "employment_enrolments_dropped"),
            Figure("internships_started", "employment_internships_started"),
            _breakdown("internships_ended_by_outcome", "employment_internships_ended"),
            Figure("hires", "employment_hires"),
            _breakdown("hires_by_contract_type", "employment_hires"),
            Figure("hires_after_internship", "employment_hires_after_internship"),
            Figure("persons_hired", "employment_persons_hired"),
        ),
    ),
    MonthlyView(
        "hosting",
        "Hosting",
        "Family hosting per partner and month: families applied, approved and available,"
        " requests submitted (by kind), satisfied and unsatisfied, the share of the month's"
        " requests satisfied since, matches proposed and accepted, stays started, under way"
        " and ended by outcome, and wellbeing at the visits (averages from 5 stays visited).",
        (
            Figure("families_applied", "hosting_families_applied"),
            Figure("families_approved", "hosting_families_approved"),
            Figure("families_active", "hosting_families_active"),
            Figure("requests_submitted", "hosting_requests_submitted"),
            _breakdown("requests_submitted_by_kind", "hosting_requests_submitted"),
            Figure("requests_satisfied", "hosting_requests_satisfied"),
            Figure("requests_unsatisfied", "hosting_requests_unsatisfied"),
            Share("requests_satisfaction", "hosting_submitted_satisfaction_rate"),
            Figure("matches_proposed", "hosting_matches_proposed"),
            Figure("matches_accepted", "hosting_matches_accepted"),
            Figure("stays_started", "hosting_stays_started"),
            _under_way("stays_active", "hosting_guests_hosted", "hosting_stays_ended"),
            _breakdown("stays_ended_by_outcome", "hosting_stays_ended"),
            Group(
                "wellbeing",
                (
                    Figure("stays_visited", "hosting_stays_visited"),
                    Figure("guest_average", "hosting_guest_wellbeing"),
                    Figure("family_average", "hosting_family_wellbeing"),
                ),
            ),
        ),
    ),
    MonthlyView(
        "events",
        "Events",
        "Community events per partner and month: events held (by kind) and cancelled,"
        " participants, beneficiaries and volunteers, lab meetings, labs active and"
        " completed with their distinct participants, hubs open, walk-in accesses by topic"
        " and referred, persons followed among the accesses.",
        (
            Figure("events_held", "events_held"),
            _breakdown("events_held_by_kind", "events_held"),
            Figure("events_cancelled", "events_cancelled"),
            Figure("participants", "events_participants"),
            Figure("beneficiaries", "events_beneficiaries"),
            Figure("volunteers", "events_volunteers"),
            Figure("lab_sessions_held", "events_lab_sessions_held"),
            Figure("lab_session_participants", "events_lab_session_participants"),
            Figure("labs_active", "events_labs_active"),
            Figure("labs_completed", "events_labs_completed"),
            Figure("lab_distinct_participants", "events_labs_completed_participants"),
            _under_way("hubs_open", "events_hubs_open", "events_hubs_closed"),
            Figure("accesses", "events_accesses"),
            _breakdown("accesses_by_topic", "events_accesses"),
            Figure("accesses_referred", "events_accesses_referred"),
            _breakdown(
                "accesses_referred_by_topic", "events_accesses_referred", keys_of="events_accesses"
            ),
            Figure("persons_known", "events_persons_known"),
        ),
    ),
    MonthlyView(
        "cases",
        "Cases",
        "Individual plans per partner and month: persons registered, plans opened, under way"
        " during the month and closed (by outcome), plans closed with autonomy reached.",
        (
            Figure("persons_registered", "cases_persons_registered"),
            Figure("plans_opened", "cases_plans_opened"),
            _under_way("active_plans", "cases_plans_open", "cases_plans_closed"),
            Figure("plans_closed", "cases_plans_closed"),
            _breakdown("closed_by_outcome", "cases_plans_closed"),
            Figure("autonomy_reached", "cases_plans_autonomy_reached"),
        ),
    ),
)
