"""The data-quality rules: every check the consortium runs on a partner's records before
its figures are reported, defined once.

Each :class:`Rule` says what it checks, in Italian and English, how grave a finding is
(:class:`Severity`) and how it is computed from the facts (:mod:`.rules`, pure functions
over the records of :mod:`.facts`). A finding is a :class:`Flag`: the partner, the records
by their own ids and the dates that make it. :func:`run` applies every rule.

Not built yet: reading the facts from the projection's tables, reporting periods, flags
marked explained, submission and approval (see ``docs/reporting.md``).
"""

from __future__ import annotations

import datetime as dt

from franoi_projection.domain.indicators.model import Text
from franoi_projection.domain.quality import rules as r
from franoi_projection.domain.quality.facts import (
    Contact,
    Entry,
    Facts,
    Hire,
    Internship,
    MonthlyFigure,
    Partner,
    Person,
    Placement,
    Request,
    Stay,
    Visit,
)
from franoi_projection.domain.quality.model import SEVERITY_LABELS, Flag, Rule, Severity

__all__ = [
    "BY_ID",
    "RULES",
    "SEVERITY_LABELS",
    "Contact",
    "Entry",
    "Facts",
    "Flag",
    "Hire",
    "Internship",
    "MonthlyFigure",
    "Partner",
    "Person",
    "Placement",
    "Request",
    "Rule",
    "Severity",
    "Stay",
    "Visit",
    "check_rules",
    "run",
]

