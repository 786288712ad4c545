"""Persons in the cases register: registrations, individual plans (reviews, tasks, closing),
persons who move on to another partner, and one erasure."""

from __future__ import annotations

import datetime as dt

from franoi_network.demo.plan import PartnerPlanner, Person

GIVEN = {
    "male": (
        "Abdoulaye",
        "Mohamed",
        "Ibrahim",
        "Yusuf",
        "Amadou",
        "Omar",
        "Ali",
        "Samuel",
        "Musa",
        "Bakary",
        "Tesfay",
        "Ahmad",
        "Karim",
        "Daniel",
        "Moussa",
        "Hassan",
    ),
    "female": (
        "Aisha",
        "Fatima",
        "Mariam",
        "Grace",
        "Blessing",
        "Amina",
        "Hawa",
        "Sara",
        "Ruth",
        "Zainab",
        "Esther",
        "Fatoumata",
        "Mercy",
        "Hiba",
        "Nour",
        "Oksana",
    ),
}
FAMILY = (
    "Diallo",
    "Traoré",
    "Ahmed",
    "Okafor",
    "Haile",
    "Camara",
    "Sow",
    "Rahimi",
    "Osei",
    "Kone",
    "Bangura",
    "Jallow",
    "Mensah",
    "Hussain",
    "Tesfaye",
    "Keita",
    "Nwosu",
    "Barry",
    "Koroma",
    "Sesay",
    "Hakimi",
    "Yilmaz",
    "Kovalenko",
    "Abebe",
)
CITIZENSHIP = {
    "NG": 14,
    "AF": 12,
    "PK": 10,
    "GM": 8,
    "ML": 8,
    "SO": 6,
    "ER": 6,
    "SY": 6,
    "UA": 8,
    "BD": 8,
    "CI": 5,
    "GN": 5,
    "SN": 5,
    "ET": 4,
}
LANGUAGES = {
    "NG": "en",
    "AF": "fa",
    "PK": "ur",
    "GM": "en",
    "ML": "fr",
    "SO": "so",
    "ER": "ti",
    "SY": "ar",
    "UA": "uk",
    "BD": "bn",
    "CI": "fr",
    "GN": "fr",
    "SN": "fr",
    "ET": "am",
}
PROTECTION = {
    "refugee": 45,
    "subsidiary_protection": 25,
    "special_protection": 20,
    "trafficking_victim_permit": 4,
    "other": 6,
}
AGE_BANDS = {
    "18-24": (18, 24, 30),
    "25-34": (25, 34, 38),
    "35-44": (35, 44, 20),
    "45-54": (45, 54, 9),
    "55+": (55, 70, 3),
}
PLAN_AXES = {"housing": "housing", "employment": "work", "hosting": "family"}
OUTCOMES = {"completed_autonomy_reached": 40, "completed_partly": 30, "interrupted": 30}
INTERRUPTIONS = {
    "person_withdrew": 25,
    "lost_contact": 30,
    "moved_away": 30,
    "health": 5,
    "other": 10,
}
TASKS = (
    "Rinnovo del permesso di soggiorno",
    "Iscrizione al centro per l'impiego",
    "Colloquio di verifica del progetto",
    "Documenti per la residenza",
    "Iscrizione al corso di italiano",
    "Visita medica di base",
)

WORKERS = ("Giulia Rossi", "Marco Bianchi", "Sara Conti")
"""The social workers who follow the demo's plans: at a desk, signing in (development
sign-in) under one of these names shows that worker's cases and tasks."""

PERSONS_A_MONTH = 12
"""New persons a month for a partner of size 1 (seed 001: a few hundred in three years)."""


def _new_person(pl: PartnerPlanner, on: dt.date) -> tuple[Person, dict[str, object]]:
    rng = pl.rng
    sex = "female" if pl.chance(0.35) else "male"
    band = pl.pick({b: w for b, (_, _, w) in AGE_BANDS.items()})
    low, high, _ = AGE_BANDS[band]
    born = dt.date(on.year - rng.randint(low, high) - 1, rng.randint(1, 12), rng.randint(1, 28))
    citizenship = pl.pick({k: float(v) for k, v in CITIZENSHIP.items()})
    identifier = (
        f"{pl.profile.partner_id.upper()}{rng.randint(10**6, 10**7 - 1)}{rng.choice('ABCDEFGH')}"
    )
    person = Person(
        identifier=identifier,
        person_id=pl.uuid(),
        sex=sex,
        age_band=band,
        protection_status=pl.pick({k: float(v) for k, v in PROTECTION.items()}),
        registered_on=on,
    )
    body: dict[str, object] = {
        "person_id": person.person_id,
        "given_names": rng.choice(GIVEN[sex]),
        "family_name": rng.choice(FAMILY),
        "born_on": born.isoformat(),
        "sex": sex,
        "citizenship": citizenship,
        "languages": [LANGUAGES[citizenship], "it"],
        "protection_status": person.protection_status,
        "residence_permit_number": identifier,
        "registered_on": on.isoformat(),
        "consent": {"given_on": on.isoformat(), "scopes": ["processing", "sharing_within_network"]},
    }
    return person, body


