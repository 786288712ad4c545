"""The employment axis: consultations, group activities, courses, internships and hires."""

from __future__ import annotations

from .kinds import distinct, flow
from .model import PLACE_AND_TIME, Indicator, Source, Split, Text, Unit

AXIS = "employment"
CONSULTATIONS, GROUPS, ENROLMENTS, INTERNSHIPS, HIRES = (
    "employment_consultations",
    "employment_group_activities",
    "employment_enrolments",
    "employment_internships",
    "employment_hires",
)

_ATTENDEES = "coalesce(registered_attendees, 0) + coalesce(anonymous_attendees, 0)"
_SAVINGS = "'savings_and_financial_education'"
_BY_KIND = Split("kind", "kind")


def _group_participants(id: str, kind: str, label: Text, what: Text) -> Indicator:
    it = (
        f"Partecipanti a {what.it} svolti nel periodo (persone seguite dal partner più"
        " partecipanti anonimi), nel mese di svolgimento: chi partecipa a due incontri conta"
        " due volte."
    )
    en = (
        f"Participants in {what.en} held in the period (persons the partner follows plus"
        " anonymous attendees), in the month held: someone attending two counts twice."
    )
    held = Source(GROUPS, "held_on", amount=_ATTENDEES, when=f"status = 'held' AND kind = '{kind}'")
    return flow(id, AXIS, label, Text(it, en), Unit.PERSONS, "attendances", held, by=PLACE_AND_TIME)


