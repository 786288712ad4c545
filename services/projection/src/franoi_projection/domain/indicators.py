"""The indicator catalogue: every figure the network views show, defined once.

Each :class:`Indicator` says what it counts, in Italian and English, its unit, what one unit
is (persons, households, requests...), the disaggregations it allows and how it is computed
from the read models: a list of :class:`Source` rows, each "for every row of ``table``
where ``when`` holds, add ``amount`` in the month of ``month``". From these definitions
come the projection statements that keep the monthly counts up to date, the API's
catalogue, the exports' headers and ``docs/indicators.md``.

A *flow* indicator sums its amounts over the months of a period; a *stock* indicator is
the value at the end of the period's last month (its sources add and remove: a unit
counts from the month it is available until the month it is withdrawn). A *rate* is its
numerator over its denominator, both indicators of the catalogue.

Adding an axis means adding definitions here (and naming its fact tables in
:data:`FACT_TABLES`); nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    COUNT = "count"
    PERSONS = "persons"
    HOUSEHOLDS = "households"
    BEDS = "beds"
    RATE = "rate"
    DAYS = "days"


class By(StrEnum):
    """How a table breaks an indicator down."""

    MONTH = "month"
    PARTNER = "partner"
    REGION = "region"
    SEX = "sex"
    AGE_BAND = "age_band"
    PROTECTION_STATUS = "protection_status"


PERSON_DIMENSIONS: tuple[By, ...] = (By.SEX, By.AGE_BAND, By.PROTECTION_STATUS)
"""Disaggregations that describe the person (or a household's reference person)."""
PLACE_AND_TIME: tuple[By, ...] = (By.MONTH, By.PARTNER, By.REGION)
ALL_DIMENSIONS: tuple[By, ...] = PLACE_AND_TIME + PERSON_DIMENSIONS


@dataclass(frozen=True)
class Text:
    it: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.it


@dataclass(frozen=True)
class FactTable:
    """A read-model table indicators are computed from: its key, and whether its rows
    carry the person columns (sex, age_band, protection_status)."""

    name: str
    key: str
    person_columns: bool


@dataclass(frozen=True)
class Source:
    """For every row of ``table`` where ``when`` holds, add ``amount`` in the month of the
    date ``month`` (SQL over the row's columns; a NULL date adds nothing)."""

    table: str
    month: str
    amount: str = "1"
    when: str = "true"


@dataclass(frozen=True)
class Indicator:
    id: str
    axis: str
    label: Text
    description: Text
    unit: Unit
    counts: str
    """What one unit is: persons, households, requests, placements, beds..."""
    sources: tuple[Source, ...] = ()
    stock: bool = False
    numerator: str | None = None
    denominator: str | None = None
    disaggregations: tuple[By, ...] = ALL_DIMENSIONS
    journey: Text | None = None
    """For an outcome of the pseudonymous journeys: how it is computed from a person's
    journey (kept by the journeys' statements, migration 009, instead of ``sources``)."""

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None

    @property
    def key_number(self) -> bool:
        """Shown in the key numbers (the table a project publishes)."""
        return self.id in KEY_NUMBERS


FACT_TABLES: dict[str, FactTable] = {
    t.name: t
    for t in (
        FactTable("housing_units", "unit_id", person_columns=False),
        FactTable("housing_requests", "request_id", person_columns=True),
        FactTable("housing_placements", "placement_id", person_columns=True),
        FactTable("employment_consultations", "consultation_id", person_columns=True),
        FactTable("employment_group_activities", "group_activity_id", person_columns=False),
        FactTable("employment_enrolments", "enrolment_id", person_columns=True),
        FactTable("employment_internships", "internship_id", person_columns=True),
        FactTable("employment_hires", "hire_id", person_columns=True),
        FactTable("hosting_families", "family_id", person_columns=False),
        FactTable("hosting_requests", "request_id", person_columns=True),
        FactTable("hosting_stays", "stay_id", person_columns=True),
        FactTable("events_access_counts", "access_batch_id", person_columns=False),
        FactTable("events_community_events", "community_event_id", person_columns=False),
        FactTable("events_lab_series", "lab_series_id", person_columns=False),
        FactTable("cases_persons", "person_id", person_columns=True),
        FactTable("cases_plans", "plan_id", person_columns=False),
    )
}

_EXIT_OUTCOMES: dict[str, Text] = {
    "autonomous_rent": Text("in affitto autonomo", "to an autonomous rental"),
    "public_housing": Text("in edilizia pubblica", "to public housing"),
    "other_project": Text("verso un altro progetto", "to another project"),
    "back_to_reception": Text("di ritorno in accoglienza", "back to reception"),
    "unknown": Text("con esito sconosciuto", "with unknown outcome"),
}
AUTONOMY_OUTCOMES = ("autonomous_rent", "public_housing")

_HOUSEHOLD_NOTE = Text(
    " Le disaggregazioni per sesso, età e protezione descrivono la persona di riferimento"
    " del nucleo.",
    " The breakdowns by sex, age and protection describe the household's reference person.",
)


def _housing() -> list[Indicator]:
    requests = "housing_requests"
    placements = "housing_placements"
    units = "housing_units"
    h = "housing"
    indicators = [
        Indicator(
            "housing_requests_submitted",
            h,
            Text("Richieste abitative presentate", "Housing requests submitted"),
            Text(
                "Richieste di soluzione abitativa transitoria presentate da un nucleo, nel mese"
                " di presentazione." + _HOUSEHOLD_NOTE.it,
                "Requests for transitional housing submitted by a household, in the month they"
                " were submitted." + _HOUSEHOLD_NOTE.en,
            ),
            Unit.COUNT,
            "requests",
            (Source(requests, "submitted_on"),),
        ),
        Indicator(
            "housing_requests_satisfied",
            h,
            Text("Richieste abitative soddisfatte", "Housing requests satisfied"),
            Text(
                "Richieste chiuse con un inserimento abitativo, nel mese di chiusura.",
                "Requests closed by a placement, in the month they were closed.",
            ),
            Unit.COUNT,
            "requests",
            (Source(requests, "closed_on", when="status = 'satisfied'"),),
        ),
        Indicator(
            "housing_requests_unsatisfied",
            h,
            Text("Richieste abitative non soddisfatte", "Housing requests unsatisfied"),
            Text(
                "Richieste chiuse senza inserimento (nessun alloggio, non idonei, contatto"
                " perso...), nel mese di chiusura.",
                "Requests closed without a placement (no unit, not eligible, contact lost...),"
                " in the month they were closed.",
            ),
            Unit.COUNT,
            "requests",
            (Source(requests, "closed_on", when="status = 'unsatisfied'"),),
        ),
        Indicator(
            "housing_requests_withdrawn",
            h,
            Text("Richieste abitative ritirate", "Housing requests withdrawn"),
            Text(
                "Richieste ritirate dal nucleo, nel mese di chiusura.",
                "Requests the household withdrew, in the month they were closed.",
            ),
            Unit.COUNT,
            "requests",
            (Source(requests, "closed_on", when="status = 'withdrawn'"),),
        ),
        Indicator(
            "housing_requests_decided",
            h,
            Text("Richieste abitative decise", "Housing requests decided"),
            Text(
                "Richieste chiuse come soddisfatte o non soddisfatte (non le ritirate), nel"
                " mese di chiusura: il denominatore del tasso di soddisfazione.",
                "Requests closed as satisfied or unsatisfied (not withdrawn), in the month"
                " they were closed: the satisfaction rate's denominator.",
            ),
            Unit.COUNT,
            "requests",
            (Source(requests, "closed_on", when="status IN ('satisfied', 'unsatisfied')"),),
        ),
        Indicator(
            "housing_satisfaction_rate",
            h,
            Text("Quota di richieste abitative soddisfatte", "Share of housing requests satisfied"),
            Text(
                "Richieste soddisfatte sul totale delle richieste decise (soddisfatte o non"
                " soddisfatte) chiuse nel periodo.",
                "Requests satisfied over the requests decided (satisfied or unsatisfied)"
                " closed in the period.",
            ),
            Unit.RATE,
            "requests",
            numerator="housing_requests_satisfied",
            denominator="housing_requests_decided",
        ),
        Indicator(
            "housing_placements_started",
            h,
            Text("Inserimenti abitativi avviati", "Housing placements started"),
            Text(
                "Nuclei entrati in un alloggio, nel mese di ingresso (un nucleo che cambia"
                " alloggio conta due volte)." + _HOUSEHOLD_NOTE.it,
                "Households that moved into a unit, in the month they moved in (a household"
                " moving twice counts twice)." + _HOUSEHOLD_NOTE.en,
            ),
            Unit.HOUSEHOLDS,
            "placements (one household each)",
            (Source(placements, "started_on"),),
        ),
        Indicator(
            "housing_persons_housed",
            h,
            Text("Persone ospitate", "Persons housed"),
            Text(
                "Persone (tutti i componenti del nucleo) entrate in un alloggio nel periodo:"
                " la somma delle dimensioni dei nuclei inseriti." + _HOUSEHOLD_NOTE.it,
                "Persons (every member of the household) who moved into a unit in the period:"
                " the sum of the sizes of the households placed." + _HOUSEHOLD_NOTE.en,
            ),
            Unit.PERSONS,
            "persons",
            (Source(placements, "started_on", amount="household_size"),),
        ),
        Indicator(
            "housing_households_housed",
            h,
            Text("Nuclei in alloggio", "Households housed"),
            Text(
                "Nuclei che vivono in un alloggio del progetto alla fine dell'ultimo mese del"
                " periodo (entrati e non ancora usciti)." + _HOUSEHOLD_NOTE.it,
                "Households living in one of the project's units at the end of the period's"
                " last month (moved in and not yet out)." + _HOUSEHOLD_NOTE.en,
            ),
            Unit.HOUSEHOLDS,
            "households",
            (
                Source(placements, "started_on"),
                Source(placements, "ended_on", amount="-1"),
            ),
            stock=True,
        ),
        Indicator(
            "housing_units_available",
            h,
            Text("Alloggi a disposizione", "Units available"),
            Text(
                "Alloggi a disposizione del progetto alla fine dell'ultimo mese del periodo"
                " (registrati e non ritirati), occupati o liberi.",
                "Units at the project's disposal at the end of the period's last month"
                " (registered and not withdrawn), occupied or free.",
            ),
            Unit.COUNT,
            "housing units",
            (
                Source(units, "available_from"),
                Source(units, "withdrawn_on", amount="-1"),
            ),
            stock=True,
            disaggregations=PLACE_AND_TIME,
        ),
        Indicator(
            "housing_beds_available",
            h,
            Text("Posti letto liberi", "Beds available"),
            Text(
                "Posti letto degli alloggi a disposizione meno le persone dei nuclei che vi"
                " abitano, alla fine dell'ultimo mese del periodo.",
                "Beds of the units at the project's disposal minus the persons of the"
                " households living in them, at the end of the period's last month.",
            ),
            Unit.BEDS,
            "beds",
            (
                Source(units, "available_from", amount="beds"),
                Source(units, "withdrawn_on", amount="-beds"),
                Source(placements, "started_on", amount="-household_size"),
                Source(placements, "ended_on", amount="household_size"),
            ),
            stock=True,
            disaggregations=PLACE_AND_TIME,
        ),
        Indicator(
            "housing_exits",
            h,
            Text("Uscite dagli alloggi", "Exits from housing"),
            Text(
                "Nuclei usciti da un alloggio, nel mese di uscita, qualunque l'esito.",
                "Households that left a unit, in the month they left, whatever the outcome.",
            ),
            Unit.HOUSEHOLDS,
            "placements ended (one household each)",
            (Source(placements, "ended_on"),),
        ),
        Indicator(
            "housing_exits_to_autonomy",
            h,
            Text("Uscite verso l'autonomia abitativa", "Exits to housing autonomy"),
            Text(
                "Nuclei usciti da un alloggio verso un affitto autonomo o l'edilizia pubblica,"
                " nel mese di uscita.",
                "Households that left a unit for an autonomous rental or public housing, in"
                " the month they left.",
            ),
            Unit.HOUSEHOLDS,
            "placements ended (one household each)",
            (
                Source(
                    placements,
                    "ended_on",
                    when="exit_outcome IN (" + ", ".join(f"'{o}'" for o in AUTONOMY_OUTCOMES) + ")",
                ),
            ),
        ),
    ]
    for outcome, text in _EXIT_OUTCOMES.items():
        indicators.append(
            Indicator(
                f"housing_exits_{outcome}",
                h,
                Text(f"Uscite {text.it}", f"Exits {text.en}"),
                Text(
                    f"Nuclei usciti da un alloggio {text.it}, nel mese di uscita.",
                    f"Households that left a unit {text.en}, in the month they left.",
                ),
                Unit.HOUSEHOLDS,
                "placements ended (one household each)",
                (Source(placements, "ended_on", when=f"exit_outcome = '{outcome}'"),),
            )
        )
    return indicators


def _flow(
    id: str,
    axis: str,
    label: Text,
    description: Text,
    unit: Unit,
    counts: str,
    *sources: Source,
    by: tuple[By, ...] = ALL_DIMENSIONS,
) -> Indicator:
    return Indicator(id, axis, label, description, unit, counts, sources, disaggregations=by)


_ATTENDEES = "coalesce(registered_attendees, 0) + coalesce(anonymous_attendees, 0)"
_SAVINGS = "'savings_and_financial_education'"
_PUBLIC_EVENTS = "('public_event', 'info_session', 'festival')"


def _group_participants(id: str, kind: str, label: Text, what: Text) -> Indicator:
    return _flow(
        id,
        "employment",
        label,
        Text(
            f"Partecipanti a {what.it} svolti nel periodo (persone seguite dal partner più"
            " partecipanti anonimi), nel mese di svolgimento: chi partecipa a due incontri"
            " conta due volte.",
            f"Participants in {what.en} held in the period (persons the partner follows plus"
            " anonymous attendees), in the month held: someone attending two counts twice.",
        ),
        Unit.PERSONS,
        "attendances",
        Source(
            "employment_group_activities",
            "held_on",
            amount=_ATTENDEES,
            when=f"status = 'held' AND kind = '{kind}'",
        ),
        by=PLACE_AND_TIME,
    )


def _employment() -> list[Indicator]:
    e = "employment"
    return [
        _flow(
            "employment_job_consultations",
            e,
            Text("Consulenze individuali sul lavoro", "Individual job consultations"),
            Text(
                "Consulenze individuali su orientamento, curriculum, ricerca di lavoro, diritti"
                " e contratti, nel mese in cui si sono tenute.",
                "Individual consultations on orientation, CV, job search, rights and"
                " contracts, in the month they were held.",
            ),
            Unit.COUNT,
            "consultations",
            Source("employment_consultations", "held_on", when=f"topic <> {_SAVINGS}"),
        ),
        _group_participants(
            "employment_orientation_participants",
            "orientation_group",
            Text("Partecipanti ai gruppi di orientamento", "Orientation-group participants"),
            Text("gruppi di orientamento al lavoro", "job-orientation groups"),
        ),
        _flow(
            "employment_training_participants",
            e,
            Text("Partecipanti a formazione e tirocini", "Training and internship participants"),
            Text(
                "Iscrizioni a corsi (nel mese di inizio del corso) più tirocini avviati (nel"
                " mese di avvio): chi fa un corso e un tirocinio conta due volte.",
                "Course enrolments (in the month the course starts) plus internships started"
                " (in the month they start): someone doing both counts twice.",
            ),
            Unit.PERSONS,
            "enrolments and internships",
            Source("employment_enrolments", "starts_on"),
            Source("employment_internships", "started_on"),
        ),
        _flow(
            "employment_enrolments_started",
            e,
            Text("Iscrizioni a corsi", "Course enrolments"),
            Text(
                "Iscrizioni a corsi (lingua, professionali, sicurezza...), nel mese di inizio.",
                "Enrolments in courses (language, vocational, safety...), in the starting month.",
            ),
            Unit.PERSONS,
            "enrolments",
            Source("employment_enrolments", "starts_on"),
        ),
        _flow(
            "employment_internships_started",
            e,
            Text("Tirocini avviati", "Internships started"),
            Text(
                "Tirocini (borse lavoro) avviati, nel mese di avvio.",
                "Internships started, in the month they started.",
            ),
            Unit.PERSONS,
            "internships",
            Source("employment_internships", "started_on"),
        ),
        _flow(
            "employment_hires",
            e,
            Text("Assunzioni", "Hires"),
            Text(
                "Assunzioni registrate, nel mese di inizio del rapporto di lavoro.",
                "Hires recorded, in the month the job started.",
            ),
            Unit.PERSONS,
            "hires",
            Source("employment_hires", "started_on"),
        ),
        _flow(
            "employment_hires_after_internship",
            e,
            Text("Assunzioni dopo un tirocinio", "Hires after an internship"),
            Text(
                "Assunzioni che seguono un tirocinio, nel mese di inizio del rapporto.",
                "Hires following an internship, in the month the job started.",
            ),
            Unit.PERSONS,
            "hires",
            Source("employment_hires", "started_on", when="internship_id IS NOT NULL"),
        ),
        _flow(
            "employment_savings_consultations",
            e,
            Text("Consulenze individuali sul risparmio", "Individual savings consultations"),
            Text(
                "Consulenze individuali su risparmio ed educazione finanziaria, nel mese in cui"
                " si sono tenute.",
                "Individual consultations on saving and financial education, in the month"
                " they were held.",
            ),
            Unit.COUNT,
            "consultations",
            Source("employment_consultations", "held_on", when=f"topic = {_SAVINGS}"),
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
    ]


def _hosting() -> list[Indicator]:
    h = "hosting"
    requests = "hosting_requests"
    return [
        _flow(
            "hosting_requests_submitted",
            h,
            Text("Richieste per la famiglia", "Family requests"),
            Text(
                "Richieste di accoglienza in famiglia o di sostegno alla famiglia (cura dei"
                " figli, carichi di cura, sostegno scolastico e genitoriale), nel mese di"
                " presentazione.",
                "Requests for hosting in a family or family support (childcare, care duties,"
                " school and parenting support), in the month submitted.",
            ),
            Unit.COUNT,
            "requests",
            Source(requests, "submitted_on"),
        ),
        _flow(
            "hosting_requests_satisfied",
            h,
            Text("Richieste per la famiglia soddisfatte", "Family requests satisfied"),
            Text(
                "Richieste per la famiglia chiuse come soddisfatte, nel mese di chiusura.",
                "Family requests closed as satisfied, in the month closed.",
            ),
            Unit.COUNT,
            "requests",
            Source(requests, "closed_on", when="status = 'satisfied'"),
        ),
        _flow(
            "hosting_requests_decided",
            h,
            Text("Richieste per la famiglia decise", "Family requests decided"),
            Text(
                "Richieste per la famiglia chiuse come soddisfatte o non soddisfatte, nel mese"
                " di chiusura.",
                "Family requests closed as satisfied or unsatisfied, in the month closed.",
            ),
            Unit.COUNT,
            "requests",
            Source(requests, "closed_on", when="status IN ('satisfied', 'unsatisfied')"),
        ),
        Indicator(
            "hosting_satisfaction_rate",
            h,
            Text(
                "Quota di richieste per la famiglia soddisfatte",
                "Share of family requests satisfied",
            ),
            Text(
                "Richieste per la famiglia soddisfatte sul totale di quelle decise nel periodo.",
                "Family requests satisfied over those decided in the period.",
            ),
            Unit.RATE,
            "requests",
            numerator="hosting_requests_satisfied",
            denominator="hosting_requests_decided",
        ),
        _flow(
            "hosting_stays_started",
            h,
            Text("Accoglienze in famiglia avviate", "Family hostings started"),
            Text(
                "Persone accolte in una famiglia, nel mese di inizio dell'accoglienza.",
                "Persons hosted by a family, in the month the stay started.",
            ),
            Unit.PERSONS,
            "stays (one guest each)",
            Source("hosting_stays", "started_on"),
        ),
        _flow(
            "hosting_stays_ended_with_autonomy",
            h,
            Text("Accoglienze concluse con autonomia", "Hostings ended with autonomy"),
            Text(
                "Accoglienze in famiglia concluse con l'autonomia dell'ospite, nel mese di fine.",
                "Family stays completed with the guest's autonomy, in the month they ended.",
            ),
            Unit.PERSONS,
            "stays (one guest each)",
            Source("hosting_stays", "ended_on", when="outcome = 'completed_with_autonomy'"),
        ),
        _flow(
            "hosting_families_approved",
            h,
            Text("Famiglie accoglienti approvate", "Host families approved"),
            Text(
                "Famiglie approvate per l'accoglienza, nel mese di approvazione.",
                "Families approved to host, in the month approved.",
            ),
            Unit.HOUSEHOLDS,
            "families",
            Source("hosting_families", "approved_on"),
            by=PLACE_AND_TIME,
        ),
    ]


def _events() -> list[Indicator]:
    v = "events"
    events = "events_community_events"
    labs = "events_lab_series"
    return [
        _flow(
            "events_accesses",
            v,
            Text("Accessi per consulenze", "Accesses for advice"),
            Text(
                "Accessi ai punti di incontro (caffè, sportelli) per consulenze, anonimi e di"
                " persone seguite, nel giorno dell'accesso.",
                "Walk-in accesses to the hubs (cafés, help desks) for advice, anonymous and of"
                " persons followed, on the day of the access.",
            ),
            Unit.COUNT,
            "accesses",
            Source("events_access_counts", "accessed_on", amount="accesses"),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "events_held",
            v,
            Text("Eventi", "Events"),
            Text(
                "Eventi pubblici, incontri informativi e feste svolti, nel mese di svolgimento"
                " (i laboratori si contano a parte).",
                "Public events, information sessions and festivals held, in the month held"
                " (labs are counted apart).",
            ),
            Unit.COUNT,
            "events",
            Source(events, "held_on", when=f"status = 'held' AND kind IN {_PUBLIC_EVENTS}"),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "events_participants",
            v,
            Text("Cittadini partecipanti agli eventi", "Event participants"),
            Text(
                "Partecipanti agli eventi svolti nel periodo (presenze).",
                "Participants in the events held in the period (attendances).",
            ),
            Unit.PERSONS,
            "attendances",
            Source(
                events,
                "held_on",
                amount="coalesce(participants, 0)",
                when=f"status = 'held' AND kind IN {_PUBLIC_EVENTS}",
            ),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "events_socialisation_labs",
            v,
            Text("Laboratori di socialità", "Socialisation labs"),
            Text(
                "Laboratori di socialità avviati, nel mese di avvio.",
                "Socialisation labs started, in the month started.",
            ),
            Unit.COUNT,
            "lab series",
            Source(labs, "started_on", when="kind = 'socialisation_lab'"),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "events_socialisation_lab_participants",
            v,
            Text("Partecipanti ai laboratori di socialità", "Socialisation-lab participants"),
            Text(
                "Partecipanti distinti di ciascun laboratorio di socialità, nel mese in cui il"
                " laboratorio si è chiuso.",
                "Distinct participants of each socialisation lab, in the month the lab closed.",
            ),
            Unit.PERSONS,
            "participants per lab",
            Source(
                labs,
                "closed_on",
                amount="coalesce(distinct_participants, 0)",
                when="kind = 'socialisation_lab'",
            ),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "events_community_labs",
            v,
            Text("Laboratori di comunità", "Community labs"),
            Text(
                "Laboratori di comunità avviati, nel mese di avvio.",
                "Community labs started, in the month started.",
            ),
            Unit.COUNT,
            "lab series",
            Source(labs, "started_on", when="kind = 'community_lab'"),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "events_community_lab_beneficiaries",
            v,
            Text("Fruitori dei laboratori di comunità", "Community-lab beneficiaries"),
            Text(
                "Fruitori distinti dei servizi di ciascun laboratorio di comunità, nel mese in"
                " cui il laboratorio si è chiuso.",
                "Distinct beneficiaries of each community lab's services, in the month the lab"
                " closed.",
            ),
            Unit.PERSONS,
            "beneficiaries per lab",
            Source(
                labs,
                "closed_on",
                amount="coalesce(distinct_beneficiaries, 0)",
                when="kind = 'community_lab'",
            ),
            by=PLACE_AND_TIME,
        ),
    ]


def _cases() -> list[Indicator]:
    c = "cases"
    plans = "cases_plans"
    completed = "outcome IN ('completed_autonomy_reached', 'completed_partly')"
    return [
        _flow(
            "cases_persons_registered",
            c,
            Text("Persone prese in carico", "Persons taken in charge"),
            Text(
                "Persone registrate da un partner, nel mese di registrazione (una persona"
                " seguita da due partner conta per ciascuno).",
                "Persons registered by a partner, in the month registered (a person followed"
                " by two partners counts for each).",
            ),
            Unit.PERSONS,
            "persons",
            Source("cases_persons", "registered_on"),
        ),
        _flow(
            "cases_plans_opened",
            c,
            Text("Progetti individuali avviati", "Individual plans opened"),
            Text(
                "Progetti individuali aperti, nel mese di apertura.",
                "Individual plans opened, in the month opened.",
            ),
            Unit.PERSONS,
            "plans (one person each)",
            Source(plans, "opened_on"),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "cases_plans_completed",
            c,
            Text("Progetti individuali conclusi", "Individual plans completed"),
            Text(
                "Progetti chiusi come completati (in tutto o in parte), nel mese di chiusura.",
                "Plans closed as completed (fully or partly), in the month closed.",
            ),
            Unit.PERSONS,
            "plans (one person each)",
            Source(plans, "closed_on", when=completed),
            by=PLACE_AND_TIME,
        ),
        _flow(
            "cases_plans_autonomy_reached",
            c,
            Text("Progetti conclusi con autonomia raggiunta", "Plans ended with autonomy reached"),
            Text(
                "Progetti chiusi con gli obiettivi raggiunti e la persona autonoma, nel mese di"
                " chiusura.",
                "Plans closed with their goals met and the person autonomous, in the month closed.",
            ),
            Unit.PERSONS,
            "plans (one person each)",
            Source(plans, "closed_on", when="outcome = 'completed_autonomy_reached'"),
            by=PLACE_AND_TIME,
        ),
    ]


def _leases() -> Indicator:
    return _flow(
        "housing_leases_signed",
        "housing",
        Text("Contratti di affitto firmati", "Leases signed"),
        Text(
            "Nuclei usciti da un alloggio del progetto con un proprio contratto d'affitto"
            " (uscite in affitto autonomo), nel mese di uscita.",
            "Households that left a project unit with a lease of their own (exits to an"
            " autonomous rental), in the month they left.",
        ),
        Unit.HOUSEHOLDS,
        "leases (one household each)",
        Source("housing_placements", "ended_on", when="exit_outcome = 'autonomous_rent'"),
    )


def _journey(
    id: str, label: Text, description: Text, counts: str, rule: Text, *, unit: Unit = Unit.PERSONS
) -> Indicator:
    return Indicator(
        id,
        "journeys",
        label,
        description,
        unit,
        counts,
        disaggregations=PLACE_AND_TIME,
        journey=rule,
    )


_JOURNEY = Text(
    " Il percorso di una persona riunisce, per pseudonimo (person_ref), i suoi record presso"
    " tutti i partner e su tutti gli assi; la persona conta una sola volta nella rete, presso"
    " il partner del record che determina l'esito.",
    " A person's journey gathers, by pseudonym (person_ref), their records at every partner"
    " and on every axis; the person counts once in the network, at the partner of the record"
    " that decides the outcome.",
)
_CONTACT = Text(
    "Un contatto è: registrazione o apertura di un progetto (casi), richiesta o inserimento"
    " abitativo, colloquio, attività di gruppo svolta, corso o tirocinio (lavoro), richiesta"
    " o accoglienza in famiglia, accesso nominativo a un hub (eventi).",
    "A contact is: a registration or a plan opened (cases), a housing request or placement, a"
    " consultation, a group activity held, a course or an internship (employment), a family"
    " hosting request or stay, a named access at a hub (events).",
)
_EXIT = Text(
    "Uscita verso l'autonomia: fine di un inserimento abitativo in affitto autonomo o in"
    " edilizia pubblica, o fine di un'accoglienza in famiglia conclusa con autonomia.",
    "Exit to autonomy: a housing placement ended to an autonomous rental or to public housing,"
    " or a family hosting stay ended as completed with autonomy.",
)
_IN_WORK = Text(
    "Al lavoro in un giorno: un'assunzione iniziata entro quel giorno e non terminata prima"
    " (data di fine registrata o, se manca, fine prevista del contratto).",
    "In work on a day: a hire started by that day and not ended before it (its recorded end"
    " or, without one, the contract's planned end).",
)
_RECEPTION = Text(
    "Ritorno in accoglienza: un inserimento abitativo terminato con rientro in accoglienza, o"
    " una richiesta abitativa per uscita dall'accoglienza, presentati dopo l'uscita.",
    "Back in reception: a housing placement ended back to reception, or a housing request for"
    " an exit from reception, dated after the exit.",
)


def _back_in_reception(months: int) -> list[Indicator]:
    cohort = f"journeys_exits_to_autonomy_{months}_months"
    back = f"journeys_back_in_reception_{months}_months"
    window = Text(
        f"La prima uscita verso l'autonomia di ogni persona, contata nel mese in cui si"
        f" chiudono i {months} mesi successivi.",
        f"Each person's first exit to autonomy, counted in the month its following {months}"
        " months close.",
    )
    return [
        _journey(
            cohort,
            Text(
                f"Uscite verso l'autonomia seguite per {months} mesi",
                f"Exits to autonomy followed for {months} months",
            ),
            Text(
                f"Persone la cui prima uscita verso l'autonomia risale a {months} mesi prima,"
                " nel mese in cui i mesi si compiono: il denominatore della quota di ritorni in"
                " accoglienza." + _JOURNEY.it,
                f"Persons whose first exit to autonomy was {months} months earlier, in the"
                " month the months are up: the denominator of the share back in reception."
                + _JOURNEY.en,
            ),
            "persons",
            Text(
                f"{window.it} {_EXIT.it} Partner: quello dell'uscita.",
                f"{window.en} {_EXIT.en} Partner: the exit's.",
            ),
        ),
        _journey(
            back,
            Text(
                f"Persone tornate in accoglienza entro {months} mesi da un'uscita verso"
                " l'autonomia",
                f"Persons back in reception within {months} months of an exit to autonomy",
            ),
            Text(
                f"Delle persone uscite verso l'autonomia {months} mesi prima, quelle tornate in"
                f" accoglienza entro i {months} mesi, nel mese in cui i mesi si compiono."
                + _JOURNEY.it,
                f"Of the persons who exited to autonomy {months} months earlier, those back in"
                f" reception within the {months} months, in the month the months are up."
                + _JOURNEY.en,
            ),
            "persons",
            Text(
                f"{window.it} {_EXIT.it} {_RECEPTION.it} Conta se il ritorno cade dopo l'uscita"
                f" ed entro {months} mesi (giorno compreso).",
                f"{window.en} {_EXIT.en} {_RECEPTION.en} Counts when the return falls after"
                f" the exit and no later than {months} months after it (that day included).",
            ),
        ),
        Indicator(
            f"{back}_rate",
            "journeys",
            Text(
                f"Quota di ritorni in accoglienza entro {months} mesi",
                f"Share back in reception within {months} months",
            ),
            Text(
                f"Persone tornate in accoglienza entro {months} mesi dalla prima uscita verso"
                " l'autonomia, sul totale delle persone uscite verso l'autonomia seguite per"
                f" {months} mesi, nel periodo in cui i mesi si compiono.",
                f"Persons back in reception within {months} months of their first exit to"
                f" autonomy, over the persons whose exit to autonomy was followed for {months}"
                " months, in the period the months are up.",
            ),
            Unit.RATE,
            "persons",
            numerator=back,
            denominator=cohort,
            disaggregations=PLACE_AND_TIME,
        ),
    ]


def journey_indicators() -> list[Indicator]:
    """The outcome indicators of the pseudonymous journeys (domain/journeys.py states the
    rules as code; migration 009 computes them)."""
    return [
        _journey(
            "journeys_first_contacts",
            Text("Persone al primo contatto con la rete", "Persons at their first contact"),
            Text(
                "Persone entrate in contatto con la rete per la prima volta, nel mese del primo"
                " contatto con qualsiasi partner su qualsiasi asse." + _JOURNEY.it,
                "Persons in contact with the network for the first time, in the month of their"
                " first contact with any partner on any axis." + _JOURNEY.en,
            ),
            "persons",
            Text(
                f"Il contatto più antico della persona (a parità di data, il partner con l'id"
                f" minore). {_CONTACT.it} Gli assi toccati (ogni asse con almeno un record)"
                " sono conteggiati con il primo contatto, per il riepilogo dei percorsi.",
                f"The person's earliest contact (on equal dates, the lowest partner id)."
                f" {_CONTACT.en} The axes touched (every axis with any record) are counted"
                " with the first contact, for the journeys' summary.",
            ),
        ),
        _journey(
            "journeys_first_hires",
            Text("Persone alla prima assunzione", "Persons hired for the first time"),
            Text(
                "Persone assunte per la prima volta dopo il primo contatto con la rete, nel"
                " mese della prima assunzione. Il tempo dal primo contatto alla prima"
                " assunzione è dato come mediana in giorni (riepilogo dei percorsi e cruscotto)"
                " perché le durate sono asimmetriche: poche attese lunghe alzerebbero una"
                " media." + _JOURNEY.it,
                "Persons hired for the first time after their first contact with the network,"
                " in the month of the first hire. The time from first contact to first hire is"
                " given as a median in days (journeys summary and dashboard) because the"
                " durations are skewed: a few long waits would inflate a mean." + _JOURNEY.en,
            ),
            "persons",
            Text(
                "La prima assunzione (inizio più antico) in data uguale o successiva al primo"
                " contatto, presso il suo partner; i giorni dal primo contatto sono tenuti per"
                " mese e partner, così la mediana si calcola per ogni periodo e ambito.",
                "The first hire (earliest start) on or after the first contact, at its"
                " partner; the days from the first contact are kept per month and partner, so"
                " the median is computed for any period and scope.",
            ),
        ),
        _journey(
            "journeys_autonomy_reached",
            Text("Persone che hanno raggiunto l'autonomia", "Persons who reached autonomy"),
            Text(
                "Persone che hanno raggiunto l'autonomia (abitazione autonoma e lavoro, o un"
                " progetto individuale concluso con autonomia raggiunta), nel mese in cui"
                " l'hanno raggiunta la prima volta." + _JOURNEY.it,
                "Persons who reached autonomy (autonomous housing and work, or an individual"
                " plan closed with autonomy reached), in the month they first reached it."
                + _JOURNEY.en,
            ),
            "persons",
            Text(
                "La data più antica tra: la chiusura di un progetto con autonomia raggiunta;"
                " un'uscita verso l'autonomia con un'assunzione non terminata prima"
                " dell'uscita, alla più tarda tra uscita e inizio dell'assunzione (partner:"
                f" quello del record più tardo). {_EXIT.it}",
                "The earliest of: a plan closed with autonomy reached; an exit to autonomy"
                " with a hire not ended before the exit, on the later of the exit and the"
                f" hire's start (partner: the later record's). {_EXIT.en}",
            ),
        ),
        _journey(
            "journeys_followed_6_months",
            Text(
                "Persone a 6 mesi dalla fine di un tirocinio o di un'accoglienza",
                "Persons 6 months after an internship or a stay ended",
            ),
            Text(
                "Persone il cui primo tirocinio o accoglienza in famiglia terminato si è"
                " concluso 6 mesi prima, nel mese in cui i 6 mesi si compiono: il denominatore"
                " della quota al lavoro a 6 mesi." + _JOURNEY.it,
                "Persons whose first internship or family hosting stay to end ended 6 months"
                " earlier, in the month the 6 months are up: the denominator of the share in"
                " work at 6 months." + _JOURNEY.en,
            ),
            "persons",
            Text(
                "Il primo tirocinio o accoglienza terminati (fine più antica, con qualsiasi"
                " esito), contato nel mese del giorno 6 mesi dopo la fine, presso il suo"
                " partner.",
                "The first internship or stay to end (earliest end, any outcome), counted in"
                " the month of the day 6 months after the end, at its partner.",
            ),
        ),
        _journey(
            "journeys_in_work_6_months",
            Text(
                "Persone al lavoro 6 mesi dopo un tirocinio o un'accoglienza",
                "Persons in work 6 months after an internship or a stay",
            ),
            Text(
                "Delle persone a 6 mesi dalla fine del primo tirocinio o accoglienza, quelle"
                " al lavoro in quel giorno, nel mese in cui i 6 mesi si compiono." + _JOURNEY.it,
                "Of the persons 6 months after their first internship or stay ended, those in"
                " work on that day, in the month the 6 months are up." + _JOURNEY.en,
            ),
            "persons",
            Text(
                "Il giorno 6 mesi dopo la fine del primo tirocinio o accoglienza terminati, la"
                f" persona è al lavoro (presso qualsiasi partner). {_IN_WORK.it} Una data"
                " futura è provvisoria: conta un'assunzione senza fine registrata.",
                "On the day 6 months after the end of the first internship or stay to end,"
                f" the person is in work (through any partner). {_IN_WORK.en} A future day is"
                " provisional: a hire with no end recorded counts.",
            ),
        ),
        Indicator(
            "journeys_in_work_6_months_rate",
            "journeys",
            Text(
                "Quota al lavoro 6 mesi dopo un tirocinio o un'accoglienza",
                "Share in work 6 months after an internship or a stay",
            ),
            Text(
                "Persone al lavoro 6 mesi dopo la fine del primo tirocinio o accoglienza, sul"
                " totale delle persone a 6 mesi dalla fine, nel periodo in cui i 6 mesi si"
                " compiono.",
                "Persons in work 6 months after their first internship or stay ended, over"
                " the persons 6 months after it ended, in the period the 6 months are up.",
            ),
            Unit.RATE,
            "persons",
            numerator="journeys_in_work_6_months",
            denominator="journeys_followed_6_months",
            disaggregations=PLACE_AND_TIME,
        ),
        *_back_in_reception(6),
        *_back_in_reception(12),
    ]


CATALOGUE: tuple[Indicator, ...] = tuple(
    [
        *_housing(),
        _leases(),
        *_employment(),
        *_hosting(),
        *_events(),
        *_cases(),
        *journey_indicators(),
    ]
)

KEY_NUMBERS: tuple[str, ...] = (
    "events_accesses",
    "employment_job_consultations",
    "employment_orientation_participants",
    "employment_training_participants",
    "employment_hires",
    "hosting_requests_submitted",
    "hosting_satisfaction_rate",
    "employment_savings_consultations",
    "employment_financial_education_participants",
    "employment_school_pupils",
    "housing_requests_submitted",
    "housing_requests_satisfied",
    "housing_requests_unsatisfied",
    "housing_satisfaction_rate",
    "housing_units_available",
    "housing_persons_housed",
    "housing_exits_to_autonomy",
    "events_held",
    "events_participants",
    "events_socialisation_labs",
    "events_socialisation_lab_participants",
    "events_community_labs",
    "events_community_lab_beneficiaries",
    "cases_plans_opened",
    "cases_plans_completed",
    "cases_plans_autonomy_reached",
    "hosting_stays_started",
    "housing_leases_signed",
    "journeys_autonomy_reached",
    "journeys_first_hires",
    "journeys_in_work_6_months_rate",
    "journeys_back_in_reception_12_months_rate",
)
"""The key numbers, in the order a project publishes them (seed 001's table, then the
Fra Noi results)."""
BY_ID: dict[str, Indicator] = {i.id: i for i in CATALOGUE}

DIMENSION_LABELS: dict[By, Text] = {
    By.MONTH: Text("Mese", "Month"),
    By.PARTNER: Text("Partner", "Partner"),
    By.REGION: Text("Regione", "Region"),
    By.SEX: Text("Sesso", "Sex"),
    By.AGE_BAND: Text("Fascia d'età", "Age band"),
    By.PROTECTION_STATUS: Text("Protezione", "Protection status"),
}

VALUE_LABELS: dict[By, dict[str, Text]] = {
    By.SEX: {
        "female": Text("Donne", "Women"),
        "male": Text("Uomini", "Men"),
        "other": Text("Altro", "Other"),
        "undisclosed": Text("Non dichiarato", "Undisclosed"),
    },
    By.AGE_BAND: {
        band: Text(band, band) for band in ("0-17", "18-24", "25-34", "35-44", "45-54", "55+")
    },
    By.PROTECTION_STATUS: {
        "refugee": Text("Rifugiato", "Refugee"),
        "subsidiary_protection": Text("Protezione sussidiaria", "Subsidiary protection"),
        "special_protection": Text("Protezione speciale", "Special protection"),
        "trafficking_victim_permit": Text("Permesso per vittime di tratta", "Trafficking permit"),
        "other": Text("Altro", "Other"),
    },
}


def check_catalogue(catalogue: tuple[Indicator, ...] = CATALOGUE) -> None:
    """Every definition is complete and consistent (run at import and in the tests)."""
    ids = [i.id for i in catalogue]
    if len(ids) != len(set(ids)):
        raise ValueError("an indicator id is defined twice")
    by_id = {i.id: i for i in catalogue}
    if catalogue is CATALOGUE and not set(KEY_NUMBERS) <= set(ids):
        raise ValueError("a key number is not in the catalogue")
    for indicator in catalogue:
        if indicator.is_rate:
            if indicator.sources or indicator.unit is not Unit.RATE:
                raise ValueError(f"{indicator.id}: a rate has no sources of its own")
            for part in (indicator.numerator, indicator.denominator):
                if part not in by_id or by_id[part].is_rate or by_id[part].stock:
                    raise ValueError(f"{indicator.id}: {part} is not a flow indicator")
        elif indicator.journey is not None:
            if indicator.sources or not set(indicator.disaggregations) <= set(PLACE_AND_TIME):
                raise ValueError(f"{indicator.id}: a journey outcome has no sources of its own")
        elif not indicator.sources:
            raise ValueError(f"{indicator.id}: no sources")
        for source in indicator.sources:
            table = FACT_TABLES.get(source.table)
            if table is None:
                raise ValueError(f"{indicator.id}: unknown table {source.table}")
            wants_person = set(indicator.disaggregations) & set(PERSON_DIMENSIONS)
            if wants_person and not table.person_columns:
                raise ValueError(f"{indicator.id}: {source.table} has no person columns")


check_catalogue()
