"""How family-hosting events change the network read models, as SQL statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. Inserts are upserts or
``ON CONFLICT DO NOTHING`` and updates touch only the aggregate's own row, so
every change is safe in any order the contract allows: one aggregate's events
arrive in order (same Kafka key), different aggregates in any order. A visit is
keyed by its stay (``stay.visit_recorded``), so it never overtakes its stay's start.
"""

from __future__ import annotations

from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts import hosting as ev

from franoi_projection.projectors.statements import update


def _closing(status: str, **columns: str) -> Statement[Any]:
    """A family request closed with ``status`` (and ``columns`` from the event)."""
    status_is = f"status = '{status}'"
    return update("hosting_requests", "request_id", "closed_on", constants=status_is, **columns)


HOSTING: Projection = {
    ev.FamilyApplied: [
        Statement(
            "INSERT INTO hosting_families (partner_id, family_id, municipality_code,"
            " rooms_offered, household_size, languages, applied_on)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (partner_id, family_id) DO UPDATE SET municipality_code = $3,"
            " rooms_offered = $4, household_size = $5, languages = $6, applied_on = $7",
            lambda p, e: (
                p,
                e.family_id,
                e.municipality_code,
                e.rooms_offered,
                e.household_size,
                list(e.languages),
                e.applied_on,
            ),
        )
    ],
    ev.FamilyUpdated: [
        update("hosting_families", "family_id", "rooms_offered", "household_size", "languages")
    ],
    ev.FamilyAssessed: [update("hosting_families", "family_id", "interview_on", "home_visit_on")],
    ev.FamilyApproved: [update("hosting_families", "family_id", "approved_on")],
    ev.FamilyRejected: [
        update("hosting_families", "family_id", "rejected_on", rejection_reason="reason")
    ],
    ev.FamilyPaused: [
        Statement(
            "INSERT INTO hosting_family_pauses (partner_id, family_id, paused_on)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            lambda p, e: (p, e.family_id, e.paused_on),
        )
    ],
    ev.FamilyResumed: [
        Statement(
            "UPDATE hosting_family_pauses SET resumed_on = $3"
            " WHERE partner_id = $1 AND family_id = $2 AND resumed_on IS NULL",
            lambda p, e: (p, e.family_id, e.resumed_on),
        )
    ],
    ev.FamilyWithdrawn: [update("hosting_families", "family_id", "withdrawn_on")],
    ev.RequestSubmitted: [
        Statement(
            "INSERT INTO hosting_requests (partner_id, request_id, person_ref, kind,"
            " household_size, submitted_on, sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.request_id,
                e.person_ref,
                e.kind.value,
                e.household_size,
                e.submitted_on,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.RequestSatisfied: [_closing("satisfied")],
    ev.RequestUnsatisfied: [_closing("unsatisfied", unsatisfied_reason="reason")],
    ev.RequestWithdrawn: [_closing("withdrawn")],
    ev.MatchProposed: [
        Statement(
            "INSERT INTO hosting_matches (partner_id, match_id, family_id, request_id,"
            " person_ref, proposed_on) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            lambda p, e: (p, e.match_id, e.family_id, e.request_id, e.person_ref, e.proposed_on),
        )
    ],
    ev.MatchAccepted: [
        update("hosting_matches", "match_id", "accepted_on", constants="status = 'accepted'")
    ],
    ev.MatchDeclined: [
        update(
            "hosting_matches",
            "match_id",
            "declined_on",
            "declined_by",
            constants="status = 'declined'",
        )
    ],
    ev.MatchCancelled: [
        update(
            "hosting_matches",
            "match_id",
            "cancelled_on",
            "cancelled_by",
            constants="status = 'cancelled'",
        )
    ],
    ev.StayStarted: [
        Statement(
            "INSERT INTO hosting_stays (partner_id, stay_id, match_id, family_id, request_id,"
            " person_ref, started_on, planned_months, planned_end_on, monthly_contribution_eur,"
            " sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.stay_id,
                e.match_id,
                e.family_id,
                e.request_id,
                e.person_ref,
                e.started_on,
                e.planned_months,
                e.planned_end_on,
                e.monthly_contribution_eur,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.StayExtended: [update("hosting_stays", "stay_id", "planned_months", "planned_end_on")],
    ev.StayVisitRecorded: [
        Statement(
            "INSERT INTO hosting_visits (partner_id, visit_id, stay_id, family_id, visited_on,"
            " guest_wellbeing, family_wellbeing, flags)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.visit_id,
                e.stay_id,
                e.family_id,
                e.visited_on,
                e.guest_wellbeing,
                e.family_wellbeing,
                [f.value for f in e.flags],
            ),
        )
    ],
    ev.StayEnded: [update("hosting_stays", "stay_id", "ended_on", "outcome")],
}
