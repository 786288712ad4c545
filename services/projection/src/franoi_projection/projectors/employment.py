"""How employment events change the network read models, as SQL statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. Every statement touches only
its aggregate's own row(s) and is an upsert or an update, so it is correct in any
order the contract allows (one aggregate's events in order, different
aggregates in any order) and when applied again.
"""

from __future__ import annotations

from franoi_common.projector import Projection, Statement
from franoi_contracts import employment as ev

from franoi_projection.projectors.statements import update

ENROLMENTS = "employment_enrolments"

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
        update(
            "employment_group_activities",
            "group_activity_id",
            "cancelled_on",
            constants="status = 'cancelled'",
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
        update("employment_company_agreements", "company_agreement_id", "ended_on")
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
    ev.EnrolmentCompleted: [
        update(
            ENROLMENTS, "enrolment_id", constants="status = 'completed'", closed_on="completed_on"
        )
    ],
    ev.EnrolmentDropped: [
        update(ENROLMENTS, "enrolment_id", constants="status = 'dropped'", closed_on="dropped_on")
    ],
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
    ev.InternshipExtended: [update("employment_internships", "internship_id", "planned_end_on")],
    ev.InternshipEnded: [update("employment_internships", "internship_id", "ended_on")],
    ev.InternshipOutcomeRecorded: [
        update(
            "employment_internships",
            "internship_id",
            "ended_on",
            "outcome",
            "interrupted_by",
            outcome_recorded_on="recorded_on",
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
    ev.HireEnded: [update("employment_hires", "hire_id", "ended_on", end_reason="reason")],
}
