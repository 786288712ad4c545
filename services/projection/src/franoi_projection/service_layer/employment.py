"""How employment events change the network read models, as SQL statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. Every statement touches only
its aggregate's own row(s) and is an upsert or an update, so it is correct in any
order the contract allows (one aggregate's events in order, different
aggregates in any order) and when applied again.
"""

from __future__ import annotations

from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts import employment as ev

from franoi_projection.service_layer.counts import counted


def _close_enrolment(status: str, day: str) -> Statement[Any]:
    return Statement(
        "UPDATE employment_enrolments SET status = $3, closed_on = $4"
        " WHERE partner_id = $1 AND enrolment_id = $2",
        lambda p, e: (p, e.enrolment_id, status, getattr(e, day)),
    )


EMPLOYMENT: Projection = {
    ev.ConsultationRecorded: [
        Statement(
            "INSERT INTO employment_consultations (partner_id, consultation_id, person_ref,"
            " held_on, topic, minutes, worker_role, sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.consultation_id,
                e.person_ref,
                e.held_on,
                e.topic.value,
                e.minutes,
                e.worker_role.value,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.GroupActivityScheduled: [
        Statement(
            "INSERT INTO employment_group_activities (partner_id, group_activity_id, kind,"
            " scheduled_on) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (partner_id, group_activity_id) DO UPDATE SET scheduled_on = $4",
            lambda p, e: (p, e.group_activity_id, e.kind.value, e.scheduled_on),
        )
    ],
    ev.GroupActivityHeld: [
        Statement(
            "INSERT INTO employment_group_activities (partner_id, group_activity_id, kind,"
            " status, held_on, registered_attendees, anonymous_attendees)"
            " VALUES ($1, $2, $3, 'held', $4, $5, $6)"
            " ON CONFLICT (partner_id, group_activity_id) DO UPDATE SET status = 'held',"
            " held_on = $4, registered_attendees = $5, anonymous_attendees = $6",
            lambda p, e: (
                p,
                e.group_activity_id,
                e.kind.value,
                e.held_on,
                len(e.registered_attendees),
                e.anonymous_attendees,
            ),
        ),
        Statement(
            "INSERT INTO employment_group_attendees (partner_id, group_activity_id, person_ref)"
            " SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
            lambda p, e: (p, e.group_activity_id, list(e.registered_attendees)),
        ),
    ],
    ev.GroupActivityCancelled: [
        Statement(
            "UPDATE employment_group_activities SET status = 'cancelled', cancelled_on = $3"
            " WHERE partner_id = $1 AND group_activity_id = $2",
            lambda p, e: (p, e.group_activity_id, e.cancelled_on),
        )
    ],
    ev.SkillsProfileAssessed: [
        Statement(
            "INSERT INTO employment_skills_assessments (partner_id, skills_profile_id, version,"
            " person_ref, assessed_on, education_level, italian_level, italian_assessed_on,"
            " other_languages, prior_sectors, driving_licence)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.skills_profile_id,
                e.version,
                e.person_ref,
                e.assessed_on,
                e.education_level.value,
                e.italian_level.value,
                e.italian_assessed_on,
                list(e.other_languages),
                list(e.prior_sectors),
                e.driving_licence.value,
            ),
        )
    ],
    ev.CompanyAgreementSigned: [
        Statement(
            "INSERT INTO employment_company_agreements (partner_id, company_agreement_id,"
            " sector, places_offered, signed_on, valid_until) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (partner_id, company_agreement_id) DO UPDATE SET sector = $3,"
            " places_offered = $4, signed_on = $5, valid_until = $6",
            lambda p, e: (
                p,
                e.company_agreement_id,
                e.sector,
                e.places_offered,
                e.signed_on,
                e.valid_until,
            ),
        )
    ],
    ev.CompanyAgreementEnded: [
        Statement(
            "UPDATE employment_company_agreements SET ended_on = $3"
            " WHERE partner_id = $1 AND company_agreement_id = $2",
            lambda p, e: (p, e.company_agreement_id, e.ended_on),
        )
    ],
    ev.EnrolmentStarted: [
        Statement(
            "INSERT INTO employment_enrolments (partner_id, enrolment_id, person_ref,"
            " course_kind, hours, starts_on, ends_on, sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.enrolment_id,
                e.person_ref,
                e.course_kind.value,
                e.hours,
                e.starts_on,
                e.ends_on,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.EnrolmentCompleted: [_close_enrolment("completed", "completed_on")],
    ev.EnrolmentDropped: [_close_enrolment("dropped", "dropped_on")],
    ev.InternshipStarted: [
        Statement(
            "INSERT INTO employment_internships (partner_id, internship_id, person_ref,"
            " company_agreement_id, sector, started_on, planned_end_on, monthly_stipend_eur,"
            " stipend_paid_by, sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.internship_id,
                e.person_ref,
                e.company_agreement_id,
                e.sector,
                e.started_on,
                e.planned_end_on,
                e.monthly_stipend_eur,
                e.stipend_paid_by.value,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.InternshipExtended: [
        Statement(
            "UPDATE employment_internships SET planned_end_on = $3"
            " WHERE partner_id = $1 AND internship_id = $2",
            lambda p, e: (p, e.internship_id, e.planned_end_on),
        )
    ],
    ev.InternshipEnded: [
        Statement(
            "UPDATE employment_internships SET ended_on = $3"
            " WHERE partner_id = $1 AND internship_id = $2",
            lambda p, e: (p, e.internship_id, e.ended_on),
        )
    ],
    ev.InternshipOutcomeRecorded: [
        Statement(
            "UPDATE employment_internships SET ended_on = $3, outcome = $4,"
            " interrupted_by = $5, outcome_recorded_on = $6"
            " WHERE partner_id = $1 AND internship_id = $2",
            lambda p, e: (
                p,
                e.internship_id,
                e.ended_on,
                e.outcome.value,
                None if e.interrupted_by is None else e.interrupted_by.value,
                e.recorded_on,
            ),
        )
    ],
    ev.HireRecorded: [
        Statement(
            "INSERT INTO employment_hires (partner_id, hire_id, person_ref,"
            " company_agreement_id, internship_id, sector, contract_type, weekly_hours,"
            " started_on, ends_on, sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.hire_id,
                e.person_ref,
                e.company_agreement_id,
                e.internship_id,
                e.sector,
                e.contract_type.value,
                e.weekly_hours,
                e.started_on,
                e.ends_on,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.HireEnded: [
        Statement(
            "UPDATE employment_hires SET ended_on = $3, end_reason = $4"
            " WHERE partner_id = $1 AND hire_id = $2",
            lambda p, e: (p, e.hire_id, e.ended_on, e.reason.value),
        )
    ],
}
EMPLOYMENT = counted(EMPLOYMENT)
"""...with the statements keeping the monthly indicator counts in step (see counts.py)."""
