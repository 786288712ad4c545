"""The employment event contract: types, strictness, round trips and privacy."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from franoi_common.events import DomainEvent, event_class, event_types
from franoi_contracts import DOMAINS
from franoi_contracts import employment as ev
from franoi_contracts.catalogue import published_types, schema_of
from franoi_contracts.catalogue import resolve_ref as _resolve
from franoi_contracts.catalogue import schema_nodes as _nodes
from pydantic import ValidationError

PERSON = "ab" * 32
OTHER = "cd" * 32
COARSE = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.ConsultationRecorded: {
        "consultation_id": uuid4(),
        "person_ref": PERSON,
        "held_on": dt.date(2025, 3, 4),
        "topic": ev.ConsultationTopic.CV_AND_APPLICATIONS,
        "minutes": 45,
        "worker_role": ev.WorkerRole.JOB_COUNSELLOR,
        **COARSE,
    },
    ev.GroupActivityScheduled: {
        "group_activity_id": uuid4(),
        "kind": ev.GroupActivityKind.ORIENTATION_GROUP,
        "scheduled_on": dt.date(2025, 3, 10),
    },
    ev.GroupActivityHeld: {
        "group_activity_id": uuid4(),
        "kind": ev.GroupActivityKind.SCHOOL_SESSION,
        "held_on": dt.date(2025, 3, 10),
        "registered_attendees": [PERSON, OTHER],
        "anonymous_attendees": 24,
    },
    ev.GroupActivityCancelled: {"group_activity_id": uuid4(), "cancelled_on": dt.date(2025, 3, 9)},
    ev.SkillsProfileAssessed: {
        "skills_profile_id": uuid4(),
        "version": 2,
        "person_ref": PERSON,
        "assessed_on": dt.date(2025, 3, 4),
        "education_level": ev.EducationLevel.UPPER_SECONDARY,
        "italian_level": ev.ItalianLevel.A2,
        "italian_assessed_on": dt.date(2025, 2, 20),
        "other_languages": ["en", "ar", "tir"],
        "prior_sectors": ["A", "F"],
        "driving_licence": ev.DrivingLicence.FOREIGN_NOT_CONVERTED,
    },
    ev.CompanyAgreementSigned: {
        "company_agreement_id": uuid4(),
        "sector": "I",
        "places_offered": 3,
        "signed_on": dt.date(2025, 1, 15),
        "valid_until": dt.date(2026, 1, 14),
    },
    ev.CompanyAgreementEnded: {"company_agreement_id": uuid4(), "ended_on": dt.date(2026, 1, 14)},
    ev.EnrolmentStarted: {
        "enrolment_id": uuid4(),
        "person_ref": PERSON,
        "course_kind": ev.CourseKind.SAFETY_CERTIFICATE,
        "hours": 16,
        "starts_on": dt.date(2025, 4, 1),
        "ends_on": dt.date(2025, 4, 3),
        **COARSE,
    },
    ev.EnrolmentCompleted: {"enrolment_id": uuid4(), "completed_on": dt.date(2025, 4, 3)},
    ev.EnrolmentDropped: {"enrolment_id": uuid4(), "dropped_on": dt.date(2025, 4, 2)},
    ev.InternshipStarted: {
        "internship_id": uuid4(),
        "person_ref": PERSON,
        "company_agreement_id": uuid4(),
        "sector": "I",
        "started_on": dt.date(2025, 5, 1),
        "planned_end_on": dt.date(2025, 10, 31),
        "monthly_stipend_eur": 500,
        "stipend_paid_by": ev.StipendPayer.PROJECT,
        **COARSE,
    },
    ev.InternshipExtended: {"internship_id": uuid4(), "planned_end_on": dt.date(2025, 12, 31)},
    ev.InternshipEnded: {"internship_id": uuid4(), "ended_on": dt.date(2025, 10, 31)},
    ev.InternshipOutcomeRecorded: {
        "internship_id": uuid4(),
        "outcome": ev.InternshipOutcome.INTERRUPTED,
        "interrupted_by": ev.InterruptedBy.COMPANY,
        "ended_on": dt.date(2025, 7, 15),
        "recorded_on": dt.date(2025, 7, 20),
    },
    ev.HireRecorded: {
        "hire_id": uuid4(),
        "person_ref": PERSON,
        "company_agreement_id": uuid4(),
        "internship_id": uuid4(),
        "sector": "I",
        "contract_type": ev.ContractType.FIXED_TERM,
        "weekly_hours": 30,
        "started_on": dt.date(2025, 11, 1),
        "ends_on": dt.date(2026, 4, 30),
        **COARSE,
    },
    ev.HireEnded: {
        "hire_id": uuid4(),
        "ended_on": dt.date(2026, 4, 30),
        "reason": ev.HireEndReason.CONTRACT_EXPIRED,
    },
}

ALL = pytest.mark.parametrize("cls", ev.EMPLOYMENT_EVENTS, ids=lambda c: c.__name__)

ENTITIES = (
    "consultation",
    "group_activity",
    "skills_profile",
    "company_agreement",
    "enrolment",
    "internship",
    "hire",
)
EMPLOYMENT_TYPE = re.compile(
    rf"^it\.franoi\.employment\.({'|'.join(ENTITIES)})\.([a-z]+(?:_[a-z]+)*)\.v1$"
)
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
    "title",
    "provider",
    "company_name",
    "course_name",
    "text",
)
SAFE_FORMATS = {"uuid", "date"}


def test_every_employment_event_is_registered_and_sampled() -> None:
    registered = event_types("employment")
    assert registered == {cls.TYPE: cls for cls in ev.EMPLOYMENT_EVENTS}
    assert len(registered) == 16
    assert set(SAMPLES) == set(ev.EMPLOYMENT_EVENTS)


def test_employment_is_a_published_domain() -> None:
    assert DOMAINS["employment"] is ev
    published = published_types()
    for cls in ev.EMPLOYMENT_EVENTS:
        assert published[cls.TYPE] is cls
        assert schema_of(cls)["x-kafka-key"] == cls.KEY


@ALL
def test_event_type_and_key(cls: type[DomainEvent]) -> None:
    match = EMPLOYMENT_TYPE.match(cls.TYPE)
    assert match, cls.TYPE
    entity = match.group(1)
    assert cls.__name__.lower().startswith(entity.replace("_", ""))
    assert cls.KEY == f"{entity}_id"
    assert cls.KEY in cls.model_fields
    assert event_class(cls.TYPE) is cls
    assert cls.domain() == "employment"


@ALL
def test_extra_fields_rejected(cls: type[DomainEvent]) -> None:
    with pytest.raises(ValidationError):
        cls.model_validate({**SAMPLES[cls], "notes": "free text"})
    with pytest.raises(ValidationError):
        cls.model_validate({**SAMPLES[cls], "company_name": "Ristorante Da Mario"})


@ALL
def test_round_trip_through_json(cls: type[DomainEvent]) -> None:
    event = cls(**SAMPLES[cls])
    data = event.model_dump(mode="json")
    assert cls.model_validate(data) == event
    assert cls.model_validate_json(event.model_dump_json()) == event
    assert event.data() == data
    assert event.aggregate_id == str(SAMPLES[cls][cls.KEY])
    jsonschema.validate(data, schema_of(cls))


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
    """Strings are enums, patterns, uuids or dates; integers are bounded; the only
    containers are bounded lists of such strings."""
    schema = cls.model_json_schema()
    assert schema.get("additionalProperties") is False
    for node in _nodes(schema):
        node = _resolve(node, schema)
        kind = node.get("type")
        assert kind != "object" or node is schema, node
        if kind == "array":
            assert "maxItems" in node, f"unbounded list: {node}"
            items = _resolve(node["items"], schema)
            assert items.get("type") == "string" and "pattern" in items, node
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
        (ev.ConsultationRecorded, {"person_ref": "RSSMRA80A01H501U"}),
        (ev.ConsultationRecorded, {"topic": "housing"}),
        (ev.ConsultationRecorded, {"minutes": 0}),
        (ev.ConsultationRecorded, {"minutes": 481}),
        (ev.ConsultationRecorded, {"worker_role": "Maria Rossi"}),
        (ev.ConsultationRecorded, {"age_band": "30"}),
        (ev.GroupActivityScheduled, {"kind": "party"}),
        (ev.GroupActivityHeld, {"anonymous_attendees": -1}),
        (ev.GroupActivityHeld, {"anonymous_attendees": 5_001}),
        (ev.GroupActivityHeld, {"registered_attendees": [PERSON, PERSON]}),
        (ev.GroupActivityHeld, {"registered_attendees": ["Amina Diallo"]}),
        (ev.GroupActivityHeld, {"registered_attendees": [PERSON] * 501}),
        (ev.SkillsProfileAssessed, {"version": 0}),
        (ev.SkillsProfileAssessed, {"italian_level": "B3"}),
        (ev.SkillsProfileAssessed, {"italian_assessed_on": dt.date(2025, 3, 5)}),
        (ev.SkillsProfileAssessed, {"other_languages": ["English"]}),
        (ev.SkillsProfileAssessed, {"other_languages": ["en", "en"]}),
        (ev.SkillsProfileAssessed, {"prior_sectors": ["Z"]}),
        (ev.SkillsProfileAssessed, {"prior_sectors": ["restaurants"]}),
        (ev.CompanyAgreementSigned, {"sector": "56.10"}),
        (ev.CompanyAgreementSigned, {"places_offered": -1}),
        (ev.CompanyAgreementSigned, {"valid_until": dt.date(2025, 1, 14)}),
        (ev.EnrolmentStarted, {"hours": 0}),
        (ev.EnrolmentStarted, {"ends_on": dt.date(2025, 3, 31)}),
        (ev.EnrolmentStarted, {"course_kind": "HACCP course at ENAIP"}),
        (ev.InternshipStarted, {"planned_end_on": dt.date(2025, 4, 30)}),
        (ev.InternshipStarted, {"monthly_stipend_eur": 3_001}),
        (ev.InternshipStarted, {"stipend_paid_by": "Ristorante Da Mario"}),
        (ev.InternshipOutcomeRecorded, {"interrupted_by": None}),
        (ev.InternshipOutcomeRecorded, {"outcome": "hired"}),  # with interrupted_by
        (ev.InternshipOutcomeRecorded, {"recorded_on": dt.date(2025, 7, 14)}),
        (ev.HireRecorded, {"contract_type": "permanent"}),  # with an end date
        (ev.HireRecorded, {"ends_on": None}),  # fixed term without an end date
        (ev.HireRecorded, {"ends_on": dt.date(2025, 10, 31)}),
        (ev.HireRecorded, {"weekly_hours": 61}),
        (ev.HireRecorded, {"weekly_hours": 0}),
        (ev.HireRecorded, {"sector": "i"}),
        (ev.HireEnded, {"reason": "he was late"}),
    ],
)
def test_invalid_values_rejected(cls: type[DomainEvent], changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cls(**{**SAMPLES[cls], **changes})


def test_optional_fields_may_be_omitted() -> None:
    signed = ev.CompanyAgreementSigned(
        company_agreement_id=uuid4(), sector="C", places_offered=0, signed_on=dt.date(2025, 1, 1)
    )
    assert signed.valid_until is None
    hire = ev.HireRecorded(
        **{
            **SAMPLES[ev.HireRecorded],
            "company_agreement_id": None,
            "internship_id": None,
            "contract_type": ev.ContractType.PERMANENT,
            "ends_on": None,
        }
    )
    assert (hire.company_agreement_id, hire.internship_id, hire.ends_on) == (None, None, None)
    hired = ev.InternshipOutcomeRecorded(
        internship_id=uuid4(),
        outcome=ev.InternshipOutcome.HIRED,
        ended_on=dt.date(2025, 7, 1),
        recorded_on=dt.date(2025, 7, 1),
    )
    assert hired.interrupted_by is None
    held = ev.GroupActivityHeld(
        **{**SAMPLES[ev.GroupActivityHeld], "registered_attendees": [], "anonymous_attendees": 0}
    )
    assert held.registered_attendees == []


@pytest.mark.parametrize("contract_type", list(ev.ContractType))
def test_contract_end_rules(contract_type: ev.ContractType) -> None:
    base = {**SAMPLES[ev.HireRecorded], "contract_type": contract_type}
    if contract_type is not ev.ContractType.PERMANENT:
        assert ev.HireRecorded(**base).ends_on == base["ends_on"]
    if contract_type not in ev.CONTRACTS_WITH_END:
        assert ev.HireRecorded(**{**base, "ends_on": None}).ends_on is None


def test_enum_values_are_snake_case_english() -> None:
    enums = [
        ev.ConsultationTopic,
        ev.WorkerRole,
        ev.GroupActivityKind,
        ev.EducationLevel,
        ev.ItalianLevel,
        ev.DrivingLicence,
        ev.CourseKind,
        ev.StipendPayer,
        ev.InternshipOutcome,
        ev.InterruptedBy,
        ev.ContractType,
        ev.HireEndReason,
    ]
    for enum in enums:
        for member in enum:
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", member.value), member
