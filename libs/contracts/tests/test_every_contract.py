"""Every domain's events against the same rules: registered, published and sampled;
type and key named after the entity; closed, frozen, JSON round trips valid against the
published schema; privacy: no identifying field name, no free text, bounded numbers and
lists; enum values in snake_case English."""

from __future__ import annotations

import enum
import re
from uuid import uuid4

import jsonschema
import pytest
from franoi_contracts import DOMAINS
from franoi_contracts.base import DomainEvent, event_class, event_types
from franoi_contracts.catalogue import published_types, render, schema_of
from franoi_contracts.catalogue import resolve_ref as _resolve
from franoi_contracts.catalogue import schema_nodes as _nodes
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract
from libs.contracts.tests.test_cases_events import CONTRACT as CASES
from libs.contracts.tests.test_employment_events import CONTRACT as EMPLOYMENT
from libs.contracts.tests.test_events_events import CONTRACT as EVENTS
from libs.contracts.tests.test_hosting_events import CONTRACT as HOSTING
from libs.contracts.tests.test_housing_events import CONTRACT as HOUSING
from libs.contracts.tests.test_referrals_events import CONTRACT as REFERRALS

CONTRACTS = (CASES, EMPLOYMENT, EVENTS, HOSTING, HOUSING, REFERRALS)
SAFE_FORMATS = {"uuid", "date"}
SNAKE = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"

EVERY_DOMAIN = pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.domain)
EVERY_EVENT = pytest.mark.parametrize(
    ("contract", "cls"),
    [(c, cls) for c in CONTRACTS for cls in c.events],
    ids=lambda v: v.domain if isinstance(v, Contract) else v.__name__,
)


def test_every_published_domain_is_checked() -> None:
    assert {c.domain for c in CONTRACTS} == set(DOMAINS)


@EVERY_DOMAIN
def test_every_event_is_registered_published_and_sampled(contract: Contract) -> None:
    registered = event_types(contract.domain)
    assert registered == {cls.TYPE: cls for cls in contract.events}
    assert set(contract.samples) == set(contract.events)
    assert DOMAINS[contract.domain] is contract.module
    published = published_types()
    files = render()
    for cls in contract.events:
        assert published[cls.TYPE] is cls
        assert schema_of(cls)["x-kafka-key"] == cls.KEY
        assert f"events/schemas/{cls.TYPE}.json" in files
    assert (
        f'"address": "franoi.{{partnerId}}.{contract.domain}.v1"' in files["events/asyncapi.json"]
    )


@EVERY_EVENT
def test_event_type_and_key(contract: Contract, cls: type[DomainEvent]) -> None:
    match = re.fullmatch(rf"it\.franoi\.{contract.domain}\.({SNAKE})\.{SNAKE}\.v1", cls.TYPE)
    assert match, cls.TYPE
    entity = match.group(1)
    assert cls.__name__.lower().startswith(entity.replace("_", ""))
    assert cls.KEY == f"{entity}_id"
    assert cls.KEY in cls.model_fields
    assert event_class(cls.TYPE) is cls
    assert cls.domain() == contract.domain


@EVERY_EVENT
def test_extra_fields_rejected(contract: Contract, cls: type[DomainEvent]) -> None:
    for extra in contract.extra_fields:
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            cls.model_validate({**contract.samples[cls], **extra})


@EVERY_EVENT
def test_round_trip_through_json(contract: Contract, cls: type[DomainEvent]) -> None:
    event = contract.sample(cls)
    data = event.model_dump(mode="json")
    assert cls.model_validate(data) == event
    assert cls.model_validate_json(event.model_dump_json()) == event
    assert event.data() == data
    assert event.aggregate_id == str(contract.samples[cls][cls.KEY])
    jsonschema.validate(data, schema_of(cls))


@EVERY_EVENT
def test_events_are_frozen(contract: Contract, cls: type[DomainEvent]) -> None:
    event = contract.sample(cls)
    with pytest.raises(ValidationError):
        setattr(event, cls.KEY, uuid4())


@EVERY_EVENT
def test_privacy_no_identifying_field_names(contract: Contract, cls: type[DomainEvent]) -> None:
    schema = cls.model_json_schema()
    names = [n for node in _nodes(schema) for n in node.get("properties", {})]
    assert names
    for name in names:
        assert not any(word in name.lower() for word in contract.forbidden_in_names), name


@EVERY_EVENT
def test_privacy_no_free_text(contract: Contract, cls: type[DomainEvent]) -> None:
    """Strings are enums, patterns, uuids or dates; integers and lists are bounded; nested
    objects are closed and only those the domain allows."""
    schema = cls.model_json_schema()
    assert schema.get("additionalProperties") is False
    for node in _nodes(schema):
        node = _resolve(node, schema)
        kind = node.get("type")
        if kind == "object" and node is not schema:
            assert node.get("additionalProperties") is False, f"open object: {node}"
            allowed = contract.nested
            assert allowed is None or node.get("title") in allowed, f"nested object: {node}"
        if kind == "array":
            assert "maxItems" in node, f"unbounded list in {cls.__name__}: {node}"
            if contract.unique_arrays:
                assert node.get("uniqueItems") is True, node
            items = _resolve(node["items"], schema)
            closed = items.get("additionalProperties") is False
            assert "enum" in items or "pattern" in items or closed, node
        if kind == "string":
            has_enum = "enum" in node or "const" in node
            has_pattern = "pattern" in node
            has_format = node.get("format") in SAFE_FORMATS
            assert has_enum or has_pattern or has_format, f"free text in {cls.__name__}: {node}"
        if kind == "integer":
            assert "minimum" in node and "maximum" in node, f"unbounded int: {node}"


@EVERY_DOMAIN
def test_enum_values_are_snake_case_english(contract: Contract) -> None:
    enums = [
        e
        for e in vars(contract.module).values()
        if isinstance(e, type)
        and issubclass(e, enum.Enum)
        and e.__module__ == contract.module.__name__
    ]
    assert enums
    for values in enums:
        for member in values:
            assert re.fullmatch(SNAKE, str(member.value)), member
