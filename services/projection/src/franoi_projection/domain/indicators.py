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
    key_number: bool = False
    """Shown in the key numbers (the table a project publishes)."""

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None


FACT_TABLES: dict[str, FactTable] = {
    t.name: t
    for t in (
        FactTable("housing_units", "unit_id", person_columns=False),
        FactTable("housing_requests", "request_id", person_columns=True),
        FactTable("housing_placements", "placement_id", person_columns=True),
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
            key_number=True,
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
            key_number=True,
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
            key_number=True,
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
            key_number=True,
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
            key_number=True,
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
            key_number=True,
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
            key_number=True,
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


CATALOGUE: tuple[Indicator, ...] = tuple(_housing())
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
