"""How cases events change the network read models, as SQL statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. A person's registration and a
plan's opening are upserts; reviews and closing update only the plan's own row
(one plan's events arrive in order: same Kafka key, the plan id).
"""

from __future__ import annotations

from franoi_common.projector import Projection, Statement
from franoi_contracts import cases as ev

from franoi_projection.projectors.statements import update


def _progress(event: ev.PlanReviewed) -> dict[str, str]:
    """axis → progress (a jsonb value: the pool encodes it)."""
    return {p.axis.value: p.progress.value for p in event.progress}


CASES: Projection = {
    ev.PersonRegistered: [
        Statement(
            "INSERT INTO cases_persons (partner_id, person_id, person_ref, registered_on, sex,"
            " age_band, protection_status) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (partner_id, person_id) DO UPDATE SET person_ref = $3,"
            " registered_on = $4, sex = $5, age_band = $6, protection_status = $7",
            lambda p, e: (
                p,
                e.person_id,
                e.person_ref,
                e.registered_on,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.PlanOpened: [
        Statement(
            "INSERT INTO cases_plans (partner_id, plan_id, person_ref, opened_on, axes,"
            " planned_months) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (partner_id, plan_id) DO UPDATE SET person_ref = $3, opened_on = $4,"
            " axes = $5, planned_months = $6",
            lambda p, e: (
                p,
                e.plan_id,
                e.person_ref,
                e.opened_on,
                [a.value for a in e.axes],
                e.planned_months,
            ),
        )
    ],
    ev.PlanReviewed: [
        Statement(
            "UPDATE cases_plans SET reviews = reviews + 1,"
            " last_reviewed_on = greatest(last_reviewed_on, $3),"
            " last_progress = CASE WHEN last_reviewed_on IS NULL OR $3 >= last_reviewed_on"
            " THEN $4::jsonb ELSE last_progress END"
            " WHERE partner_id = $1 AND plan_id = $2",
            lambda p, e: (p, e.plan_id, e.reviewed_on, _progress(e)),
        )
    ],
    ev.PlanClosed: [
        update("cases_plans", "plan_id", "closed_on", "outcome", "interruption_reason")
    ],
}
