"""The indicator catalogue is consistent, and docs/indicators.md is generated from it."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from franoi_projection.domain.directory import AXES, KINDS
from franoi_projection.domain.indicators import (
    BY_ID,
    CATALOGUE,
    FACT_TABLES,
    SCORE_SCALE,
    Indicator,
    Source,
    Split,
    Text,
    Unit,
    check_catalogue,
)
from franoi_projection.domain.monthly import VIEWS, Figure, score
from franoi_projection.entrypoints.directory import Axis, Kind
from franoi_projection.indicators_doc import main, render
from franoi_projection.projectors.counters import contribution_sql

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


def test_every_monthly_figure_is_an_indicator_of_the_catalogue() -> None:
    for view in VIEWS:
        for figure in view.figures:
            indicator = BY_ID[figure.indicator]
            if isinstance(figure, Figure) and figure.breakdown:
                assert indicator.split is not None and not indicator.stock, figure
            if isinstance(figure, Figure) and figure.ended:
                assert indicator.stock and not BY_ID[figure.ended].stock, figure
        assert view.splits is not None  # every breakdown names a split


def test_the_directory_axes_are_the_api_axes() -> None:
    assert get_args(Axis) == AXES and get_args(Kind) == KINDS


def test_groups_splits_and_scores_are_checked() -> None:
    grouped = Source("housing_placements", "started_on", group=("person_ref",))
    with pytest.raises(ValueError, match="once a month, in a flow"):
        check_catalogue((_bad(sources=(grouped,), stock=True, disaggregations=()),))
    with pytest.raises(ValueError, match="person columns"):
        check_catalogue((_bad(sources=(grouped,)),))
    with pytest.raises(ValueError, match="dimension of its own"):
        check_catalogue((_bad(split=Split("sex", "sex")),))
    with pytest.raises(ValueError, match="in its view only"):
        check_catalogue((_bad(unit=Unit.SCORE, denominator="x"),))


def test_a_score_is_the_mean_of_the_means_from_five_up() -> None:
    assert score(5 * SCORE_SCALE * 3, 5) == 3.0
    assert score(18 * SCORE_SCALE, 5) == 3.6  # (4 + 4 + 4 + 4 + 2) / 5
    assert score(2_125_000 * 5, 5) == 2.13  # half up, as PostgreSQL rounds
    assert score(10 * SCORE_SCALE, 4) is None
