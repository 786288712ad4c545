"""The indicator catalogue is consistent, and docs/indicators.md is generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from franoi_projection.domain.indicators import (
    BY_ID,
    CATALOGUE,
    FACT_TABLES,
    Indicator,
    Source,
    Text,
    Unit,
    check_catalogue,
)
from franoi_projection.indicators_doc import main, render
from franoi_projection.service_layer.counts import contribution_sql

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_docs_indicators_is_current() -> None:
    assert main([str(DOCS), "--check"]) == 0, "run: uv run franoi-indicators-docs docs"
    assert all(f"### {i.id}" in render() for i in CATALOGUE)


def test_every_rate_names_flow_indicators_and_every_flow_has_sources() -> None:
    check_catalogue()
    rate = BY_ID["housing_satisfaction_rate"]
    assert rate.numerator == "housing_requests_satisfied"
    assert rate.denominator == "housing_requests_decided"
    assert {i.unit for i in CATALOGUE} >= {Unit.PERSONS, Unit.HOUSEHOLDS, Unit.RATE, Unit.BEDS}


def _bad(**overrides: object) -> Indicator:
    values: dict[str, object] = {
        "id": "x",
        "axis": "housing",
        "label": Text("x", "x"),
        "description": Text("x", "x"),
        "unit": Unit.COUNT,
        "counts": "x",
        "sources": (Source("housing_requests", "submitted_on"),),
    }
    values.update(overrides)
    return Indicator(**values)  # type: ignore[arg-type]


def test_inconsistent_definitions_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        check_catalogue((_bad(), _bad()))
    with pytest.raises(ValueError, match="unknown table"):
        check_catalogue((_bad(sources=(Source("nowhere", "d"),)),))
    with pytest.raises(ValueError, match="person columns"):
        check_catalogue((_bad(sources=(Source("housing_units", "available_from"),)),))
    with pytest.raises(ValueError, match="not a flow"):
        check_catalogue((_bad(unit=Unit.RATE, sources=(), numerator="y", denominator="x"),))


def test_statements_are_generated_for_every_fact_table() -> None:
    for table in FACT_TABLES.values():
        sql = contribution_sql(table, -1, CATALOGUE)
        assert sql.startswith("INSERT INTO indicator_counts") and "-1 * n" in sql
