"""Cases aggregates: invariants, transitions and recorded events (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import franoi_contracts.cases as ev
import pytest
from franoi_cases.domain.model import (
    Contacts,
    Documents,
    HouseholdMember,
    Identity,
    IndividualPlan,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    Person,
    PersonAlreadyRegistered,
    PersonNotIdentified,
    PlanAlreadyOpen,
    PlanStatus,
    Relation,
    search_key,
    search_words,
)
from franoi_common.pseudonym import person_ref
from franoi_common.testing import days
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex, age_band_on

KEY = b"test-pseudonym-key-0123456789"
D0, D1, D2 = days("2025-03-01", "2025-06-01", "2026-03-01")
TAX_CODE = "KNKNGZ90A41Z335X"
PERMIT = "I12345678"


def pseudonymise(identifier: str) -> str:
    return person_ref(identifier, KEY)


def identity(**changes: Any) -> Identity:
    values: dict[str, Any] = {
        "given_names": "Ngozi",
        "family_name": "Okonkwò",
        "born_on": dt.date(1990, 1, 1),
        "sex": Sex.FEMALE,
        "citizenship": "NG",
        "languages": ("en", "ig"),
        "protection_status": ProtectionStatus.REFUGEE,
        "protection_expires_on": dt.date(2030, 1, 1),
    }
    values.update(changes)
    return Identity(**values)


def register(documents: Documents | None = None, **kwargs: Any) -> Person:
    args: dict[str, Any] = {
        "person_id": uuid4(),
        "identity": identity(),
        "registered_on": D0,
        "pseudonymise": pseudonymise,
        "documents": Documents(TAX_CODE) if documents is None else documents,
    }
    args.update(kwargs)
    return Person.register(**args)


def open_plan(
    person: Person, plans: list[IndividualPlan] | None = None, **kw: Any
) -> IndividualPlan:
    args: dict[str, Any] = {
        "plan_id": uuid4(),
        "person": person,
        "person_plans": plans or [],
        "opened_on": D0,
        "axes": [ev.PlanAxis.HOUSING, ev.PlanAxis.WORK],
        "goals": {ev.PlanAxis.HOUSING: ["autonomous_rent"], ev.PlanAxis.WORK: ["Find a job"]},
        "planned_months": 12,
        "key_worker": "Giulia R.",
    }
    args.update(kw)
    return IndividualPlan.open(**args)


# --- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ngozi Okonkwò", "ngozi okonkwo"),
        ("  NGOZI   okonkwo ", "ngozi okonkwo"),
        ("Zoë Ñúñez-Çelik", "zoe nunez-celik"),
        ("STRAßE", "strasse"),
    ],
)
def test_search_key_ignores_accents_case_and_spacing(text: str, key: str) -> None:
    assert search_key(text) == key


@pytest.mark.parametrize("text", ["", "  ", "oko\x00", "oko\ud800", "x" * 101])
def test_unsearchable_text_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        search_words(text)


def test_search_key_makes_partial_accent_insensitive_match_a_substring_match() -> None:
    name = identity().search_name
    for query in ("okonkwo", "Okonkwò", "OKONK", "gozi oko"):
        assert search_key(query) in name
    assert search_key("okonkwa") not in name


@pytest.mark.parametrize(
    ("born_on", "on", "band"),
    [
        (dt.date(2010, 6, 2), dt.date(2028, 6, 1), AgeBand.UNDER_18),
        (dt.date(2010, 6, 1), dt.date(2028, 6, 1), AgeBand.AGE_18_24),
        (dt.date(2000, 1, 1), dt.date(2024, 12, 31), AgeBand.AGE_18_24),
        (dt.date(2000, 1, 1), dt.date(2025, 1, 1), AgeBand.AGE_25_34),
        (dt.date(1990, 1, 1), dt.date(2025, 1, 1), AgeBand.AGE_35_44),
        (dt.date(1980, 1, 1), dt.date(2025, 1, 1), AgeBand.AGE_45_54),
        (dt.date(1970, 1, 1), dt.date(2025, 1, 1), AgeBand.AGE_55_PLUS),
    ],
)
def test_age_band_on_a_day(born_on: dt.date, on: dt.date, band: AgeBand) -> None:
    assert age_band_on(born_on, on) is band


# --- persons -----------------------------------------------------------------------------


def test_register_with_a_document_gives_a_person_ref_and_tells_the_network() -> None:
    person = register(Documents(tax_code="knk ngz-90a41.z335x", residence_permit_number=PERMIT))
    assert person.documents == Documents(TAX_CODE, PERMIT)
    assert person.person_ref == pseudonymise(TAX_CODE)  # the tax code first
    assert person.person_ref == person_ref("KNKNGZ90A41Z335X", KEY)  # as housing computes it
    [event] = person.events
    assert event == ev.PersonRegistered(
        person_id=person.person_id,
        person_ref=person.person_ref,
        registered_on=D0,
        sex=Sex.FEMALE,
        age_band=AgeBand.AGE_35_44,
        protection_status=ProtectionStatus.REFUGEE,
    )


def test_register_with_only_a_permit_uses_the_permit() -> None:
    person = register(Documents(residence_permit_number=PERMIT))
    assert person.person_ref == pseudonymise(PERMIT)


def test_register_without_a_document_has_no_ref_and_publishes_nothing() -> None:
    person = register(Documents())
    assert person.person_ref is None
    assert person.events == []


def test_first_document_recorded_later_identifies_the_person_once() -> None:
    person = register(Documents())
    person.update(D1, pseudonymise, documents=Documents(residence_permit_number=PERMIT))
    assert person.person_ref == pseudonymise(PERMIT)
    [event] = person.events
    assert isinstance(event, ev.PersonRegistered)
    assert event.registered_on == D0  # the registration day, not the day of the document
    person.events.clear()
    person.update(D1, pseudonymise, documents=Documents(TAX_CODE, PERMIT))
    assert person.person_ref == pseudonymise(PERMIT)  # stable once given
    assert person.events == []


def test_same_document_cannot_be_registered_twice() -> None:
    first = register(Documents(TAX_CODE))
    with pytest.raises(PersonAlreadyRegistered):
        register(Documents(tax_code="knkngz90a41z335x"), holders_of_documents=[first])
    with pytest.raises(PersonAlreadyRegistered):
        register(Documents(PERMIT.lower(), TAX_CODE), holders_of_documents=[first])


def test_other_documents_do_not_clash() -> None:
    first = register(Documents(TAX_CODE))
    second = register(Documents(residence_permit_number=PERMIT), holders_of_documents=[first])
    assert second.person_ref != first.person_ref


def test_update_cannot_take_a_document_another_record_holds() -> None:
    first = register(Documents(TAX_CODE))
    second = register(Documents())
    with pytest.raises(PersonAlreadyRegistered):
        second.update(D1, pseudonymise, documents=Documents(TAX_CODE), holders_of_documents=[first])
    assert second.documents == Documents()
    assert second.person_ref is None
    # the record itself is not a clash with itself
    first.update(
        D1, pseudonymise, documents=Documents(TAX_CODE, PERMIT), holders_of_documents=[first]
    )
    assert first.documents.residence_permit_number == PERMIT


@pytest.mark.parametrize(
    "changes",
    [
        {"given_names": "  "},
        {"family_name": "x" * 101},
        {"family_name": "Okonkwo\x00"},
        {"citizenship": "Nigeria"},
        {"citizenship": "ng"},
        {"languages": ("English",)},
        {"languages": tuple("abcdefghijk")},
    ],
)
def test_invalid_identity_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        register(identity=identity(**changes))


@pytest.mark.parametrize("born_on", [dt.date(1899, 12, 31), dt.date(2025, 3, 2)])
def test_birth_date_between_1900_and_registration(born_on: dt.date) -> None:
    with pytest.raises(InvalidDates):
        register(identity=identity(born_on=born_on))


def test_identity_is_tidied() -> None:
    person = register(identity=identity(given_names=" Ngozi   Ada ", languages=("en", "en", "it")))
    assert person.identity.given_names == "Ngozi Ada"
    assert person.identity.languages == ("en", "it")


@pytest.mark.parametrize(
    "documents",
    [Documents(tax_code="AB-1"), Documents(residence_permit_number="12345")],
)
def test_too_short_documents_refused(documents: Documents) -> None:
    with pytest.raises(InvalidValue):
        register(documents)


@pytest.mark.parametrize(
    "contacts",
    [
        Contacts(phone="call me"),
        Contacts(phone="+39"),
        Contacts(email="ngozi.example.org"),
        Contacts(email="ng\ud800ozi@example.org"),
        Contacts(email="ng\u202eozi@example.org"),
    ],
)
def test_invalid_contacts_refused(contacts: Contacts) -> None:
    with pytest.raises(InvalidValue):
        register(contacts=contacts)


def test_valid_contacts_and_household_kept() -> None:
    members = [HouseholdMember(Relation.CHILD, " Ada ", 2019)]
    person = register(
        contacts=Contacts(phone="+39 333 1234567", email="ngozi@example.org"), household=members
    )
    assert person.contacts.phone == "+39 333 1234567"
    assert person.household == (HouseholdMember(Relation.CHILD, "Ada", 2019),)


@pytest.mark.parametrize(
    "members",
    [
        [HouseholdMember(Relation.CHILD, "", None)],
        [HouseholdMember(Relation.CHILD, "Ada", 1899)],
        [HouseholdMember(Relation.CHILD, "Ada", 2030)],
        [HouseholdMember(Relation.OTHER, f"m{i}") for i in range(21)],
    ],
)
def test_invalid_household_refused(members: list[HouseholdMember]) -> None:
    with pytest.raises(InvalidValue):
        register(household=members)


def test_failed_update_changes_nothing() -> None:
    person = register()
    before = (person.identity, person.documents, person.contacts, person.household)
    with pytest.raises(InvalidValue):
        person.update(
            D1, pseudonymise, identity=identity(given_names="Ada"), contacts=Contacts(email="no")
        )
    assert (person.identity, person.documents, person.contacts, person.household) == before


def test_corrected_birth_date_stays_before_the_registration() -> None:
    person = register()
    with pytest.raises(InvalidDates):
        person.update(D1, pseudonymise, identity=identity(born_on=D0 + dt.timedelta(days=1)))
    person.update(D1, pseudonymise, identity=identity(born_on=dt.date(1991, 2, 3)))
    assert person.identity.born_on == dt.date(1991, 2, 3)


def test_update_protection_status() -> None:
    person = register()
    person.events.clear()
    person.update(
        D1, pseudonymise, identity=identity(protection_status=ProtectionStatus.SUBSIDIARY)
    )
    assert person.identity.protection_status is ProtectionStatus.SUBSIDIARY
    assert person.events == []  # the network heard of the person once, at registration


# --- merging two records of the same person ----------------------------------------------


def test_merge_fills_what_the_survivor_lacks_and_takes_the_duplicates_ref() -> None:
    survivor = register(Documents(), contacts=Contacts(phone="+39 333 1111111"))
    duplicate = register(
        Documents(residence_permit_number=PERMIT),
        identity=identity(languages=("it",)),
        contacts=Contacts(phone="+39 333 2222222", email="n@example.org"),
        household=[HouseholdMember(Relation.CHILD, "Ada", 2019)],
    )
    plan = open_plan(duplicate)
    survivor.events.clear()
    survivor.absorb(duplicate, [plan])
    assert survivor.person_ref == duplicate.person_ref == pseudonymise(PERMIT)
    assert survivor.documents == Documents(residence_permit_number=PERMIT)
    assert survivor.contacts == Contacts("+39 333 1111111", "n@example.org")
    assert survivor.identity.languages == ("en", "ig", "it")
    assert survivor.household == (HouseholdMember(Relation.CHILD, "Ada", 2019),)
    assert duplicate.merged_into == survivor.person_id
    assert duplicate.documents == Documents() and duplicate.contacts == Contacts()
    assert plan.person_id == survivor.person_id
    assert survivor.events == []  # the network counted the person once already


def test_merge_refused_between_two_identified_records() -> None:
    a, b = register(Documents(TAX_CODE)), register(Documents(residence_permit_number=PERMIT))
    with pytest.raises(InvalidTransition):
        a.absorb(b, [])
    assert b.merged_into is None


def test_merged_record_is_frozen() -> None:
    a, b = register(Documents(TAX_CODE)), register(Documents())
    a.absorb(b, [])
    with pytest.raises(InvalidTransition):
        b.update(D1, pseudonymise, contacts=Contacts(phone="+39 333 1234567"))
    with pytest.raises(InvalidTransition):
        a.absorb(b, [])
    with pytest.raises(InvalidTransition):
        open_plan(b)


def test_merge_into_itself_or_with_foreign_plans_refused() -> None:
    a, b = register(Documents(TAX_CODE)), register(Documents())
    with pytest.raises(InvalidValue):
        a.absorb(a, [])
    with pytest.raises(InvalidValue):
        a.absorb(b, [open_plan(a)])


# --- plans -------------------------------------------------------------------------------


def test_open_plan_records_only_coded_values() -> None:
    person = register()
    plan = open_plan(person)
    assert plan.status is PlanStatus.OPEN
    assert plan.person_ref == person.person_ref
    assert plan.goals == {
        ev.PlanAxis.HOUSING: ("autonomous_rent",),
        ev.PlanAxis.WORK: ("Find a job",),
    }
    [event] = plan.events
    assert event == ev.PlanOpened(
        plan_id=plan.plan_id,
        person_ref=person.person_ref,
        opened_on=D0,
        axes=[ev.PlanAxis.HOUSING, ev.PlanAxis.WORK],
        planned_months=12,
    )
    assert "Find a job" not in event.model_dump_json()
    assert "Giulia" not in event.model_dump_json()


def test_one_open_plan_per_person() -> None:
    person = register()
    first = open_plan(person)
    with pytest.raises(PlanAlreadyOpen):
        open_plan(person, [first])
    first.close(D1, ev.PlanOutcome.COMPLETED_PARTLY)
    second = open_plan(person, [first], opened_on=D1)
    assert second.is_open


def test_plans_of_the_past_are_judged_on_their_days_in_any_order() -> None:
    """A plan recorded whole (opened and closed) is refused only by a plan sharing a day."""
    person = register()
    later = open_plan(person, opened_on=D0 + dt.timedelta(days=400))
    past = open_plan(
        person,
        [later],
        opened_on=D0,
        closed=(D0 + dt.timedelta(days=300), ev.PlanOutcome.COMPLETED_PARTLY, None),
    )
    assert not past.is_open and past.closed_on == D0 + dt.timedelta(days=300)
    assert [type(e).__name__ for e in past.events] == ["PlanOpened", "PlanClosed"]
    with pytest.raises(PlanAlreadyOpen, match=f"plan {past.plan_id} \\(from {D0} to"):
        open_plan(
            person,
            [past, later],
            opened_on=D0 + dt.timedelta(days=100),
            closed=(D0 + dt.timedelta(days=350), ev.PlanOutcome.COMPLETED_PARTLY, None),
        )
    with pytest.raises(PlanAlreadyOpen, match="open\\) covers those days"):
        open_plan(
            person,
            [past, later],
            opened_on=D0 + dt.timedelta(days=500),
            closed=(D0 + dt.timedelta(days=600), ev.PlanOutcome.COMPLETED_PARTLY, None),
        )


def test_another_persons_open_plan_does_not_count() -> None:
    other_plan = open_plan(register())
    assert open_plan(register(Documents(residence_permit_number=PERMIT)), [other_plan]).is_open


def test_plan_needs_an_identified_person() -> None:
    with pytest.raises(PersonNotIdentified):
        open_plan(register(Documents()))


@pytest.mark.parametrize(
    "changes",
    [
        {"axes": []},
        {"axes": [ev.PlanAxis.WORK, ev.PlanAxis.WORK]},
        {"planned_months": 0},
        {"planned_months": 37},
        {"planned_months": True},
        {"goals": {ev.PlanAxis.HEALTH: ["see a doctor"]}},  # axis not covered
        {"goals": {ev.PlanAxis.WORK: ["x" * 201]}},
        {"goals": {ev.PlanAxis.WORK: [""]}},
        {"goals": {ev.PlanAxis.WORK: [f"g{i}" for i in range(11)]}},
        {"key_worker": " "},
    ],
)
def test_invalid_plan_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        open_plan(register(), **changes)


def test_review_an_open_plan() -> None:
    plan = open_plan(register())
    plan.events.clear()
    plan.review(
        D1, {ev.PlanAxis.WORK: ev.Progress.ACHIEVED, ev.PlanAxis.HOUSING: ev.Progress.IN_PROGRESS}
    )
    [event] = plan.events
    assert isinstance(event, ev.PlanReviewed)
    assert event.reviewed_on == D1
    assert [(p.axis, p.progress) for p in event.progress] == [
        (ev.PlanAxis.HOUSING, ev.Progress.IN_PROGRESS),
        (ev.PlanAxis.WORK, ev.Progress.ACHIEVED),
    ]
    plan.review(D1, {ev.PlanAxis.WORK: ev.Progress.ACHIEVED})  # same day again is fine
    assert len(plan.reviews) == 2


def test_review_rules() -> None:
    plan = open_plan(register())
    with pytest.raises(InvalidDates):
        plan.review(D0 - dt.timedelta(days=1), {ev.PlanAxis.WORK: ev.Progress.IN_PROGRESS})
    with pytest.raises(InvalidValue):
        plan.review(D1, {})
    with pytest.raises(InvalidValue):
        plan.review(D1, {ev.PlanAxis.HEALTH: ev.Progress.IN_PROGRESS})
    plan.review(D1, {ev.PlanAxis.WORK: ev.Progress.IN_PROGRESS})
    with pytest.raises(InvalidDates):
        plan.review(D1 - dt.timedelta(days=1), {ev.PlanAxis.WORK: ev.Progress.STALLED})
    assert len(plan.reviews) == 1


def test_no_review_on_a_closed_plan() -> None:
    plan = open_plan(register())
    plan.close(D1, ev.PlanOutcome.TRANSFERRED)
    with pytest.raises(InvalidTransition):
        plan.review(D2, {ev.PlanAxis.WORK: ev.Progress.ACHIEVED})


@pytest.mark.parametrize("outcome", list(ev.PlanOutcome))
def test_close_with_each_outcome(outcome: ev.PlanOutcome) -> None:
    plan = open_plan(register())
    plan.events.clear()
    reason = ev.InterruptionReason.LOST_CONTACT if outcome is ev.PlanOutcome.INTERRUPTED else None
    plan.close(D2, outcome, reason)
    assert (plan.status, plan.closed_on, plan.outcome) == (PlanStatus.CLOSED, D2, outcome)
    assert plan.events == [
        ev.PlanClosed(
            plan_id=plan.plan_id, closed_on=D2, outcome=outcome, interruption_reason=reason
        )
    ]


def test_a_plan_closes_once() -> None:
    plan = open_plan(register())
    plan.close(D1, ev.PlanOutcome.COMPLETED_AUTONOMY_REACHED)
    plan.events.clear()
    with pytest.raises(InvalidTransition):
        plan.close(D2, ev.PlanOutcome.COMPLETED_PARTLY)
    assert (plan.closed_on, plan.outcome, plan.events) == (
        D1,
        ev.PlanOutcome.COMPLETED_AUTONOMY_REACHED,
        [],
    )


def test_a_plan_cannot_close_before_it_opened_or_its_last_review() -> None:
    plan = open_plan(register(), opened_on=D1)
    with pytest.raises(InvalidDates):
        plan.close(D0, ev.PlanOutcome.COMPLETED_PARTLY)
    plan.review(D2, {ev.PlanAxis.WORK: ev.Progress.ACHIEVED})
    with pytest.raises(InvalidDates):
        plan.close(D1, ev.PlanOutcome.COMPLETED_PARTLY)
    assert plan.is_open
    plan.close(D2, ev.PlanOutcome.COMPLETED_PARTLY)
    assert not plan.is_open


def test_interruption_reason_goes_with_interrupted_only() -> None:
    plan = open_plan(register())
    with pytest.raises(InvalidValue):
        plan.close(D1, ev.PlanOutcome.INTERRUPTED)
    with pytest.raises(InvalidValue):
        plan.close(D1, ev.PlanOutcome.COMPLETED_PARTLY, ev.InterruptionReason.OTHER)
    assert plan.is_open and plan.events and isinstance(plan.events[-1], ev.PlanOpened)
