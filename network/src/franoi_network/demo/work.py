"""Work: company agreements, consultations (jobs and savings), skills profiles, group
activities (orientation, financial education, schools), courses, internships and hires."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from franoi_network.demo.plan import PartnerPlanner, Person

JOB_CONSULTATIONS_A_MONTH = 44.0
"""Seed 001: 1,599 individual job consultations in three years."""
SAVINGS_CONSULTATIONS_A_MONTH = 6.0
JOB_TOPICS = {
    "orientation": 30,
    "cv_and_applications": 25,
    "job_search": 35,
    "rights_and_contracts": 10,
}
ROLES = {"job_counsellor": 60, "social_worker": 20, "cultural_mediator": 15, "volunteer": 5}
SECTORS = ("H", "I", "A", "F", "N", "C", "Q", "G")
"""Sections of the ATECO classification: transport and logistics, restaurants, farming,
building, cleaning services, manufacturing, care, retail."""
COMPANIES = (
    "Cooperativa Il Granaio",
    "Logistica Nord",
    "Trattoria Da Marta",
    "Edil Futura",
    "Pulimax",
    "Officine Riunite",
    "Serra Verde",
    "Market Sole",
)
COURSES = {
    "italian_language": ("Italiano A2", "Scuola di italiano del quartiere"),
    "vocational": ("Aiuto cuoco", "Ente di formazione regionale"),
    "safety_certificate": ("Sicurezza sul lavoro, rischio basso", "Ente bilaterale"),
    "digital_skills": ("Competenze digitali di base", "Biblioteca civica"),
    "job_readiness": ("Preparazione al colloquio", "Centro per l'impiego"),
}
CONTRACTS = {"fixed_term": 45, "permanent": 15, "apprenticeship": 10, "agency": 15, "seasonal": 15}


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    signed_on: dt.date
    sector: str


def _agreements(pl: PartnerPlanner) -> list[Agreement]:
    agreements = []
    for i in range(max(2, round(5 * pl.weight))):
        signed = pl.later(pl.first_day, 5, 60) if i < 2 else pl.later(pl.first_day, 60, 700)
        if not pl.within(signed):
            continue
        agreement_id = pl.uuid()
        pl.call(
            signed,
            "employment",
            "/v1/company-agreements",
            {
                "company_agreement_id": agreement_id,
                "company_name": COMPANIES[i % len(COMPANIES)],
                "sector": SECTORS[i % len(SECTORS)],
                "places_offered": pl.rng.randint(2, 8),
                "signed_on": signed.isoformat(),
            },
        )
        agreements.append(Agreement(agreement_id, signed, SECTORS[i % len(SECTORS)]))
    return agreements


def _consult(pl: PartnerPlanner, day: dt.date, topic: str, person: Person | None) -> None:
    """A consultation with someone the partner follows (the API asks who it was for)."""
    if person is None:
        return
    body: dict[str, object] = {
        "consultation_id": pl.uuid(),
        "held_on": day.isoformat(),
        "topic": topic,
        "minutes": pl.rng.choice((30, 45, 45, 60, 60, 90)),
        "worker_role": "financial_educator"
        if topic == "savings_and_financial_education"
        else pl.pick({k: float(v) for k, v in ROLES.items()}),
    }
    # One consultation in forty is entered weeks late (the worker was away).
    late = pl.rng.randint(20, 40) if pl.chance(0.025) else 0
    body["person_identifier"] = person.identifier
    body.update(person.demographics())
    if not late and (person.contacted_work_on is None or day < person.contacted_work_on):
        first = person.contacted_work_on is None
        person.contacted_work_on = day
        if first and pl.chance(0.5):
            _skills_profile(pl, day, person)
    pl.call(day, "employment", "/v1/consultations", body, late_by=late)
    key = (
        "employment_savings_consultations"
        if topic == "savings_and_financial_education"
        else "employment_job_consultations"
    )
    pl.tally[key] += 1


def _skills_profile(pl: PartnerPlanner, day: dt.date, person: Person) -> None:
    pl.call(
        day,
        "employment",
        "/v1/skills-profiles",
        {
            "skills_profile_id": pl.uuid(),
            "person_identifier": person.identifier,
            "assessed_on": day.isoformat(),
            "italian_assessed_on": day.isoformat(),
            "education_level": pl.pick(
                {
                    "primary": 25,
                    "lower_secondary": 30,
                    "upper_secondary": 25,
                    "vocational": 10,
                    "tertiary": 5,
                    "none": 5,
                }
            ),
            "italian_level": pl.pick({"pre_a1": 15, "a1": 30, "a2": 30, "b1": 20, "b2": 5}),
            "driving_licence": pl.pick({"none": 70, "car": 15, "foreign_not_converted": 15}),
        },
    )


def _group(
    pl: PartnerPlanner, month: dt.date, kind: str, registered: list[Person], anonymous: int
) -> None:
    held = pl.day_in(month)
    activity_id = pl.uuid()
    scheduled = held - dt.timedelta(days=pl.rng.randint(7, 21))
    pl.call(
        max(scheduled, pl.first_day),
        "employment",
        "/v1/group-activities",
        {"group_activity_id": activity_id, "kind": kind, "scheduled_on": held.isoformat()},
    )
    if pl.chance(0.05):
        pl.call(
            held,
            "employment",
            f"/v1/group-activities/{activity_id}/cancel",
            {"cancelled_on": held.isoformat()},
        )
        return
    pl.call(
        held,
        "employment",
        f"/v1/group-activities/{activity_id}/hold",
        {
            "held_on": held.isoformat(),
            "anonymous_attendees": anonymous,
            "registered_attendees": [{"person_identifier": p.identifier} for p in registered],
        },
    )
    key = {
        "orientation_group": "employment_orientation_participants",
        "financial_education_path": "employment_financial_education_participants",
        "school_session": "employment_school_pupils",
    }[kind]
    pl.tally[key] += anonymous + len(registered)


def plan(pl: PartnerPlanner) -> None:
    agreements = _agreements(pl)
    for month in pl.months():
        for _ in range(pl.how_many(JOB_CONSULTATIONS_A_MONTH, month)):
            day = pl.day_in(month)
            topic = pl.pick({k: float(v) for k, v in JOB_TOPICS.items()})
            _consult(pl, day, topic, pl.person_for(day))
        for _ in range(pl.how_many(SAVINGS_CONSULTATIONS_A_MONTH, month)):
            day = pl.day_in(month)
            _consult(pl, day, "savings_and_financial_education", pl.person_for(day))
        if pl.chance(min(1.0, 0.9 * pl.weight)):
            first = pl.day_in(month)
            known = {p.identifier: p for p in (pl.person_for(first) for _ in range(3)) if p}
            _group(pl, month, "orientation_group", list(known.values()), pl.rng.randint(2, 5))
        if pl.chance(min(1.0, 0.3 * pl.weight)):
            _group(pl, month, "financial_education_path", [], pl.rng.randint(4, 10))
        if month.month not in (7, 8) and pl.chance(min(1.0, 0.9 * pl.weight)):
            _group(pl, month, "school_session", [], pl.rng.randint(18, 30))
        for _ in range(pl.how_many(1.0, month)):
            _course(pl, pl.day_in(month))
        for _ in range(pl.how_many(0.8, month)):
            _internship(pl, pl.day_in(month), agreements)
        for _ in range(pl.how_many(0.25, month)):
            day = pl.day_in(month)
            person = pl.person_for(day, known_at_work=True)
            if person is not None:
                _hire(pl, day, person, None, None)


def _course(pl: PartnerPlanner, starts: dt.date) -> None:
    person = pl.person_for(starts)
    if person is None:
        return
    kind = pl.pick(
        {
            "italian_language": 40,
            "vocational": 20,
            "safety_certificate": 15,
            "digital_skills": 15,
            "job_readiness": 10,
        }
    )
    title, provider = COURSES[kind]
    ends = starts + dt.timedelta(days=pl.rng.randint(20, 120))
    enrolment_id = pl.uuid()
    pl.call(
        starts,
        "employment",
        "/v1/enrolments",
        {
            "enrolment_id": enrolment_id,
            "person_identifier": person.identifier,
            "course_title": title,
            "provider": provider,
            "course_kind": kind,
            "hours": pl.rng.choice((20, 40, 60, 100, 150)),
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            **person.demographics(),
        },
    )
    pl.tally["employment_training_participants"] += 1
    if not pl.within(ends):
        return
    if pl.chance(0.8):
        pl.call(
            ends,
            "employment",
            f"/v1/enrolments/{enrolment_id}/complete",
            {"completed_on": ends.isoformat()},
        )
    else:
        dropped = starts + (ends - starts) / 2
        pl.call(
            dropped,
            "employment",
            f"/v1/enrolments/{enrolment_id}/drop",
            {"dropped_on": dropped.isoformat()},
        )


def _internship(pl: PartnerPlanner, started: dt.date, agreements: list[Agreement]) -> None:
    signed = [a for a in agreements if a.signed_on <= started]
    person = pl.person_for(started, free_of=("internship",), known_at_work=True)
    if not signed or person is None:
        return
    internship_id, agreement = pl.uuid(), pl.rng.choice(signed)
    planned_end = started + dt.timedelta(days=30 * pl.rng.randint(3, 6))
    pl.call(
        started,
        "employment",
        "/v1/internships",
        {
            "internship_id": internship_id,
            "person_identifier": person.identifier,
            "company_agreement_id": agreement.agreement_id,
            "started_on": started.isoformat(),
            "planned_end_on": planned_end.isoformat(),
            "monthly_stipend_eur": pl.rng.choice((400, 500, 600)),
            "stipend_paid_by": pl.pick({"project": 60, "public_programme": 25, "shared": 15}),
            **person.demographics(),
        },
    )
    pl.tally["employment_training_participants"] += 1
    person.busy_until["internship"] = dt.date.max
    if not pl.within(planned_end):
        return
    pl.call(
        planned_end,
        "employment",
        f"/v1/internships/{internship_id}/end",
        {"ended_on": planned_end.isoformat()},
        frees=True,
    )
    person.busy_until["internship"] = planned_end
    recorded = planned_end + dt.timedelta(days=pl.rng.randint(1, 10))
    if not pl.within(recorded):
        return
    outcome = pl.pick({"hired": 35, "not_hired": 50, "interrupted": 15})
    body: dict[str, object] = {"outcome": outcome, "recorded_on": recorded.isoformat()}
    if outcome == "interrupted":
        body["interrupted_by"] = pl.pick({"intern": 50, "company": 30, "mutual": 20})
    pl.call(recorded, "employment", f"/v1/internships/{internship_id}/outcome", body)
    if outcome == "hired":
        _hire(pl, recorded, person, agreement, internship_id)


def _hire(
    pl: PartnerPlanner,
    started: dt.date,
    person: Person,
    agreement: Agreement | None,
    internship_id: str | None,
) -> None:
    """A hire, through an agreement's company (its sector) or found directly; a fixed-term
    or seasonal contract says when it ends, some others end on a later day."""
    hire_id = pl.uuid()
    contract = pl.pick({k: float(v) for k, v in CONTRACTS.items()})
    body: dict[str, object] = {
        "hire_id": hire_id,
        "person_identifier": person.identifier,
        "contract_type": contract,
        "weekly_hours": pl.rng.choice((20, 24, 30, 36, 40)),
        "started_on": started.isoformat(),
        "sector": agreement.sector if agreement else pl.rng.choice(SECTORS),
        **person.demographics(),
    }
    if contract in ("fixed_term", "seasonal"):
        body["ends_on"] = (started + dt.timedelta(days=30 * pl.rng.choice((3, 6, 12)))).isoformat()
    if agreement:
        body["company_agreement_id"] = agreement.agreement_id
    if internship_id:
        body["internship_id"] = internship_id
    pl.call(started, "employment", "/v1/hires", body)
    pl.tally["employment_hires"] += 1
    ended = started + dt.timedelta(days=pl.rng.randint(90, 500))
    if "ends_on" not in body and pl.chance(0.3) and pl.within(ended):
        pl.call(
            ended,
            "employment",
            f"/v1/hires/{hire_id}/end",
            {"ended_on": ended.isoformat(), "reason": pl.pick({"resigned": 60, "other": 40})},
        )
