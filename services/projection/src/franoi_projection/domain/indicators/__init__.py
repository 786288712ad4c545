"""The indicator catalogue: every figure the network views show, defined once.

Each :class:`Indicator` says what it counts, in Italian and English, its unit, what one unit
is (persons, households, requests...), the disaggregations it allows and how it is computed
from the read models (:mod:`.model`). From these definitions come the projection statements
that keep the monthly counts up to date, every read of the network (key numbers, tables,
the partner-by-month views, exports), the API's catalogue and ``docs/indicators.md``.

One module per axis defines its indicators (with the kinds of :mod:`.kinds`); adding an
axis means adding a module, listing it here with its fact tables in :data:`FACT_TABLES`;
nothing else changes.
"""

from __future__ import annotations

from dataclasses import replace

from franoi_projection.domain.indicators import (
    cases,
    employment,
    events,
    hosting,
    housing,
    referrals,
)
from franoi_projection.domain.indicators import journeys as journey_outcomes
from franoi_projection.domain.indicators.model import (
    ALL_DIMENSIONS,
    MIN_SCORED,
    PERSON_DIMENSIONS,
    PLACE_AND_TIME,
    SCORE_SCALE,
    By,
    FactTable,
    Indicator,
    Source,
    Split,
    Text,
    Unit,
)

__all__ = [
    "ALL_DIMENSIONS",
    "BY_ID",
    "CATALOGUE",
    "DIMENSION_LABELS",
    "FACT_TABLES",
    "KEY_NUMBERS",
    "MIN_SCORED",
    "PERSON_DIMENSIONS",
    "PLACE_AND_TIME",
    "SCORE_SCALE",
    "VALUE_LABELS",
    "By",
    "FactTable",
    "Indicator",
    "Source",
    "Split",
    "Text",
    "Unit",
    "check_catalogue",
]

_AXES = (housing, employment, hosting, events, cases, referrals)

FACT_TABLES: dict[str, FactTable] = {
    t.name: t
    for t in (
        FactTable("housing_units", "unit_id", person_columns=False),
        FactTable("housing_requests", "request_id", person_columns=True),
        FactTable("housing_placements", "placement_id", person_columns=True),
        FactTable("employment_consultations", "consultation_id", person_columns=True),
        FactTable("employment_group_activities", "group_activity_id", person_columns=False),
        FactTable("employment_enrolments", "enrolment_id", person_columns=True),
        FactTable("employment_internships", "internship_id", person_columns=True),
        FactTable("employment_hires", "hire_id", person_columns=True),
        FactTable("hosting_families", "family_id", person_columns=False),
        FactTable("hosting_family_pauses", "family_id", person_columns=False),
        FactTable("hosting_requests", "request_id", person_columns=True),
        FactTable("hosting_matches", "match_id", person_columns=False),
        FactTable("hosting_stays", "stay_id", person_columns=True),
        FactTable("hosting_visits", "stay_id", person_columns=False),
        FactTable("events_hubs", "hub_id", person_columns=False),
        FactTable("events_access_counts", "access_batch_id", person_columns=False),
        FactTable("events_access_persons", "access_batch_id", person_columns=False),
        FactTable("events_community_events", "community_event_id", person_columns=False),
        FactTable("events_lab_series", "lab_series_id", person_columns=False),
        FactTable("cases_persons", "person_id", person_columns=True),
        FactTable("cases_plans", "plan_id", person_columns=False),
        FactTable("referrals_made", "referral_id", person_columns=True),
        FactTable("referrals_answered", "referral_id", person_columns=False),
    )
}
"""The read models indicators are computed from, by the aggregate their rows belong to."""

KEY_NUMBERS: tuple[str, ...] = (
    "events_accesses",
    "employment_job_consultations",
    "employment_orientation_participants",
    "employment_training_participants",
    "employment_hires",
    "hosting_requests_submitted",
    "hosting_satisfaction_rate",
    "employment_savings_consultations",
    "employment_financial_education_participants",
    "employment_school_pupils",
    "housing_requests_submitted",
    "housing_requests_satisfied",
    "housing_requests_unsatisfied",
    "housing_satisfaction_rate",
    "housing_units_available",
    "housing_persons_housed",
    "housing_exits_to_autonomy",
    "events_held",
    "events_participants",
    "events_socialisation_labs",
    "events_socialisation_lab_participants",
    "events_community_labs",
    "events_community_lab_beneficiaries",
    "cases_plans_opened",
    "cases_plans_completed",
    "cases_plans_autonomy_reached",
    "hosting_stays_started",
    "housing_leases_signed",
    "journeys_autonomy_reached",
    "journeys_first_hires",
    "journeys_in_work_6_months_rate",
    "journeys_back_in_reception_12_months_rate",
)
"""The key numbers, in the order a project publishes them (seed 001's table, then the
Fra Noi results)."""

