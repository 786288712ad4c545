"""The cases axis: persons taken in charge and their individual plans."""

from __future__ import annotations

from .kinds import flow, open_at_end
from .model import PLACE_AND_TIME, Indicator, Source, Split, Text, Unit

AXIS = "cases"
PERSONS, PLANS = "cases_persons", "cases_plans"

_PLANS = "plans (one person each)"


def _plans(
    id: str, label: Text, description: Text, source: Source, split: Split | None = None
) -> Indicator:
    """A figure of individual plans (one person each), by month and place."""
    return flow(
        id, AXIS, label, description, Unit.PERSONS, _PLANS, source, by=PLACE_AND_TIME, split=split
    )


INDICATORS: tuple[Indicator, ...] = (
    flow(
        "cases_persons_registered",
        AXIS,
        Text("Persone prese in carico", "Persons taken in charge"),
        Text(
            "Persone registrate da un partner, nel mese di registrazione (una persona"
            " seguita da due partner conta per ciascuno).",
            "Persons registered by a partner, in the month registered (a person followed"
            " by two partners counts for each).",
        ),
        Unit.PERSONS,
        "persons",
        Source(PERSONS, "registered_on"),
    ),
    _plans(
        "cases_plans_opened",
        Text("Progetti individuali avviati", "Individual plans opened"),
        Text(
            "Progetti individuali aperti, nel mese di apertura.",
            "Individual plans opened, in the month opened.",
        ),
        Source(PLANS, "opened_on"),
    ),
    _plans(
        "cases_plans_completed",
        Text("Progetti individuali conclusi", "Individual plans completed"),
        Text(
            "Progetti chiusi come completati (in tutto o in parte), nel mese di chiusura.",
            "Plans closed as completed (fully or partly), in the month closed.",
        ),
        Source(
            PLANS, "closed_on", when="outcome IN ('completed_autonomy_reached', 'completed_partly')"
        ),
    ),
    _plans(
        "cases_plans_autonomy_reached",
        Text("Progetti conclusi con autonomia raggiunta", "Plans ended with autonomy reached"),
        Text(
            "Progetti chiusi con gli obiettivi raggiunti e la persona autonoma, nel mese di"
            " chiusura.",
            "Plans closed with their goals met and the person autonomous, in the month closed.",
        ),
        Source(PLANS, "closed_on", when="outcome = 'completed_autonomy_reached'"),
    ),
    _plans(
        "cases_plans_closed",
        Text("Progetti individuali chiusi", "Individual plans closed"),
        Text(
            "Progetti chiusi, con qualsiasi esito, nel mese di chiusura.",
            "Plans closed, whatever the outcome, in the month closed.",
        ),
        Source(PLANS, "closed_on"),
        split=Split("outcome", "outcome"),
    ),
    open_at_end(
        "cases_plans_open",
        AXIS,
        (
            Text("Progetti individuali aperti", "Individual plans open"),
            Text(
                "Progetti aperti alla fine dell'ultimo mese del periodo (avviati e non chiusi).",
                "Plans open at the end of the period's last month (opened and not closed).",
            ),
        ),
        Unit.PERSONS,
        _PLANS,
        PLANS,
        "opened_on",
        "closed_on",
    ),
)
