"""Tasks of a plan and their due badges, consent, possible duplicates (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_cases.domain import model
from franoi_cases.domain.duplicates import DuplicateReason, duplicate_reasons, similar_name
from franoi_cases.domain.names import WordMatch
from franoi_cases.domain.tasks import DueBadge, Task, TaskStatus, due_badge
from franoi_common.pseudonym import person_ref
from franoi_contracts.base import ProtectionStatus, Sex
from franoi_contracts.cases import PlanAxis, PlanOutcome

TODAY = dt.date(2026, 3, 10)
AT = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)
KEY = b"test-pseudonym-key-0123456789"


def person(**kwargs: Any) -> model.Person:
    args: dict[str, Any] = {
        "person_id": uuid4(),
        "identity": model.Identity(
            given_names="Amina",
            family_name="Diallo",
            born_on=dt.date(1995, 2, 3),
            sex=Sex.FEMALE,
            citizenship="GN",
            protection_status=ProtectionStatus.REFUGEE,
        ),
        "registered_on": TODAY,
        "pseudonymise": lambda identifier: person_ref(identifier, KEY),
        "documents": model.Documents("DLLMNA95B43Z319K"),
    }
    args.update(kwargs)
    return model.Person.register(**args)


def plan(**changes: Any) -> model.IndividualPlan:
    opened = model.IndividualPlan.open(
        plan_id=uuid4(),
        person=person(),
        person_plans=[],
        opened_on=TODAY - dt.timedelta(days=30),
        axes=[PlanAxis.HOUSING, PlanAxis.WORK],
        goals={},
        planned_months=12,
        key_worker="Maria Rossi",
    )
    for name, value in changes.items():
        setattr(opened, name, value)
    return opened


def task(the_plan: model.IndividualPlan | None = None, **kwargs: Any) -> Task:
    args: dict[str, Any] = {
        "task_id": uuid4(),
        "plan": the_plan or plan(),
        "title": "Book the appointment at the Questura",
        "due_on": TODAY + dt.timedelta(days=3),
        "assignee": "Maria Rossi",
    }
    args.update(kwargs)
    return Task.add(**args)


def consent(given_on: dt.date = TODAY, *scopes: model.ConsentScope) -> model.Consent:
    return model.Consent(given_on, scopes or (model.ConsentScope.PROCESSING,), "test-user", AT)


# --- due badges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days_to_due", "badge"),
    [
        (TaskStatus.OPEN, -1, DueBadge.OVERDUE),
        (TaskStatus.OPEN, -400, DueBadge.OVERDUE),
        (TaskStatus.OPEN, 0, DueBadge.DUE_SOON),  # due today
        (TaskStatus.OPEN, 7, DueBadge.DUE_SOON),
        (TaskStatus.OPEN, 8, None),
        (TaskStatus.DONE, -5, None),
        (TaskStatus.CANCELLED, 2, None),
    ],
)
def test_due_badge_on_a_given_day(
    status: TaskStatus, days_to_due: int, badge: DueBadge | None
) -> None:
    assert due_badge(status, TODAY + dt.timedelta(days=days_to_due), TODAY) is badge


def test_a_task_badge_moves_with_the_day() -> None:
    added = task(due_on=TODAY)
    assert added.badge(TODAY - dt.timedelta(days=8)) is None
    assert added.badge(TODAY - dt.timedelta(days=7)) is DueBadge.DUE_SOON
    assert added.badge(TODAY + dt.timedelta(days=1)) is DueBadge.OVERDUE


# --- tasks -------------------------------------------------------------------------------


def test_a_task_belongs_to_its_plans_person_and_checks_its_values() -> None:
    the_plan = plan()
    added = task(the_plan, title="  Call   the landlord ", axis=PlanAxis.HOUSING)
    assert (added.plan_id, added.person_id) == (the_plan.plan_id, the_plan.person_id)
    assert added.title == "Call the landlord" and added.status is TaskStatus.OPEN
    with pytest.raises(model.InvalidValue, match="does not cover"):
        task(the_plan, axis=PlanAxis.HEALTH)
    with pytest.raises(model.InvalidDates, match="before the plan opened"):
        task(the_plan, due_on=the_plan.opened_on - dt.timedelta(days=1))
    with pytest.raises(model.InvalidValue):
        task(the_plan, title="x" * 201)
    with pytest.raises(model.InvalidValue):
        task(the_plan, title="bell\x07")
    with pytest.raises(model.InvalidValue):
        task(the_plan, assignee=" ")


def test_no_task_for_a_closed_plan() -> None:
    the_plan = plan()
    the_plan.close(TODAY, PlanOutcome.COMPLETED_PARTLY)
    with pytest.raises(model.InvalidTransition, match="closed"):
        task(the_plan)


def test_a_task_is_done_once_and_a_repeat_changes_nothing() -> None:
    added = task()
    with pytest.raises(model.InvalidDates):
        added.complete(TODAY + dt.timedelta(days=1), TODAY)
    assert added.status is TaskStatus.OPEN
    assert added.complete(TODAY - dt.timedelta(days=1), TODAY) is True
    assert (added.status, added.done_on) == (TaskStatus.DONE, TODAY - dt.timedelta(days=1))
    assert added.complete(TODAY - dt.timedelta(days=1), TODAY) is False  # the retry
    with pytest.raises(model.InvalidTransition, match="done on"):
        added.complete(TODAY, TODAY)
    with pytest.raises(model.InvalidTransition, match="done on"):
        added.cancel(None, TODAY)
    assert added.badge(TODAY + dt.timedelta(days=30)) is None


def test_a_task_is_cancelled_once_today_by_default() -> None:
    added = task()
    assert added.cancel(None, TODAY) is True
    assert (added.status, added.cancelled_on) == (TaskStatus.CANCELLED, TODAY)
    assert added.cancel(None, TODAY + dt.timedelta(days=2)) is False  # a retry, later
    assert added.cancel(TODAY, TODAY) is False
    with pytest.raises(model.InvalidTransition, match="cancelled on"):
        added.cancel(TODAY - dt.timedelta(days=1), TODAY)
    with pytest.raises(model.InvalidTransition):
        added.complete(TODAY, TODAY)
    other = task()
    with pytest.raises(model.InvalidDates):
        other.cancel(TODAY + dt.timedelta(days=1), TODAY)


# --- consent -----------------------------------------------------------------------------


def test_consent_at_registration_is_kept_in_scope_order() -> None:
    given = consent(TODAY, model.ConsentScope.CONTACT, model.ConsentScope.PROCESSING)
    registered = person(consent=given)
    assert registered.consent is not None
    assert registered.consent.scopes == (model.ConsentScope.PROCESSING, model.ConsentScope.CONTACT)
    assert registered.consent.recorded_by == "test-user"
    assert person().consent is None
    with pytest.raises(model.InvalidDates):
        person(consent=consent(TODAY + dt.timedelta(days=1)))
    with pytest.raises(model.InvalidValue, match="twice"):
        person(consent=consent(TODAY, model.ConsentScope.CONTACT, model.ConsentScope.CONTACT))


def test_a_consent_change_is_recorded_unless_it_repeats_or_predates_the_last() -> None:
    registered = person(consent=consent(TODAY - dt.timedelta(days=10)))
    assert registered.record_consent(consent(TODAY - dt.timedelta(days=10)), TODAY) is False
    withdrawn = model.Consent(TODAY, (), "someone-else", AT)
    assert registered.record_consent(withdrawn, TODAY) is True
    assert registered.consent == withdrawn
    with pytest.raises(model.InvalidDates, match="before"):
        registered.record_consent(consent(TODAY - dt.timedelta(days=1)), TODAY)
    with pytest.raises(model.InvalidDates):
        registered.record_consent(consent(TODAY + dt.timedelta(days=1)), TODAY)
    assert registered.consent == withdrawn


def test_a_merge_keeps_the_survivors_consent_or_takes_the_duplicates() -> None:
    given = consent(TODAY - dt.timedelta(days=3), model.ConsentScope.CONTACT)
    survivor = person(documents=model.Documents())
    duplicate = person(documents=model.Documents(), consent=given)
    survivor.absorb(duplicate, [])
    assert survivor.consent == given and duplicate.consent is None
    keeps = person(documents=model.Documents(), consent=consent())
    keeps.absorb(person(documents=model.Documents(), consent=given), [])
    assert keeps.consent == consent()
    with pytest.raises(model.InvalidTransition):
        duplicate.record_consent(consent(), TODAY)


# --- possible duplicates -------------------------------------------------------------------


def test_registration_checked_for_duplicates_needs_a_reason() -> None:
    with pytest.raises(model.PossibleDuplicate, match="2 record") as refused:
        person(possible_duplicates=2)
    assert "Amina" not in str(refused.value) and "Diallo" not in str(refused.value)
    kept = person(possible_duplicates=2, duplicate_reason="  Different mother,  same name ")
    assert kept.duplicate_reason == "Different mother, same name"
    assert person().duplicate_reason is None
    for bad in ("ok", "x" * 301, "bell\x07", "  a  "):
        with pytest.raises(model.InvalidValue):
            person(duplicate_reason=bad)


def test_the_same_document_stays_a_hard_refusal_even_with_a_reason() -> None:
    holder = person()
    with pytest.raises(model.PersonAlreadyRegistered):
        person(holders_of_documents=[holder], duplicate_reason="Another Amina Diallo")


B = dt.date(1995, 2, 3)


@pytest.mark.parametrize(
    ("candidate_born_on", "same_document", "similar", "reasons"),
    [
        (B, False, True, [DuplicateReason.SIMILAR_NAME_SAME_BIRTH_DATE]),
        (dt.date(1996, 12, 31), False, True, [DuplicateReason.SIMILAR_NAME_CLOSE_BIRTH_YEAR]),
        (dt.date(1994, 1, 1), False, True, [DuplicateReason.SIMILAR_NAME_CLOSE_BIRTH_YEAR]),
        (dt.date(1993, 12, 31), False, True, []),
        (B, False, False, []),
        (dt.date(1970, 1, 1), True, False, [DuplicateReason.SAME_DOCUMENT]),
        (B, True, True, [DuplicateReason.SAME_DOCUMENT,
                         DuplicateReason.SIMILAR_NAME_SAME_BIRTH_DATE]),
    ],
)  # fmt: skip
def test_why_a_record_may_be_the_person(
    candidate_born_on: dt.date,
    same_document: bool,
    similar: bool,
    reasons: list[DuplicateReason],
) -> None:
    found = duplicate_reasons(
        B, candidate_born_on, same_document=same_document, similar_name=similar
    )
    assert found == reasons


def test_similar_names_every_word_of_the_shorter_name_matches() -> None:
    # registering "Amina Ada Diallo": what each of its words matches in the vocabulary
    matches = [
        {"amina": WordMatch.SAME, "aamina": WordMatch.SAME_SKELETON},
        {"ada": WordMatch.SAME},
        {"diallo": WordMatch.SAME, "jalloh": WordMatch.SAME_SKELETON},
    ]
    assert similar_name(matches, ["amina", "ada", "diallo"]) == (True, 1.0)
    assert similar_name(matches, ["jalloh", "aamina"]) == (True, 0.6)  # middle name missing
    assert similar_name(matches, ["amina", "ada", "jalloh", "fatou"]) == (True, 0.97)
    assert similar_name(matches, ["amina", "fatou"]) == (False, 0.33)
    assert similar_name(matches, ["diallo"]) == (True, 0.33)  # a single name, matched
    assert similar_name([], ["diallo"])[0] is False
    assert similar_name(matches, [])[0] is False
