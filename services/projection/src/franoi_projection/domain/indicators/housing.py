"""The housing axis: requests for transitional housing, placements, units and exits."""

from __future__ import annotations

from .kinds import flow, open_at_end, rate, stock
from .model import ALL_DIMENSIONS, PLACE_AND_TIME, Indicator, Source, Split, Text, Unit

AXIS = "housing"
REQUESTS, PLACEMENTS, UNITS = "housing_requests", "housing_placements", "housing_units"

EXIT_OUTCOMES: dict[str, Text] = {
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
_EXITS = "placements ended (one household each)"
_NOT_REHOUSED = (
    "NOT EXISTS (SELECT 1 FROM housing_placements o WHERE o.partner_id = t.partner_id"
    " AND o.person_ref = t.person_ref"
    " AND o.started_on < date_trunc('month', t.ended_on) + interval '1 month'"
    " AND (o.ended_on IS NULL OR o.ended_on >= date_trunc('month', t.ended_on)"
    " + interval '1 month'))"
)
"""No placement of the household under way at the end of the month this one ended in."""


def _exit(outcome: str, text: Text) -> Indicator:
    return flow(
        f"housing_exits_{outcome}",
        AXIS,
        Text(f"Uscite {text.it}", f"Exits {text.en}"),
        Text(
            f"Nuclei usciti da un alloggio {text.it}, nel mese di uscita.",
            f"Households that left a unit {text.en}, in the month they left.",
        ),
        Unit.HOUSEHOLDS,
        _EXITS,
        Source(PLACEMENTS, "ended_on", when=f"exit_outcome = '{outcome}'"),
    )


INDICATORS: tuple[Indicator, ...] = (
    flow(
        "housing_requests_submitted",
        AXIS,
        Text("Richieste abitative presentate", "Housing requests submitted"),
        Text(
            "Richieste di soluzione abitativa transitoria presentate da un nucleo, nel mese"
            " di presentazione." + _HOUSEHOLD_NOTE.it,
            "Requests for transitional housing submitted by a household, in the month they"
            " were submitted." + _HOUSEHOLD_NOTE.en,
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "submitted_on"),
    ),
    flow(
        "housing_requests_satisfied",
        AXIS,
        Text("Richieste abitative soddisfatte", "Housing requests satisfied"),
        Text(
            "Richieste chiuse con un inserimento abitativo, nel mese di chiusura.",
            "Requests closed by a placement, in the month they were closed.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status = 'satisfied'"),
    ),
    flow(
        "housing_requests_unsatisfied",
        AXIS,
        Text("Richieste abitative non soddisfatte", "Housing requests unsatisfied"),
        Text(
            "Richieste chiuse senza inserimento (nessun alloggio, non idonei, contatto"
            " perso...), nel mese di chiusura.",
            "Requests closed without a placement (no unit, not eligible, contact lost...),"
            " in the month they were closed.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status = 'unsatisfied'"),
    ),
    flow(
        "housing_requests_withdrawn",
        AXIS,
        Text("Richieste abitative ritirate", "Housing requests withdrawn"),
        Text(
            "Richieste ritirate dal nucleo, nel mese di chiusura.",
            "Requests the household withdrew, in the month they were closed.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status = 'withdrawn'"),
    ),
    flow(
        "housing_requests_decided",
        AXIS,
        Text("Richieste abitative decise", "Housing requests decided"),
        Text(
            "Richieste chiuse come soddisfatte o non soddisfatte (non le ritirate), nel"
            " mese di chiusura: il denominatore del tasso di soddisfazione.",
            "Requests closed as satisfied or unsatisfied (not withdrawn), in the month"
            " they were closed: the satisfaction rate's denominator.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status IN ('satisfied', 'unsatisfied')"),
    ),
    rate(
        "housing_satisfaction_rate",
        AXIS,
        Text("Quota di richieste abitative soddisfatte", "Share of housing requests satisfied"),
        Text(
            "Richieste soddisfatte sul totale delle richieste decise (soddisfatte o non"
            " soddisfatte) chiuse nel periodo.",
            "Requests satisfied over the requests decided (satisfied or unsatisfied)"
            " closed in the period.",
        ),
        "requests",
        "housing_requests_satisfied",
        "housing_requests_decided",
    ),
    flow(
        "housing_placements_started",
        AXIS,
        Text("Inserimenti abitativi avviati", "Housing placements started"),
        Text(
            "Nuclei entrati in un alloggio, nel mese di ingresso (un nucleo che cambia"
            " alloggio conta due volte)." + _HOUSEHOLD_NOTE.it,
            "Households that moved into a unit, in the month they moved in (a household"
            " moving twice counts twice)." + _HOUSEHOLD_NOTE.en,
        ),
        Unit.HOUSEHOLDS,
        "placements (one household each)",
        Source(PLACEMENTS, "started_on"),
    ),
    flow(
        "housing_persons_housed",
        AXIS,
        Text("Persone ospitate", "Persons housed"),
        Text(
            "Persone (tutti i componenti del nucleo) entrate in un alloggio nel periodo:"
            " la somma delle dimensioni dei nuclei inseriti." + _HOUSEHOLD_NOTE.it,
            "Persons (every member of the household) who moved into a unit in the period:"
            " the sum of the sizes of the households placed." + _HOUSEHOLD_NOTE.en,
        ),
        Unit.PERSONS,
        "persons",
        Source(PLACEMENTS, "started_on", amount="household_size"),
    ),
    open_at_end(
        "housing_households_housed",
        AXIS,
        (
            Text("Nuclei in alloggio", "Households housed"),
            Text(
                "Nuclei che vivono in un alloggio del progetto alla fine dell'ultimo mese del"
                " periodo (entrati e non ancora usciti)." + _HOUSEHOLD_NOTE.it,
                "Households living in one of the project's units at the end of the period's"
                " last month (moved in and not yet out)." + _HOUSEHOLD_NOTE.en,
            ),
        ),
        Unit.HOUSEHOLDS,
        "households",
        PLACEMENTS,
        "started_on",
        "ended_on",
        by=ALL_DIMENSIONS,
    ),
    flow(
        "housing_households_moved_out",
        AXIS,
        Text("Nuclei usciti dagli alloggi", "Households that moved out"),
        Text(
            "Nuclei (per persona di riferimento) usciti da un alloggio nel mese e senza un"
            " altro alloggio del progetto alla sua fine (un nucleo che cambia alloggio non"
            " conta).",
            "Households (by their reference person) that left a unit in the month and had no"
            " other unit of the project at its end (a household moving to another unit does"
            " not count).",
        ),
        Unit.HOUSEHOLDS,
        "households (by their reference person)",
        Source(PLACEMENTS, "ended_on", when=_NOT_REHOUSED, group=("person_ref",)),
        by=PLACE_AND_TIME,
    ),
    open_at_end(
        "housing_units_available",
        AXIS,
        (
            Text("Alloggi a disposizione", "Units available"),
            Text(
                "Alloggi a disposizione del progetto alla fine dell'ultimo mese del periodo"
                " (registrati e non ritirati), occupati o liberi.",
                "Units at the project's disposal at the end of the period's last month"
                " (registered and not withdrawn), occupied or free.",
            ),
        ),
        Unit.COUNT,
        "housing units",
        UNITS,
        "available_from",
        "withdrawn_on",
    ),
    stock(
        "housing_beds_available",
        AXIS,
        Text("Posti letto liberi", "Beds available"),
        Text(
            "Posti letto degli alloggi a disposizione meno le persone dei nuclei che vi"
            " abitano, alla fine dell'ultimo mese del periodo.",
            "Beds of the units at the project's disposal minus the persons of the"
            " households living in them, at the end of the period's last month.",
        ),
        Unit.BEDS,
        "beds",
        Source(UNITS, "available_from", amount="beds"),
        Source(UNITS, "withdrawn_on", amount="-beds"),
        Source(PLACEMENTS, "started_on", amount="-household_size"),
        Source(PLACEMENTS, "ended_on", amount="household_size"),
        by=PLACE_AND_TIME,
    ),
    flow(
        "housing_exits",
        AXIS,
        Text("Uscite dagli alloggi", "Exits from housing"),
        Text(
            "Nuclei usciti da un alloggio, nel mese di uscita, qualunque l'esito.",
            "Households that left a unit, in the month they left, whatever the outcome.",
        ),
        Unit.HOUSEHOLDS,
        _EXITS,
        Source(PLACEMENTS, "ended_on"),
        split=Split("exit_outcome", "exit_outcome"),
    ),
    flow(
        "housing_exits_to_autonomy",
        AXIS,
        Text("Uscite verso l'autonomia abitativa", "Exits to housing autonomy"),
        Text(
            "Nuclei usciti da un alloggio verso un affitto autonomo o l'edilizia pubblica,"
            " nel mese di uscita.",
            "Households that left a unit for an autonomous rental or public housing, in"
            " the month they left.",
        ),
        Unit.HOUSEHOLDS,
        _EXITS,
        Source(
            PLACEMENTS,
            "ended_on",
            when="exit_outcome IN (" + ", ".join(f"'{o}'" for o in AUTONOMY_OUTCOMES) + ")",
        ),
    ),
    *(_exit(outcome, text) for outcome, text in EXIT_OUTCOMES.items()),
    flow(
        "housing_leases_signed",
        AXIS,
        Text("Contratti di affitto firmati", "Leases signed"),
        Text(
            "Nuclei usciti da un alloggio del progetto con un proprio contratto d'affitto"
            " (uscite in affitto autonomo), nel mese di uscita.",
            "Households that left a project unit with a lease of their own (exits to an"
            " autonomous rental), in the month they left.",
        ),
        Unit.HOUSEHOLDS,
        "leases (one household each)",
        Source(PLACEMENTS, "ended_on", when="exit_outcome = 'autonomous_rent'"),
    ),
)
