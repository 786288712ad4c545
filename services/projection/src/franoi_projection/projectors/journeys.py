"""How events change the pseudonymous journeys and their outcome indicators.

A journey is read from the fact tables (migration 009's ``journey_milestones`` view), so
the domains' own statements already record every step. What this module adds, for each
event type that can change a step, is a statement after the domain's: note the
``person_ref`` of the aggregate's rows (as the fact table holds it: after an erasure, the
surrogate) in ``journey_dirty``; and once at the end of a batch that applied any such
event (:data:`AFTER_BATCH`), ``journey_refresh()``, which recomputes the noted persons'
outcome contributions and moves ``indicator_counts`` by the difference.

Why this is right under the consumer's rules: the refresh recomputes from the rows as
they are, whatever order the events of different aggregates and topics came in; a
duplicate changes no row, so the difference is zero; several aggregates of one person in
one batch all mark the person before the refresh runs, which handles them at once. An
event that may move an aggregate to another reference (a person's registration or a plan
re-sent with a corrected ``person_ref``) also notes the old reference first. An erasure
notes the erased reference and its surrogate: a person followed by two partners and
erased at one has two journeys from then on (the erased partner's records under the surrogate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts import cases, employment, events, hosting, housing
from franoi_contracts.base import DomainEvent

REFRESH = "SELECT journey_refresh()"
"""Recompute the noted persons' journeys (a second run finds nothing to do)."""

RECORD_ALL_JOURNEYS = (
    "INSERT INTO journey_counted SELECT * FROM journey_contributions("
    "(SELECT coalesce(array_agg(DISTINCT person_ref), '{}') FROM journey_milestones))"
)
"""What every journey contributes, recorded in bulk: to run with any bulk recount of
``indicator_counts`` from the facts (``recount_sql``), into an empty ``journey_counted``,
so that the next refresh of a person moves the counters by the right difference."""

JOURNEY_TABLES: Mapping[type[DomainEvent], tuple[str, str]] = {
    cases.PersonRegistered: ("cases_persons", "person_id"),
    cases.PlanOpened: ("cases_plans", "plan_id"),
    cases.PlanClosed: ("cases_plans", "plan_id"),
    housing.RequestSubmitted: ("housing_requests", "request_id"),
    housing.PlacementStarted: ("housing_placements", "placement_id"),
    housing.PlacementEnded: ("housing_placements", "placement_id"),
    employment.ConsultationRecorded: ("employment_consultations", "consultation_id"),
    employment.GroupActivityHeld: ("employment_group_attendees", "group_activity_id"),
    employment.GroupActivityCancelled: ("employment_group_attendees", "group_activity_id"),
    employment.EnrolmentStarted: ("employment_enrolments", "enrolment_id"),
    employment.InternshipStarted: ("employment_internships", "internship_id"),
    employment.InternshipEnded: ("employment_internships", "internship_id"),
    employment.InternshipOutcomeRecorded: ("employment_internships", "internship_id"),
    employment.HireRecorded: ("employment_hires", "hire_id"),
    employment.HireEnded: ("employment_hires", "hire_id"),
    hosting.RequestSubmitted: ("hosting_requests", "request_id"),
    hosting.StayStarted: ("hosting_stays", "stay_id"),
    hosting.StayEnded: ("hosting_stays", "stay_id"),
    events.AccessBatchRecorded: ("events_access_persons", "access_batch_id"),
}
"""Event type → the fact table (and its key column) whose rows are the journey steps it
changes (the view in migration 009 reads them)."""

MAY_CHANGE_REFERENCE: frozenset[type[DomainEvent]] = frozenset(
    {cases.PersonRegistered, cases.PlanOpened}
)
"""Upserts that may move an aggregate to a corrected ``person_ref``."""


def note(table: str, key: str, cls: type[DomainEvent]) -> Statement[Any]:
    """Note the references held by the rows of the event's aggregate in ``table``."""
    attribute = cls.KEY

    def args(partner_id: str, event: Any) -> tuple[Any, ...]:
        return (partner_id, getattr(event, attribute))

    def many_args(rows: Sequence[tuple[str, Any]]) -> tuple[Any, ...]:
        return ([p for p, _ in rows], [getattr(e, attribute) for _, e in rows])

    return Statement(
        f"INSERT INTO journey_dirty (ref) SELECT person_ref FROM {table}"  # noqa: S608
        f" WHERE partner_id = $1 AND {key} = $2",
        args,
        many_sql=f"INSERT INTO journey_dirty (ref) SELECT t.person_ref FROM {table} t"  # noqa: S608
        f" WHERE (t.partner_id, t.{key}) IN"
        " (SELECT p, k FROM unnest($1::text[], $2::uuid[]) AS u(p, k))",
        many_args=many_args,
    )


NOTE_ERASED: Statement[Any] = Statement(
    "INSERT INTO journey_dirty (ref) SELECT $2::text UNION ALL SELECT surrogate"
    " FROM erased_persons WHERE ref_hash = franoi_erased_ref_hash($1, $2)",
    lambda p, e: (p, e.person_ref),
)
"""An erasure: the erased reference (its other partners' records) and the surrogate."""

NOTE_SHREDDED: Statement[Any] = Statement(
    "INSERT INTO journey_dirty (ref) SELECT ref FROM person_keys"
    " WHERE partner_id = $1 AND token = $2",
    lambda p, e: (p, e.person_ref),
)
"""An erasure naming a token the projection opened (shredding): the reference it stood
for (its other partners' records), noted before the erasure deletes the key."""


def with_journeys(projection: Projection) -> dict[type[DomainEvent], Sequence[Statement[Any]]]:
    """The projection with the journeys' notes around each journey-changing event's
    statements (the refresh runs once per batch: :data:`AFTER_BATCH`)."""
    result: dict[type[DomainEvent], Sequence[Statement[Any]]] = dict(projection)
    for cls, (table, key) in JOURNEY_TABLES.items():
        before = [note(table, key, cls)] if cls in MAY_CHANGE_REFERENCE else []
        result[cls] = [*before, *projection[cls], note(table, key, cls)]
    result[cases.PersonErased] = [NOTE_SHREDDED, *projection[cases.PersonErased], NOTE_ERASED]
    return result


_NOTING: list[type[DomainEvent]] = [*JOURNEY_TABLES, cases.PersonErased]
AFTER_BATCH: Mapping[type[DomainEvent], Sequence[str]] = {cls: (REFRESH,) for cls in _NOTING}
"""Once at the end of a batch that noted persons: recompute their journeys."""