INDICATORS: tuple[Indicator, ...] = (
    flow(
        "employment_job_consultations",
        AXIS,
        Text("Consulenze individuali sul lavoro", "Individual job consultations"),
        Text(
            "Consulenze individuali su orientamento, curriculum, ricerca di lavoro, diritti"
            " e contratti, nel mese in cui si sono tenute.",
            "Individual consultations on orientation, CV, job search, rights and"
            " contracts, in the month they were held.",
        ),
        Unit.COUNT,
        "consultations",
        Source(CONSULTATIONS, "held_on", when=f"topic <> {_SAVINGS}"),
    ),
    _group_participants(
        "employment_orientation_participants",
        "orientation_group",
        Text("Partecipanti ai gruppi di orientamento", "Orientation-group participants"),
        Text("gruppi di orientamento al lavoro", "job-orientation groups"),
    ),
    flow(
        "employment_training_participants",
        AXIS,
        Text("Partecipanti a formazione e tirocini", "Training and internship participants"),
        Text(
            "Iscrizioni a corsi (nel mese di inizio del corso) più tirocini avviati (nel"
            " mese di avvio): chi fa un corso e un tirocinio conta due volte.",
            "Course enrolments (in the month the course starts) plus internships started"
            " (in the month they start): someone doing both counts twice.",
        ),
        Unit.PERSONS,
        "enrolments and internships",
        Source(ENROLMENTS, "starts_on"),
        Source(INTERNSHIPS, "started_on"),
    ),
    flow(
        "employment_enrolments_started",
        AXIS,
        Text("Iscrizioni a corsi", "Course enrolments"),
        Text(
            "Iscrizioni a corsi (lingua, professionali, sicurezza...), nel mese di inizio.",
            "Enrolments in courses (language, vocational, safety...), in the starting month.",
        ),
        Unit.PERSONS,
        "enrolments",
        Source(ENROLMENTS, "starts_on"),
    ),
    flow(
        "employment_internships_started",
        AXIS,
        Text("Tirocini avviati", "Internships started"),
        Text(
            "Tirocini (borse lavoro) avviati, nel mese di avvio.",
            "Internships started, in the month they started.",
        ),
        Unit.PERSONS,
        "internships",
        Source(INTERNSHIPS, "started_on"),
    ),
    flow(
        "employment_hires",
        AXIS,
        Text("Assunzioni", "Hires"),
        Text(
            "Assunzioni registrate, nel mese di inizio del rapporto di lavoro.",
            "Hires recorded, in the month the job started.",
        ),
        Unit.PERSONS,
        "hires",
        Source(HIRES, "started_on"),
        split=Split("contract_type", "contract_type"),
    ),
    flow(
        "employment_hires_after_internship",
        AXIS,
        Text("Assunzioni dopo un tirocinio", "Hires after an internship"),
        Text(
            "Assunzioni che seguono un tirocinio, nel mese di inizio del rapporto.",
            "Hires following an internship, in the month the job started.",
        ),
        Unit.PERSONS,
        "hires",
        Source(HIRES, "started_on", when="internship_id IS NOT NULL"),
    ),
    flow(
        "employment_savings_consultations",
        AXIS,
        Text("Consulenze individuali sul risparmio", "Individual savings consultations"),
        Text(
            "Consulenze individuali su risparmio ed educazione finanziaria, nel mese in cui"
            " si sono tenute.",
            "Individual consultations on saving and financial education, in the month"
            " they were held.",
        ),
        Unit.COUNT,
        "consultations",
        Source(CONSULTATIONS, "held_on", when=f"topic = {_SAVINGS}"),
    ),
    _group_participants(
        "employment_financial_education_participants",
        "financial_education_path",
        Text(
            "Partecipanti ai percorsi di educazione finanziaria",
            "Financial-education participants",
        ),
        Text(
            "percorsi di educazione e pianificazione finanziaria",
            "financial education and planning paths",
        ),
    ),
    _group_participants(
        "employment_school_pupils",
        "school_session",
        Text("Ragazzi partecipanti nelle scuole", "School pupils reached"),
        Text("incontri sul risparmio nelle scuole", "saving sessions in schools"),
    ),
    flow(
        "employment_consultations",
        AXIS,
        Text("Consulenze individuali", "Individual consultations"),
        Text(
            "Consulenze individuali di ogni tema (lavoro e risparmio), nel mese in cui si sono"
            " tenute.",
            "Individual consultations on every topic (work and saving), in the month they"
            " were held.",
        ),
        Unit.COUNT,
        "consultations",
        Source(CONSULTATIONS, "held_on"),
        split=Split("topic", "topic"),
    ),
    distinct(
        "employment_persons_consulted",
        AXIS,
        Text("Persone con una consulenza", "Persons consulted"),
        Text(
            "Persone con almeno una consulenza individuale nel mese.",
            "Persons with at least one individual consultation in the month.",
        ),
        Unit.PERSONS,
        "persons per month",
        Source(CONSULTATIONS, "held_on", group=("person_ref",)),
    ),
    flow(
        "employment_group_activities_held",
        AXIS,
        Text("Attività di gruppo svolte", "Group activities held"),
        Text(
            "Gruppi di orientamento, percorsi di educazione finanziaria e incontri nelle"
            " scuole svolti, nel mese di svolgimento.",
            "Orientation groups, financial-education paths and school sessions held, in the"
            " month held.",
        ),
        Unit.COUNT,
        "group activities",
        Source(GROUPS, "held_on", when="status = 'held'"),
        by=PLACE_AND_TIME,
        split=_BY_KIND,
    ),
    flow(
        "employment_group_participants",
        AXIS,
        Text("Partecipanti alle attività di gruppo", "Group-activity participants"),
        Text(
            "Partecipanti alle attività di gruppo svolte (persone seguite dal partner più"
            " partecipanti anonimi), nel mese di svolgimento: chi partecipa a due incontri"
            " conta due volte.",
            "Participants in the group activities held (persons the partner follows plus"
            " anonymous attendees), in the month held: someone attending two counts twice.",
        ),
        Unit.PERSONS,
        "attendances",
        Source(GROUPS, "held_on", amount=_ATTENDEES, when="status = 'held'"),
        by=PLACE_AND_TIME,
        split=_BY_KIND,
    ),
    flow(
        "employment_enrolments_completed",
        AXIS,
        Text("Corsi completati", "Courses completed"),
        Text(
            "Iscrizioni chiuse con il corso completato, nel mese di chiusura.",
            "Enrolments closed with the course completed, in the month closed.",
        ),
        Unit.PERSONS,
        "enrolments",
        Source(ENROLMENTS, "closed_on", when="status = 'completed'"),
    ),
    flow(
        "employment_enrolments_dropped",
        AXIS,
        Text("Corsi abbandonati", "Courses dropped"),
        Text(
            "Iscrizioni chiuse con l'abbandono del corso, nel mese di chiusura.",
            "Enrolments closed with the course dropped, in the month closed.",
        ),
        Unit.PERSONS,
        "enrolments",
        Source(ENROLMENTS, "closed_on", when="status = 'dropped'"),
    ),
    flow(
        "employment_internships_ended",
        AXIS,
        Text("Tirocini conclusi", "Internships ended"),
        Text(
            "Tirocini conclusi, nel mese di fine, per esito (in attesa finché non è registrato).",
            "Internships ended, in the month they ended, by outcome (pending until it is"
            " recorded).",
        ),
        Unit.PERSONS,
        "internships",
        Source(INTERNSHIPS, "ended_on"),
        split=Split("outcome", "coalesce(outcome, 'pending')"),
    ),
    distinct(
        "employment_persons_hired",
        AXIS,
        Text("Persone assunte", "Persons hired"),
        Text(
            "Persone con almeno un'assunzione iniziata nel mese.",
            "Persons with at least one hire starting in the month.",
        ),
        Unit.PERSONS,
        "persons per month",
        Source(HIRES, "started_on", group=("person_ref",)),
    ),
)
