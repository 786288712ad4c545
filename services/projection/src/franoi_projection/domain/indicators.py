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


CATALOGUE: tuple[Indicator, ...] = tuple(
    [*_housing(), _leases(), *_employment(), *_hosting(), *_events(), *_cases()]
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
