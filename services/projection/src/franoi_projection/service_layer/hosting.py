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

from franoi_projection.service_layer.counts import counted


def _close_request(status: str) -> Statement[Any]:
    return Statement(
        "UPDATE hosting_requests SET status = $3, closed_on = $4"
        " WHERE partner_id = $1 AND request_id = $2",
        lambda p, e: (p, e.request_id, status, e.closed_on),
    )


def _family(column: str, attribute: str) -> Statement[Any]:
    """Set one date column of the family's row."""
    return Statement(
        f"UPDATE hosting_families SET {column} = $3"  # noqa: S608 - column is a literal
        " WHERE partner_id = $1 AND family_id = $2",
        lambda p, e: (p, e.family_id, getattr(e, attribute)),
    )


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
        Statement(
            "UPDATE hosting_families SET rooms_offered = $3, household_size = $4, languages = $5"
            " WHERE partner_id = $1 AND family_id = $2",
            lambda p, e: (p, e.family_id, e.rooms_offered, e.household_size, list(e.languages)),
        )
    ],
    ev.FamilyAssessed: [
        Statement(
            "UPDATE hosting_families SET interview_on = $3, home_visit_on = $4"
            " WHERE partner_id = $1 AND family_id = $2",
            lambda p, e: (p, e.family_id, e.interview_on, e.home_visit_on),
        )
    ],
    ev.FamilyApproved: [_family("approved_on", "approved_on")],
    ev.FamilyRejected: [
        Statement(
            "UPDATE hosting_families SET rejected_on = $3, rejection_reason = $4"
            " WHERE partner_id = $1 AND family_id = $2",
            lambda p, e: (p, e.family_id, e.rejected_on, e.reason.value),
        )
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
    ev.FamilyWithdrawn: [_family("withdrawn_on", "withdrawn_on")],
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
    ev.RequestSatisfied: [_close_request("satisfied")],
    ev.RequestUnsatisfied: [
        Statement(
            "UPDATE hosting_requests SET status = 'unsatisfied', closed_on = $3,"
            " unsatisfied_reason = $4 WHERE partner_id = $1 AND request_id = $2",
            lambda p, e: (p, e.request_id, e.closed_on, e.reason.value),
        )
    ],
    ev.RequestWithdrawn: [_close_request("withdrawn")],
    ev.MatchProposed: [
        Statement(
            "INSERT INTO hosting_matches (partner_id, match_id, family_id, request_id,"
            " person_ref, proposed_on) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            lambda p, e: (p, e.match_id, e.family_id, e.request_id, e.person_ref, e.proposed_on),
        )
    ],
    ev.MatchAccepted: [
        Statement(
            "UPDATE hosting_matches SET status = 'accepted', accepted_on = $3"
            " WHERE partner_id = $1 AND match_id = $2",
            lambda p, e: (p, e.match_id, e.accepted_on),
        )
    ],
    ev.MatchDeclined: [
        Statement(
            "UPDATE hosting_matches SET status = 'declined', declined_on = $3, declined_by = $4"
            " WHERE partner_id = $1 AND match_id = $2",
            lambda p, e: (p, e.match_id, e.declined_on, e.declined_by.value),
        )
    ],
    ev.MatchCancelled: [
        Statement(
            "UPDATE hosting_matches SET status = 'cancelled', cancelled_on = $3,"
            " cancelled_by = $4 WHERE partner_id = $1 AND match_id = $2",
            lambda p, e: (p, e.match_id, e.cancelled_on, e.cancelled_by.value),
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
    ev.StayExtended: [
        Statement(
            "UPDATE hosting_stays SET planned_months = $3, planned_end_on = $4"
            " WHERE partner_id = $1 AND stay_id = $2",
            lambda p, e: (p, e.stay_id, e.planned_months, e.planned_end_on),
        )
    ],
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
    ev.StayEnded: [
        Statement(
            "UPDATE hosting_stays SET ended_on = $3, outcome = $4"
            " WHERE partner_id = $1 AND stay_id = $2",
            lambda p, e: (p, e.stay_id, e.ended_on, e.outcome.value),
        )
    ],
}
HOSTING = counted(HOSTING)
"""...with the statements keeping the monthly indicator counts in step (see counts.py)."""