CATALOGUE: tuple[Indicator, ...] = tuple(
    replace(i, key_number=i.id in KEY_NUMBERS)
    for axis in (*_AXES, journey_outcomes)
    for i in axis.INDICATORS
)
BY_ID: dict[str, Indicator] = {i.id: i for i in CATALOGUE}

DIMENSION_LABELS: dict[By, Text] = {
    By.MONTH: Text("Mese", "Month"),
    By.PARTNER: Text("Partner", "Partner"),
    By.REGION: Text("Regione", "Region"),
    By.SEX: Text("Sesso", "Sex"),
    By.AGE_BAND: Text("Fascia d'età", "Age band"),
    By.PROTECTION_STATUS: Text("Protezione", "Protection status"),
}

VALUE_LABELS: dict[By, dict[str, Text]] = {
    By.SEX: {
        "female": Text("Donne", "Women"),
        "male": Text("Uomini", "Men"),
        "other": Text("Altro", "Other"),
        "undisclosed": Text("Non dichiarato", "Undisclosed"),
    },
    By.AGE_BAND: {
        band: Text(band, band) for band in ("0-17", "18-24", "25-34", "35-44", "45-54", "55+")
    },
    By.PROTECTION_STATUS: {
        "refugee": Text("Rifugiato", "Refugee"),
        "subsidiary_protection": Text("Protezione sussidiaria", "Subsidiary protection"),
        "special_protection": Text("Protezione speciale", "Special protection"),
        "trafficking_victim_permit": Text("Permesso per vittime di tratta", "Trafficking permit"),
        "other": Text("Altro", "Other"),
    },
}

_RESERVED_DIMENSIONS = {"all", "axes", "days", *(d.value for d in PERSON_DIMENSIONS)}
"""Counter dimensions a split may not take: the totals, the person breakdowns and the
journeys' own (axes touched, days to the first hire)."""


def _check_parts(indicator: Indicator, by_id: dict[str, Indicator]) -> None:
    if indicator.is_rate:
        if indicator.sources or indicator.unit is not Unit.RATE:
            raise ValueError(f"{indicator.id}: a rate has no sources of its own")
        parts: tuple[str | None, ...] = (indicator.numerator, indicator.denominator)
    elif indicator.is_score:
        if indicator.network or set(indicator.disaggregations) - set(PLACE_AND_TIME):
            raise ValueError(f"{indicator.id}: a score is by place and time, in its view only")
        parts = (indicator.denominator,)
    else:
        return
    for part in parts:
        if part not in by_id or by_id[part].is_rate or by_id[part].stock:
            raise ValueError(f"{indicator.id}: {part} is not a flow indicator")


def _check_sources(indicator: Indicator) -> None:
    wants_person = set(indicator.disaggregations) & set(PERSON_DIMENSIONS)
    for source in indicator.sources:
        table = FACT_TABLES.get(source.table)
        if table is None:
            raise ValueError(f"{indicator.id}: unknown table {source.table}")
        if wants_person and (not table.person_columns or source.group):
            raise ValueError(f"{indicator.id}: {source.table} has no person columns")
        if source.group and indicator.stock:
            raise ValueError(f"{indicator.id}: groups count once a month, in a flow")
    if indicator.split is not None:
        if indicator.split.dimension in _RESERVED_DIMENSIONS or indicator.stock:
            raise ValueError(f"{indicator.id}: a split is a dimension of its own, of a flow")
        if any(source.group for source in indicator.sources):
            raise ValueError(f"{indicator.id}: a count of groups is not split")


def check_catalogue(catalogue: tuple[Indicator, ...] = CATALOGUE) -> None:
    """Every definition is complete and consistent (run at import and in the tests)."""
    ids = [i.id for i in catalogue]
    if len(ids) != len(set(ids)):
        raise ValueError("an indicator id is defined twice")
    by_id = {i.id: i for i in catalogue}
    if catalogue is CATALOGUE and not set(KEY_NUMBERS) <= set(ids):
        raise ValueError("a key number is not in the catalogue")
    for indicator in catalogue:
        _check_parts(indicator, by_id)
        if indicator.journey is not None:
            if indicator.sources or not set(indicator.disaggregations) <= set(PLACE_AND_TIME):
                raise ValueError(f"{indicator.id}: a journey outcome has no sources of its own")
        elif not indicator.sources and not indicator.is_rate:
            raise ValueError(f"{indicator.id}: no sources")
        _check_sources(indicator)


check_catalogue()
