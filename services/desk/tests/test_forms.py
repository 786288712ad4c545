"""The desk's forms from the services' OpenAPI documents (pure: no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from franoi_desk.forms import FROM_THE_REGISTER, Form, Kind, follow_ups, forms_of

API_DOCS = Path(__file__).resolve().parents[3] / "docs" / "api"
DOMAINS = ("cases", "housing", "employment", "hosting", "events")

DOCUMENT: dict[str, Any] = {
    "paths": {
        "/v1/requests": {
            "get": {"operationId": "list_requests"},
            "post": {
                "operationId": "submit_request",
                "tags": ["requests"],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Submit"}}
                    }
                },
            },
        },
        "/v1/placements/{placement_id}/end": {
            "post": {
                "operationId": "end_placement",
                "tags": ["placements"],
                "parameters": [{"name": "placement_id", "in": "path"}],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/End"}}
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Need": {"enum": ["homeless", "other"], "type": "string"},
            "Submit": {
                "type": "object",
                "required": ["household_size", "need", "sex"],
                "properties": {
                    "request_id": {
                        "anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}],
                        "description": "Client-chosen id: retrying answers the same resource",
                    },
                    "household_size": {"type": "integer", "minimum": 1, "maximum": 20},
                    "rent_eur": {"anyOf": [{"type": "number"}, {"type": "null"}]},
                    "need": {"$ref": "#/components/schemas/Need"},
                    "needs": {"type": "array", "items": {"$ref": "#/components/schemas/Need"}},
                    "notes": {"type": "array", "items": {"type": "string", "maxLength": 40}},
                    "urgent": {"type": "boolean"},
                    "person_identifier": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "person_ref": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "sex": {"type": "string", "enum": ["female", "male"]},
                    "household": {"type": "array", "items": {"type": "object"}},
                    "submitted_on": {"type": "string", "format": "date"},
                },
            },
            "End": {
                "type": "object",
                "required": ["ended_on"],
                "properties": {"ended_on": {"type": "string", "format": "date"}},
            },
        }
    },
}


def test_a_form_asks_for_what_the_service_declares() -> None:
    submit, end = forms_of("housing", DOCUMENT)
    assert (submit.operation_id, submit.method, submit.tag) == (
        "submit_request",
        "post",
        "requests",
    )
    kinds = {f.name: f.kind for f in submit.fields}
    assert kinds == {
        "request_id": Kind.TEXT,
        "household_size": Kind.INTEGER,
        "rent_eur": Kind.NUMBER,
        "need": Kind.CHOICE,
        "needs": Kind.CHOICES,
        "notes": Kind.TEXTS,
        "urgent": Kind.BOOLEAN,
        "person_ref": Kind.TEXT,
        "sex": Kind.CHOICE,
        "submitted_on": Kind.DATE,
    }
    by_name = {f.name: f for f in submit.fields}
    assert by_name["household_size"].required and (
        by_name["household_size"].minimum,
        by_name["household_size"].maximum,
    ) == (1, 20)
    assert by_name["need"].enum == "Need" and by_name["need"].choices == ("homeless", "other")
    assert by_name["sex"].enum == "sex"  # an inline enumeration is named by its field
    assert by_name["request_id"].client_chosen and by_name["request_id"].hidden
    assert submit.unsupported == ("household",)
    assert submit.about_a_person  # it takes a person_ref: the register gives it
    asked = {f.name for f in submit.asked()}
    assert not asked & FROM_THE_REGISTER and "request_id" not in asked
    assert "person_identifier" not in {f.name for f in submit.fields}  # never asked
    assert not end.about_a_person and end.record_id == "placement_id"


def test_posted_values_become_the_body_the_service_wants() -> None:
    submit, end = forms_of("housing", DOCUMENT)
    body = submit.body(
        {
            "household_size": "3",
            "rent_eur": "450,50",
            "need": "homeless",
            "needs": ["homeless", "other"],
            "notes": "first, second\nthird",
            "urgent": "true",
            "submitted_on": "",
            "unknown": "x",
        }
    )
    assert body == {
        "household_size": 3,
        "rent_eur": 450.5,
        "need": "homeless",
        "needs": ["homeless", "other"],
        "notes": ["first", "second", "third"],
        "urgent": True,
    }
    assert submit.body({"household_size": "three"}) == {
        "household_size": "three"
    }  # the service says why
    assert end.url({"placement_id": "abc/../../x"}) == "/v1/placements/abc%2F..%2F..%2Fx/end"
    assert end.body({"placement_id": "p", "ended_on": "2026-01-31"}) == {"ended_on": "2026-01-31"}


def test_operations_on_a_record_follow_from_its_ids() -> None:
    forms = forms_of("housing", DOCUMENT)
    steps = follow_ups(forms, {"placement_id": "p-1", "household_size": 2})
    assert [(f.operation_id, rid) for f, rid in steps] == [("end_placement", "p-1")]
    assert follow_ups(forms, {"request_id": "r-1"}) == []


def test_every_write_operation_of_every_partner_service_has_a_form() -> None:
    """Every write people make with their token; the key store's (its secret) has none."""
    for domain in DOMAINS:
        document = json.loads((API_DOCS / f"{domain}.openapi.json").read_text())
        writes = {
            op["operationId"]
            for path, item in document["paths"].items()
            for method, op in item.items()
            if method in ("post", "put", "patch", "delete")
            and path.startswith("/v1/")
            and not path.startswith(("/v1/person-keys/", "/v1/imports/"))
        }  # the imports' files have a page of their own
        forms: list[Form] = forms_of(domain, document)
        assert {f.operation_id for f in forms} == writes, domain
        for form in forms:
            assert form.asked() or form.record_id or form.unsupported, form.key


