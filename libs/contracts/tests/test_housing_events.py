"""The housing event contract: types, strictness, round trips and privacy."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from franoi_common.events import DomainEvent, event_class, event_types
from franoi_contracts import housing as ev
from franoi_contracts.catalogue import resolve_ref as _resolve
from franoi_contracts.catalogue import schema_nodes as _nodes
from pydantic import ValidationError

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

ALL = pytest.mark.parametrize("cls", ev.HOUSING_EVENTS, ids=lambda c: c.__name__)

HOUSING_TYPE = re.compile(r"^it\.franoi\.housing\.(unit|agreement|request|placement)\.[a-z_]+\.v1$")
FORBIDDEN_IN_NAMES = (
    "name",
    "address",
    "phone",
    "email",
    "tax",
    "fiscal",
    "permit",
    "note",
    "comment",
    "description",
)
SAFE_FORMATS = {"uuid", "date"}


def test_every_housing_event_is_registered_and_sampled() -> None:
    registered = event_types("housing")
    assert registered == {cls.TYPE: cls for cls in ev.HOUSING_EVENTS}
    assert len(registered) == 12
    assert set(SAMPLES) == set(ev.HOUSING_EVENTS)


@ALL
def test_event_type_and_key(cls: type[DomainEvent]) -> None:
    match = HOUSING_TYPE.match(cls.TYPE)
    assert match, cls.TYPE
    entity = match.group(1)
    assert cls.__name__.lower().startswith(entity)
    assert cls.KEY == f"{entity}_id"
    assert cls.KEY in cls.model_fields
    assert event_class(cls.TYPE) is cls
    assert cls.domain() == "housing"


@ALL
def test_extra_fields_rejected(cls: type[DomainEvent]) -> None:
    with pytest.raises(ValidationError):
        cls.model_validate({**SAMPLES[cls], "notes": "free text"})


@ALL
def test_round_trip_through_json(cls: type[DomainEvent]) -> None:
    event = cls(**SAMPLES[cls])
    data = event.model_dump(mode="json")
    assert cls.model_validate(data) == event
    assert cls.model_validate_json(event.model_dump_json()) == event
    assert event.data() == data
    assert event.aggregate_id == str(SAMPLES[cls][cls.KEY])
    jsonschema.validate(data, cls.model_json_schema())


@ALL
def test_events_are_frozen(cls: type[DomainEvent]) -> None:
    event = cls(**SAMPLES[cls])
    with pytest.raises(ValidationError):
        setattr(event, cls.KEY, uuid4())


@ALL
def test_privacy_no_identifying_field_names(cls: type[DomainEvent]) -> None:
    schema = cls.model_json_schema()
    names = [n for node in _nodes(schema) for n in node.get("properties", {})]
    assert names
    for name in names:
        assert not any(word in name.lower() for word in FORBIDDEN_IN_NAMES), name


@ALL
def test_privacy_no_free_text(cls: type[DomainEvent]) -> None:
    schema = cls.model_json_schema()
    assert schema.get("additionalProperties") is False
    for node in _nodes(schema):
        node = _resolve(node, schema)
        kind = node.get("type")
        assert kind not in ("object", "array") or node is schema, node
        if kind == "string":
            has_enum = "enum" in node or "const" in node
            has_pattern = "pattern" in node
            has_format = node.get("format") in SAFE_FORMATS
            assert has_enum or has_pattern or has_format, f"free text in {cls.__name__}: {node}"
        if kind == "integer":
            assert "minimum" in node and "maximum" in node, f"unbounded int: {node}"


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


def test_enum_values_are_snake_case_english() -> None:
    enums = [
        ev.RentRegime,
        ev.UnitProvider,
        ev.CounterpartKind,
        ev.HousingNeed,
        ev.UnsatisfiedReason,
        ev.ExitOutcome,
    ]
    for enum in enums:
        for member in enum:
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*", member.value), member
