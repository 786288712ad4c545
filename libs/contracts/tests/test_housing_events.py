"""The housing event contract: types, strictness, round trips and privacy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts import housing as ev
from franoi_contracts.base import DomainEvent
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract

PERSON = "ab" * 32

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.UnitRegistered: {
        "unit_id": uuid4(),
        "municipality_code": "L219",
        "beds": 4,
        "monthly_rent_eur": 450,
        "rent_regime": ev.RentRegime.AGREED,
        "provider": ev.UnitProvider.ESTATE_AGENCY_AGREEMENT,
        "agreement_id": uuid4(),
        "available_from": dt.date(2025, 3, 1),
    },
    ev.UnitUpdated: {
        "unit_id": uuid4(),
        "beds": 2,
        "monthly_rent_eur": 0,
        "rent_regime": ev.RentRegime.FREE,
    },
    ev.UnitWithdrawn: {"unit_id": uuid4(), "withdrawn_on": dt.date(2025, 12, 31)},
    ev.AgreementSigned: {
        "agreement_id": uuid4(),
        "counterpart_kind": ev.CounterpartKind.ESTATE_AGENCY,
        "signed_on": dt.date(2025, 1, 15),
        "valid_until": dt.date(2027, 1, 14),
        "units_pledged": 12,
    },
    ev.AgreementEnded: {"agreement_id": uuid4(), "ended_on": dt.date(2026, 6, 30)},
    ev.RequestSubmitted: {
        "request_id": uuid4(),
        "person_ref": PERSON,
        "household_size": 3,
        "need": ev.HousingNeed.EXIT_FROM_RECEPTION,
        "submitted_on": dt.date(2025, 2, 1),
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
    },
    ev.RequestSatisfied: {
        "request_id": uuid4(),
        "closed_on": dt.date(2025, 4, 1),
        "placement_id": uuid4(),
    },
    ev.RequestUnsatisfied: {
        "request_id": uuid4(),
        "closed_on": dt.date(2025, 4, 1),
        "reason": ev.UnsatisfiedReason.NO_UNIT_AVAILABLE,
    },
    ev.RequestWithdrawn: {"request_id": uuid4(), "closed_on": dt.date(2025, 4, 1)},
    ev.PlacementStarted: {
        "placement_id": uuid4(),
        "unit_id": uuid4(),
        "request_id": uuid4(),
        "person_ref": PERSON,
        "household_size": 3,
        "started_on": dt.date(2025, 4, 1),
        "planned_end_on": dt.date(2025, 9, 30),
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
    },
    ev.PlacementExtended: {"placement_id": uuid4(), "planned_end_on": dt.date(2026, 3, 31)},
    ev.PlacementEnded: {
        "placement_id": uuid4(),
        "unit_id": uuid4(),
        "ended_on": dt.date(2025, 9, 30),
        "exit_outcome": ev.ExitOutcome.AUTONOMOUS_RENT,
    },
}


CONTRACT = Contract(
    domain="housing",
    module=ev,
    events=ev.HOUSING_EVENTS,
    samples=SAMPLES,
    extra_fields=({"notes": "free text"},),
    nested=frozenset(),
)


def test_the_housing_domain_has_its_12_event_types() -> None:
    assert len(CONTRACT.events) == 12


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ev.UnitRegistered, {"beds": 0}),
        (ev.UnitRegistered, {"beds": 51}),
        (ev.UnitRegistered, {"monthly_rent_eur": 10_001}),
        (ev.UnitRegistered, {"municipality_code": "Via Roma 1"}),
        (ev.UnitRegistered, {"rent_regime": "canone libero"}),
        (ev.UnitRegistered, {"agreement_id": None}),  # estate-agency provider needs it
        (ev.UnitRegistered, {"rent_regime": "free"}),  # with a rent of 450
        (ev.UnitUpdated, {"monthly_rent_eur": 10}),  # free regime with a rent
        (ev.AgreementSigned, {"valid_until": dt.date(2024, 12, 31)}),
        (ev.AgreementSigned, {"units_pledged": -1}),
        (ev.RequestSubmitted, {"person_ref": "RSSMRA80A01H501U"}),
        (ev.RequestSubmitted, {"household_size": 21}),
        (ev.RequestSubmitted, {"age_band": "30"}),
        (ev.RequestUnsatisfied, {"reason": "did not like the flat"}),
        (ev.PlacementStarted, {"planned_end_on": dt.date(2025, 3, 31)}),
        (ev.PlacementStarted, {"household_size": 0}),
        (ev.PlacementEnded, {"exit_outcome": "moved to Germany"}),
    ],
)
def test_invalid_values_rejected(cls: type[DomainEvent], changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cls(**{**SAMPLES[cls], **changes})


def test_optional_fields_may_be_omitted() -> None:
    signed = ev.AgreementSigned(
        agreement_id=uuid4(),
        counterpart_kind=ev.CounterpartKind.PRIVATE_OWNER,
        signed_on=dt.date(2025, 1, 1),
    )
    assert (signed.valid_until, signed.units_pledged) == (None, None)
    started = ev.PlacementStarted(**{**SAMPLES[ev.PlacementStarted], "request_id": None})
    assert started.request_id is None
    unit = ev.UnitRegistered(
        **{
            **SAMPLES[ev.UnitRegistered],
            "provider": ev.UnitProvider.PARTNER_OWNED,
            "agreement_id": None,
        }
    )
    assert unit.agreement_id is None