RULES: tuple[Rule, ...] = (
    Rule(
        "end_before_start",
        Text("Fine prima dell'inizio", "End before start"),
        Text(
            "Un inserimento, un'ospitalità, un tirocinio, un'assunzione o una richiesta la cui"
            " fine (prevista o avvenuta) o chiusura è datata prima del suo inizio.",
            "A placement, stay, internship, hire or request whose end (planned or actual) or"
            " closing is dated before its start.",
        ),
        Severity.ERROR,
        r.end_before_start,
    ),
    Rule(
        "future_date",
        Text("Data nel futuro", "Date in the future"),
        Text(
            "Un fatto avvenuto (un inizio, una fine, una registrazione, una visita, una"
            " presentazione) datato dopo il giorno del controllo. Le date previste non"
            " contano.",
            "Something that happened (a start, an end, a registration, a visit, a"
            " submission) dated after the day of the check. Planned dates do not count.",
        ),
        Severity.ERROR,
        r.future_date,
    ),
    Rule(
        "before_registration",
        Text("Attività prima della registrazione", "Activity before registration"),
        Text(
            "Un record di una persona che inizia prima del giorno in cui lo stesso partner"
            " l'ha registrata.",
            "A record of a person that starts before the day the same partner registered them.",
        ),
        Severity.WARNING,
        r.before_registration,
    ),
    Rule(
        "before_partner_joined",
        Text("Attività prima dell'adesione alla rete", "Activity before joining the network"),
        Text(
            "Un record che inizia prima del giorno da cui il partner è attivo nella rete,"
            " secondo l'elenco dei partner.",
            "A record that starts before the day the partner has been active in the"
            " network, as the directory says.",
        ),
        Severity.WARNING,
        r.before_partner_joined,
    ),
    Rule(
        "axis_not_listed",
        Text("Attività su un asse non dichiarato", "Activity on an axis not listed"),
        Text(
            "Un record su un asse (abitare, lavoro, famiglie, comunità, presa in carico) che"
            " l'elenco dei partner non indica per il partner.",
            "A record on an axis (housing, work, families, community, cases) the directory"
            " does not list for the partner.",
        ),
        Severity.WARNING,
        r.axis_not_listed,
    ),
    Rule(
        "past_planned_end",
        Text("Oltre la fine prevista senza uscita", "Past its planned end with no exit"),
        Text(
            "Un inserimento abitativo o un'ospitalità in famiglia la cui fine prevista è"
            " passata senza che l'uscita sia stata registrata.",
            "A housing placement or a family stay whose planned end has passed with no exit"
            " recorded.",
        ),
        Severity.WARNING,
        r.past_planned_end,
    ),
    Rule(
        "stay_without_visit",
        Text("Ospitalità senza visita di monitoraggio", "Stay without a monitoring visit"),
        Text(
            f"Un'ospitalità in corso rimasta più di {r.VISIT_INTERVAL_DAYS} giorni senza"
            " visita di monitoraggio: dall'inizio alla prima visita, tra due visite, o"
            " dall'ultima alla fine (o a oggi).",
            f"A stay under way that went more than {r.VISIT_INTERVAL_DAYS} days without a"
            " monitoring visit: from its start to the first visit, between two visits, or"
            " from the last one to its end (or today).",
        ),
        Severity.WARNING,
        r.stay_without_visit,
    ),
    Rule(
        "internship_without_outcome",
        Text("Tirocinio concluso senza esito", "Internship ended with no outcome"),
        Text(
            f"Un tirocinio concluso da più di {r.OUTCOME_GRACE_DAYS} giorni il cui esito"
            " (assunzione, nessuna assunzione, interruzione) non è stato registrato.",
            f"An internship that ended more than {r.OUTCOME_GRACE_DAYS} days ago whose"
            " outcome (hired, not hired, interrupted) has not been recorded.",
        ),
        Severity.WARNING,
        r.internship_without_outcome,
    ),
    Rule(
        "request_open_too_long",
        Text("Richiesta aperta da troppo tempo", "Request open too long"),
        Text(
            f"Una richiesta abitativa o alle famiglie aperta da più di {r.REQUEST_OPEN_DAYS}"
            " giorni: da soddisfare, chiudere o spiegare.",
            f"A housing or family request open for more than {r.REQUEST_OPEN_DAYS} days: to"
            " satisfy, close or explain.",
        ),
        Severity.WARNING,
        r.request_open_too_long,
    ),
    Rule(
        "duplicate_open_requests",
        Text("Richieste aperte doppie", "Duplicate open requests"),
        Text(
            "La stessa persona con due o più richieste aperte dello stesso tipo presso lo"
            " stesso partner.",
            "The same person with two or more open requests of one kind at the same partner.",
        ),
        Severity.WARNING,
        r.duplicate_open_requests,
    ),
    Rule(
        "hire_without_contact",
        Text("Assunzione senza contatto precedente", "Hire with no prior contact"),
        Text(
            "Un'assunzione di una persona che non ha alcun contatto con la rete, su nessun"
            " asse e presso nessun partner, entro il giorno di inizio.",
            "A hire of a person with no contact with the network, on any axis and at any"
            " partner, by the day it starts.",
        ),
        Severity.WARNING,
        r.hire_without_contact,
    ),
    Rule(
        "figure_outlier",
        Text("Dato mensile anomalo", "Unusual monthly figure"),
        Text(
            "Il valore mensile di un indicatore per un partner lontano dalla sua storia (i"
            f" {r.OUTLIER_HISTORY_MONTHS} mesi precedenti, almeno {r.OUTLIER_MIN_HISTORY}):"
            f" z-score robusto (mediana e deviazione assoluta mediana) oltre {r.OUTLIER_Z}.",
            "A partner's monthly figure for an indicator far from its own history (the"
            f" {r.OUTLIER_HISTORY_MONTHS} months before, at least {r.OUTLIER_MIN_HISTORY}):"
            f" a robust z-score (median and median absolute deviation) beyond {r.OUTLIER_Z}.",
        ),
        Severity.WARNING,
        r.figure_outlier,
    ),
    Rule(
        "late_entry",
        Text("Registrazione tardiva", "Late entry"),
        Text(
            f"Un evento registrato più di {r.LATE_DAYS} giorni lavorativi dopo il giorno in"
            f" cui è avvenuto (il termine è {r.DEADLINE_DAYS} giorni lavorativi; sabato,"
            " domenica e festività nazionali esclusi).",
            f"An event entered more than {r.LATE_DAYS} working days after the day it"
            f" happened (the deadline is {r.DEADLINE_DAYS} working days; Saturdays, Sundays"
            " and national holidays excluded).",
        ),
        Severity.WARNING,
        r.late_entry,
    ),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def check_rules(rules: tuple[Rule, ...] = RULES) -> None:
    """Every rule's id is unique and its texts are written in both languages."""
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate rule ids in {ids}")
    for rule in rules:
        for text in (rule.title, rule.explanation):
            if not text.it.strip() or not text.en.strip():
                raise ValueError(f"rule {rule.id} lacks a text")


def run(facts: Facts, today: dt.date, rules: tuple[Rule, ...] = RULES) -> list[Flag]:
    """Every rule's flags, rule by rule in the catalogue's order."""
    return [flag for rule in rules for flag in rule.check(facts, today)]