def test_every_form_is_labelled_in_italian_and_english() -> None:
    from franoi_desk.i18n import CATALOGUE

    missing = set()
    for domain in DOMAINS:
        document = json.loads((API_DOCS / f"{domain}.openapi.json").read_text())
        for form in forms_of(domain, document):
            wanted = [f"op.{form.key}", f"tag.{domain}.{form.tag}", f"domain.{domain}"]
            for spec in form.asked():
                wanted.append(f"field.{spec.name}")
                wanted += [f"enum.{spec.enum}.{choice}" for choice in spec.choices]
            missing |= {key for key in wanted if key not in CATALOGUE}
    assert not missing, sorted(missing)
    for key, (italian, english) in CATALOGUE.items():
        assert italian.strip() and english.strip(), key


def test_the_pages_use_only_catalogued_strings() -> None:
    import re

    import franoi_desk
    from franoi_desk.i18n import CATALOGUE

    templates = Path(franoi_desk.__file__).parent / "templates"
    used = {
        key
        for page in templates.glob("*.html")
        for key in re.findall(r't\("([a-z_]+\.[a-z_.]+)"\)', page.read_text())
    }
    assert used and used <= set(CATALOGUE), sorted(used - set(CATALOGUE))


def test_a_record_in_a_persons_file_offers_the_operations_on_itself() -> None:
    from franoi_desk.forms import own_id, record_facts

    document = json.loads((API_DOCS / "housing.openapi.json").read_text())
    forms = forms_of("housing", document)
    assert own_id(forms, "placements") == "placement_id"
    assert own_id(forms, "requests") == "request_id"
    placement = {
        "placement_id": "p-1",
        "request_id": "r-1",
        "unit_id": "u-1",
        "started_on": "2026-12-01",
        "planned_end_on": None,
        "status": "active",
        "household_size": 2,
        "notes": "not shown",
    }
    steps = follow_ups(forms, placement, own_id(forms, "placements"))
    assert steps and {f.record_id for f, _ in steps} == {"placement_id"}
    assert {rid for _, rid in steps} == {"p-1"}
    assert record_facts(placement) == [
        ("started_on", "2026-12-01"),
        ("status", "active"),
        ("household_size", 2),
    ]


def test_an_attendance_list_and_a_tally_are_sent_in_one_go() -> None:
    employment = forms_of(
        "employment", json.loads((API_DOCS / "employment.openapi.json").read_text())
    )
    hold = next(f for f in employment if f.operation_id.startswith("hold_group_activity"))
    attendees = next(f for f in hold.fields if f.name == "registered_attendees")
    assert attendees.kind is Kind.PERSONS and "registered_attendees" not in hold.unsupported
    body = hold.body({"registered_attendees": ["a" * 64, "b" * 64], "held_on": "2026-12-01"})
    assert body["registered_attendees"] == [{"person_ref": "a" * 64}, {"person_ref": "b" * 64}]

    events = forms_of("events", json.loads((API_DOCS / "events.openapi.json").read_text()))
    batch = next(f for f in events if f.operation_id.startswith("record_accesses"))
    tally = next(f for f in batch.fields if f.name == "anonymous")
    assert tally.kind is Kind.TALLY and tally.tally == ("topic", "referred", "accesses")
    assert tally.tally_key("housing", True) == "anonymous.housing.yes"
    body = batch.body(
        {"anonymous.housing.no": "3", "anonymous.work.yes": "2", "anonymous.work.no": "0"}
    )
    assert body["anonymous"] == [
        {"topic": "housing", "accesses": 3, "referred": False},
        {"topic": "work", "accesses": 2, "referred": True},
    ]
    assert batch.unsupported == ("known_persons",)


def test_a_stay_needs_a_visit_after_thirty_days_without_one() -> None:
    import datetime as dt

    from franoi_desk.entrypoints.worklists import WORKLISTS

    visits = next(w for w in WORKLISTS if w.key == "visits_due")
    today = dt.date(2026, 12, 6)
    assert visits.keeps({"last_visit_on": "2026-11-06", "started_on": "2026-01-01"}, today)
    assert not visits.keeps({"last_visit_on": "2026-11-07", "started_on": "2026-01-01"}, today)
    assert visits.keeps({"last_visit_on": None, "started_on": "2026-10-01"}, today)
    assert not visits.keeps({"last_visit_on": None, "started_on": "2026-12-01"}, today)
    placements = next(w for w in WORKLISTS if w.key == "placements")
    assert placements.keeps({}, today)


def test_a_persons_age_band_is_taken_on_the_records_own_day() -> None:
    housing = forms_of("housing", json.loads((API_DOCS / "housing.openapi.json").read_text()))
    start = next(f for f in housing if f.operation_id.startswith("start_placement"))
    # the document lists planned_end_on before started_on: the plan is not the record's day
    values = {"planned_end_on": "2027-06-30", "started_on": "2026-12-01"}
    assert start.record_day(values) == "2026-12-01"
    assert start.record_day({"planned_end_on": "2027-06-30"}) is None


def test_the_partner_a_person_is_referred_to_is_chosen_from_the_directory() -> None:
    """The referral form names its partner by a field the desk fills from the network's
    directory (by name): a renamed field would leave the worker typing an id."""
    from franoi_desk.forms import DIRECTORY_FIELDS

    document = json.loads((API_DOCS / "cases.openapi.json").read_text())
    propose = next(f for f in forms_of("cases", document) if f.operation_id.startswith("propose"))
    chosen = [f for f in propose.fields if f.name in DIRECTORY_FIELDS]
    assert [(f.name, f.kind, f.required) for f in chosen] == [("to_partner_id", Kind.TEXT, True)]
