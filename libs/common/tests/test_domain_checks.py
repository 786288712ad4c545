"""The value checks and error families every domain model shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from franoi_common import errors
from franoi_common.domain import Checks, repeats


class ShopError(errors.DomainError):
    code = "shop_error"


class InvalidValue(errors.InvalidValue, ShopError):
    """A value out of range."""


class InvalidDates(errors.InvalidDates, ShopError):
    """Inconsistent dates."""


class InvalidTransition(errors.InvalidTransition, ShopError):
    """Not allowed now."""


checks = Checks(InvalidValue, InvalidDates)


def test_a_service_error_keeps_the_shared_code_status_and_title() -> None:
    assert (InvalidValue.code, InvalidValue.status, InvalidValue.title) == (
        "invalid_value",
        422,
        "Invalid value",
    )
    assert (InvalidDates.code, InvalidDates.status) == ("invalid_dates", 422)
    assert (InvalidTransition.code, InvalidTransition.status, InvalidTransition.title) == (
        "invalid_transition",
        409,
        "Not allowed in the current state",
    )
    assert all(issubclass(e, ShopError) for e in (InvalidValue, InvalidDates, InvalidTransition))


@pytest.mark.parametrize("value", [0, 11, True, 2.5, "3"])
def test_range_refuses_what_is_not_a_whole_number_in_range(value: object) -> None:
    with pytest.raises(InvalidValue, match="beds must be between 1 and 10"):
        checks.range("beds", value, 1, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1, 10])
def test_range_takes_its_bounds(value: int) -> None:
    checks.range("beds", value, 1, 10)


@pytest.mark.parametrize("ref", ["a" * 63, "A" * 64, "g" * 64, 7])
def test_person_ref_must_be_a_pseudonym(ref: object) -> None:
    with pytest.raises(InvalidValue, match="person_ref"):
        checks.person_ref(ref)  # type: ignore[arg-type]
    checks.person_ref("0f" * 32)


def test_not_before_refuses_an_earlier_day_with_the_message() -> None:
    day = dt.date(2026, 3, 1)
    checks.not_before(day, day, "x")
    checks.not_before(day, None, "x")
    with pytest.raises(InvalidDates, match=r"^too early$"):
        checks.not_before(day - dt.timedelta(days=1), day, "too early")


def test_default_checks_raise_the_shared_errors() -> None:
    with pytest.raises(errors.InvalidValue):
        Checks().range("n", 0, 1, 2)


def test_repeats_compares_every_named_attribute() -> None:
    @dataclass
    class Stay:
        status: str
        ended_on: dt.date | None

    stay = Stay("ended", dt.date(2026, 1, 2))
    assert repeats(stay, status="ended", ended_on=dt.date(2026, 1, 2))
    assert not repeats(stay, status="ended", ended_on=dt.date(2026, 1, 3))
    assert not repeats(stay, status="active", ended_on=dt.date(2026, 1, 2))


@pytest.mark.parametrize("code", ["L219", "F205", "H264"])
def test_a_cadastral_code_is_a_place(code: str) -> None:
    Checks().municipality_code(code)


@pytest.mark.parametrize("code", ["l219", "Via Roma 1", "L2190", "", None, 219])
def test_anything_else_is_not_a_municipality_code(code: Any) -> None:
    with pytest.raises(errors.InvalidValue, match="cadastral code"):
        Checks().municipality_code(code)


@pytest.mark.parametrize("code", ["it", "ti", "fil"])
def test_a_language_is_an_iso_code(code: str) -> None:
    Checks().language(code)


@pytest.mark.parametrize("code", ["IT", "italiano", "i", "", None, "it-IT"])
def test_anything_else_is_not_a_language(code: Any) -> None:
    with pytest.raises(errors.InvalidValue, match="ISO 639"):
        Checks().language(code)