def register_persons(pl: PartnerPlanner, arriving: list[tuple[Person, dt.date]]) -> None:
    """New persons month by month (most with an individual plan), and those who arrive from
    another partner: registered again here with the same document, so the same ref."""
    for month in pl.months():
        for _ in range(pl.how_many(PERSONS_A_MONTH, month)):
            day = pl.day_in(month)
            person, body = _new_person(pl, day)
            _register(pl, person, body)
    for mover, left_on in arriving:
        day = pl.later(left_on, 14, 60)
        if not pl.within(day):
            continue
        person, body = _new_person(pl, day)
        person.identifier = mover.identifier
        person.sex, person.age_band = mover.sex, mover.age_band
        person.protection_status = mover.protection_status
        body.update(sex=mover.sex, protection_status=mover.protection_status)
        body["residence_permit_number"] = mover.identifier
        _register(pl, person, body)
    arriving.clear()


def _register(pl: PartnerPlanner, person: Person, body: dict[str, object]) -> None:
    pl.call(person.registered_on, "cases", "/v1/persons", body)
    pl.persons.append(person)
    if pl.chance(0.7):
        _open_plan(pl, person)


def _open_plan(pl: PartnerPlanner, person: Person) -> None:
    opened = pl.later(person.registered_on, 0, 20)
    if not pl.within(opened):
        return
    axes = sorted({PLAN_AXES[a] for a in pl.profile.axes if a in PLAN_AXES} | {"documents"})
    axes = pl.rng.sample(axes, k=pl.rng.randint(1, len(axes)))
    person.plan_id, person.plan_opened_on = pl.uuid(), opened
    person.plan_months = pl.rng.randint(6, 18)
    person.key_worker = pl.rng.choice(WORKERS)
    pl.call(
        opened,
        "cases",
        "/v1/plans",
        {
            "plan_id": person.plan_id,
            "person_id": person.person_id,
            "opened_on": opened.isoformat(),
            "axes": axes,
            "planned_months": person.plan_months,
            "key_worker": person.key_worker,
        },
    )
    pl.tally["cases_plans_opened"] += 1
    review = opened + dt.timedelta(days=91)
    if pl.within(review):
        pl.call(
            review,
            "cases",
            f"/v1/plans/{person.plan_id}/review",
            {
                "reviewed_on": review.isoformat(),
                "progress": {
                    a: pl.pick({"in_progress": 6, "achieved": 2, "stalled": 1}) for a in axes
                },
            },
        )


def close_plans(pl: PartnerPlanner, leaving: list[tuple[Person, dt.date]]) -> None:
    """Plans close when their months are up (the outcome decided by the worker); a plan
    interrupted because the person moved away sends some of them to the next partner. Plans
    still open at the end get the tasks due around today, for the desk's working lists."""
    for person in pl.persons:
        if person.plan_id is None or person.plan_opened_on is None:
            continue
        closed = pl.later(person.plan_opened_on + dt.timedelta(days=30 * person.plan_months), 0, 30)
        if not pl.within(closed):
            for _ in range(pl.rng.randint(1, 2)):
                due = max(pl.later(pl.last_day, -10, 20), person.plan_opened_on)
                pl.call(
                    max(person.plan_opened_on, pl.last_day - dt.timedelta(days=30)),
                    "cases",
                    f"/v1/plans/{person.plan_id}/tasks",
                    {
                        "task_id": pl.uuid(),
                        "title": pl.rng.choice(TASKS),
                        "due_on": due.isoformat(),
                        "assignee": person.key_worker,
                    },
                )
            continue
        outcome = pl.pick({k: float(v) for k, v in OUTCOMES.items()})
        body: dict[str, object] = {"closed_on": closed.isoformat(), "outcome": outcome}
        if outcome == "interrupted":
            reason = pl.pick({k: float(v) for k, v in INTERRUPTIONS.items()})
            body["interruption_reason"] = reason
            if reason == "moved_away" and pl.chance(0.6):
                leaving.append((person, closed))
        pl.call(closed, "cases", f"/v1/plans/{person.plan_id}/close", body)
        if outcome != "interrupted":
            pl.tally["cases_plans_completed"] += 1
        if outcome == "completed_autonomy_reached":
            pl.tally["cases_plans_autonomy_reached"] += 1


def erase_one(pl: PartnerPlanner) -> None:
    """A person who asked to be forgotten, a week before the end: registered in the first
    months with nothing else recorded after, erased by the coordinator (the counts stay)."""
    early = pl.first_day + dt.timedelta(days=40)
    person, body = _new_person(pl, early)
    pl.call(early, "cases", "/v1/persons", body)
    erased_on = pl.last_day - dt.timedelta(days=7)
    pl.call(erased_on, "cases", f"/v1/persons/{person.person_id}/erase", {}, admin=True)
