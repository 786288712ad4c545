"""Employment's records: company agreements, consultations, group activities, skills, courses,
internships and hires."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from franoi_contracts.employment import (
    ConsultationTopic,
    ContractType,
    CourseKind,
    DrivingLicence,
    EducationLevel,
    GroupActivityKind,
    HireEndReason,
    InternshipOutcome,
    InterruptedBy,
    ItalianLevel,
    StipendPayer,
    WorkerRole,
)

from franoi_benchmarks.desk.partner import PARTNER, TODAY
from franoi_benchmarks.desk.records.draw import (
    Records,
    Rows,
    latest,
    values,
)


def employment_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Company agreements; consultations; group activities and who attended; one skills
    profile per person (assessed again now and then); courses; internships (each person's
    latest may be open) and hires, some after an internship."""
    rnd = r.rnd
    sectors = "ACFGHIMNQS"
    agreements = Rows(
        ("company_agreement_id", "partner_id", "company_name", "sector", "places_offered",
         "signed_on", "valid_until", "ended_on", "created_at")
    )  # fmt: skip
    for i in range(n["company_agreements"]):
        signed = r.any_day(7)
        agreements.rows.append(
            (uuid.uuid4(), PARTNER, f"Azienda {i} srl", rnd.choice(sectors), rnd.randint(1, 10),
             signed, None, None, r.stamp(signed))
        )  # fmt: skip
    consultations = Rows(
        ("consultation_id", "partner_id", "person_ref", "held_on", "topic", "minutes",
         "worker_role", "sex", "age_band", "protection_status", "created_at")
    )  # fmt: skip
    topics, roles = values(ConsultationTopic), values(WorkerRole)
    for _ in range(n["consultations"]):
        p = r.pick()
        held = r.day(p)
        consultations.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, held, rnd.choice(topics), rnd.choice((30, 45, 60, 90)),
             rnd.choice(roles), *r.coarse(p, held), r.stamp(held))
        )  # fmt: skip
    activities = Rows(
        ("group_activity_id", "partner_id", "kind", "scheduled_on", "status", "held_on",
         "anonymous_attendees", "cancelled_on", "created_at")
    )  # fmt: skip
    held_ids = []
    for _ in range(n["group_activities"]):
        day = r.any_day()
        status = rnd.choices(("held", "cancelled", "scheduled"), (0.85, 0.1, 0.05))[0]
        activity_id = uuid.uuid4()
        if status == "held":
            held_ids.append(activity_id)
        activities.rows.append(
            (activity_id, PARTNER, rnd.choice(values(GroupActivityKind)),
             day if status != "scheduled" else TODAY + dt.timedelta(days=rnd.randint(1, 30)),
             status, day if status == "held" else None,
             rnd.randint(0, 8) if status == "held" else None,
             day if status == "cancelled" else None, r.stamp(day))
        )  # fmt: skip
    attendees = Rows(("group_activity_id", "partner_id", "person_ref"))
    seen: set[tuple[uuid.UUID, str]] = set()
    for _ in range(3 * n["group_activity_attendees"] if held_ids else 0):
        if len(attendees.rows) == n["group_activity_attendees"]:
            break
        pair = (held_ids[int(rnd.random() * len(held_ids))], r.pick().ref)
        if pair not in seen:
            seen.add(pair)
            attendees.rows.append((pair[0], PARTNER, pair[1]))
    profiles = Rows(("skills_profile_id", "partner_id", "person_ref", "created_at"))
    profiled: dict[str, tuple[uuid.UUID, dt.date]] = {}
    for _ in range(n["skills_profiles"] * 4):
        if len(profiled) >= min(n["skills_profiles"], len(r.journey)):
            break
        p = r.pick()
        if p.ref not in profiled:
            day = r.day(p)
            profiled[p.ref] = (uuid.uuid4(), day)
            profiles.rows.append((profiled[p.ref][0], PARTNER, p.ref, r.stamp(day)))
    assessments = Rows(
        ("skills_profile_id", "version", "assessed_on", "education_level", "italian_level",
         "italian_assessed_on", "other_languages", "prior_sectors", "driving_licence",
         "created_at")
    )  # fmt: skip
    versions: dict[uuid.UUID, tuple[int, dt.date]] = {}
    profile_list = list(profiled.values())
    for i in range(n["skills_assessments"] if profile_list else 0):
        # every profile's first assessment, then new versions for some
        profile_id, first = profile_list[i] if i < len(profile_list) else rnd.choice(profile_list)
        version, last = versions.get(profile_id, (0, first))
        assessed = r.after(last, 0 if version == 0 else 60, 0 if version == 0 else 300)
        versions[profile_id] = (version + 1, assessed)
        assessments.rows.append(
            (profile_id, version + 1, assessed, rnd.choice(values(EducationLevel)),
             rnd.choice(values(ItalianLevel)), assessed, ["en"], ["I"],
             rnd.choice(values(DrivingLicence)), r.stamp(assessed))
        )  # fmt: skip
    enrolments = Rows(
        ("enrolment_id", "partner_id", "person_ref", "course_title", "provider", "course_kind",
         "hours", "starts_on", "ends_on", "sex", "age_band", "protection_status", "status",
         "closed_on", "created_at")
    )  # fmt: skip
    for _ in range(n["enrolments"]):
        p = r.pick()
        starts = r.day(p)
        ends = starts + dt.timedelta(days=rnd.randint(20, 120))
        status = "enrolled" if ends > TODAY else rnd.choice(("completed", "completed", "dropped"))
        enrolments.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, "Corso di italiano A2", "CPIA",
             rnd.choice(values(CourseKind)), rnd.randint(20, 200), starts, ends,
             *r.coarse(p, starts), status,
             None if status == "enrolled" else min(ends, TODAY), r.stamp(starts))
        )  # fmt: skip
    internships: list[list[Any]] = []
    for _ in range(n["internships"]):
        p = r.pick()
        started = r.day(p)
        agreement = rnd.choice(agreements.rows)
        internships.append(
            [uuid.uuid4(), PARTNER, p.ref, agreement[0], agreement[3], started,
             started + dt.timedelta(days=rnd.choice((90, 180))), 500,
             rnd.choice(values(StipendPayer)), *r.coarse(p, started), "ended", None, None, None,
             None, r.stamp(started)]
        )  # fmt: skip
    still_open = latest(internships, 2, 5)
    hired = []
    for i, internship in enumerate(internships):
        if i in still_open and internship[6] >= TODAY and rnd.random() < 0.5:
            internship[12] = "open"
            continue
        ended = min(internship[6], TODAY)
        outcome = rnd.choices(values(InternshipOutcome), (0.35, 0.45, 0.2))[0]
        internship[13], internship[14], internship[16] = ended, outcome, ended
        internship[15] = rnd.choice(values(InterruptedBy)) if outcome == "interrupted" else None
        if outcome == "hired":
            hired.append(internship)
    hires = Rows(
        ("hire_id", "partner_id", "person_ref", "company_agreement_id", "internship_id",
         "sector", "contract_type", "weekly_hours", "started_on", "ends_on", "sex", "age_band",
         "protection_status", "status", "ended_on", "end_reason", "created_at")
    )  # fmt: skip
    for i in range(n["hires"]):
        if i < len(hired):
            internship = hired[i]
            started = min(TODAY, internship[13] + dt.timedelta(days=1))
            ref, agreement_id, internship_id, sector = (
                internship[2], internship[3], internship[0], internship[4])  # fmt: skip
            coarse = internship[9:12]
        else:
            p = r.pick()
            started = r.day(p)
            ref, agreement_id, internship_id, sector = p.ref, None, None, rnd.choice(sectors)
            coarse = list(r.coarse(p, started))
        ends = started + dt.timedelta(days=rnd.choice((180, 365, 730)))
        ended = ends if ends < TODAY and rnd.random() < 0.8 else None
        hires.rows.append(
            (uuid.uuid4(), PARTNER, ref, agreement_id, internship_id, sector,
             rnd.choice(values(ContractType)), rnd.choice((20, 30, 38, 40)), started, ends,
             *coarse, "ended" if ended else "active", ended,
             rnd.choice(values(HireEndReason)) if ended else None, r.stamp(started))
        )  # fmt: skip
    internship_rows = Rows(
        ("internship_id", "partner_id", "person_ref", "company_agreement_id", "sector",
         "started_on", "planned_end_on", "monthly_stipend_eur", "stipend_paid_by", "sex",
         "age_band", "protection_status", "status", "ended_on", "outcome", "interrupted_by",
         "outcome_recorded_on", "created_at"),
        [tuple(i) for i in internships],
    )  # fmt: skip
    return {
        "company_agreements": agreements,
        "consultations": consultations,
        "group_activities": activities,
        "group_activity_attendees": attendees,
        "skills_profiles": profiles,
        "skills_assessments": assessments,
        "enrolments": enrolments,
        "internships": internship_rows,
        "hires": hires,
    }
