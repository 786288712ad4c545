"""Every record the projection names in a flag or behind a figure opens the desk's page of
that record: the tables of the network's read models and the event types of late entries."""

from __future__ import annotations

import inspect

import pytest
from franoi_contracts import cases, employment, events, hosting, housing
from franoi_desk.entrypoints.reporting import record_link
from franoi_desk.settings import DOMAINS

API = {
    "cases": ("persons", "plans"),
    "housing": ("agreements", "placements", "requests", "units"),
    "employment": (
        "company-agreements",
        "consultations",
        "enrolments",
        "group-activities",
        "hires",
        "internships",
        "skills-profiles",
    ),
    "hosting": ("families", "matches", "requests", "stays"),
    "events": ("access-batches", "community-events", "hubs", "lab-series"),
}
"""The kinds each service reads one by one (``GET /v1/<kind>/{id}``, docs/api)."""

ID = "0b1c2d3e-0000-4000-8000-000000000001"


def _opens_a_page(link: str | None) -> bool:
    if link == f"/persons/{ID}":
        return True
    assert link is not None
    _, records, domain, kind, record_id = link.split("/")
    return records == "records" and domain in DOMAINS and kind in API[domain] and record_id == ID


@pytest.mark.parametrize(
    "table",
    [
        "housing_units", "housing_requests", "housing_placements", "employment_consultations",
        "employment_group_activities", "employment_enrolments", "employment_internships",
        "employment_hires", "hosting_families", "hosting_family_pauses", "hosting_requests",
        "hosting_matches", "hosting_stays", "hosting_visits", "events_hubs",
        "events_access_counts", "events_access_persons", "events_community_events",
        "events_lab_series", "cases_persons", "cases_plans",
    ],
)  # fmt: skip
def test_every_read_model_table_opens_a_page(table: str) -> None:
    assert _opens_a_page(record_link(table, ID)), table


def test_every_event_type_opens_a_page() -> None:
    types = [
        k.TYPE
        for module in (cases, employment, events, hosting, housing)
        for _, k in inspect.getmembers(module, inspect.isclass)
        if isinstance(getattr(k, "TYPE", None), str)
    ]
    assert len(types) > 40
    for event_type in types:
        assert _opens_a_page(record_link(event_type, ID)), event_type
    assert record_link("nowhere_records", ID) is None


def test_a_periods_months_are_named_in_the_pages_language() -> None:
    from franoi_desk.entrypoints.web import month

    assert month("2025-10", "it") == "ottobre 2025"
    assert month("2025-01", "en") == "January 2025"
    assert month("2026-12-01") == "dicembre 2026"
    assert month(None) == ""
