"""The community axis: events held, labs, hubs and walk-in accesses.

An *event held* is every community event held, whatever its kind: a public event, an
information session, a festival, or a lab meeting (a session of a lab series, or a lab
held once). A *lab* is counted apart as well, once: a lab series when it starts (its
distinct participants when it closes), a lab held once, without a series, when it is
held (its participants are its distinct participants: docs/domains/events.md).
"""

from __future__ import annotations

from .kinds import distinct, flow, open_at_end
from .model import PLACE_AND_TIME, Indicator, Source, Split, Text, Unit

AXIS = "events"
EVENTS, LABS, HUBS, ACCESSES, KNOWN = (
    "events_community_events",
    "events_lab_series",
    "events_hubs",
    "events_access_counts",
    "events_access_persons",
)

LAB_KINDS = "('socialisation_lab', 'community_lab')"
_HELD = "status = 'held'"
_LAB_HELD = f"{_HELD} AND kind IN {LAB_KINDS}"
_ONE_OFF = f"{_HELD} AND lab_series_id IS NULL"


def _count(
    id: str,
    label: Text,
    description: Text,
    unit: Unit,
    counts: str,
    *sources: Source,
    split: Split | None = None,
) -> Indicator:
    """A community figure: by month and place (no row of the axis describes a person)."""
    return flow(
        id, AXIS, label, description, unit, counts, *sources, by=PLACE_AND_TIME, split=split
    )


def _held(
    id: str,
    label: Text,
    description: Text,
    unit: Unit,
    counts: str,
    *,
    amount: str = "1",
    when: str = _HELD,
    split: Split | None = None,
) -> Indicator:
    """A figure of the events held in the month (``when`` narrows them)."""
    source = Source(EVENTS, "held_on", amount=amount, when=when)
    return _count(id, label, description, unit, counts, source, split=split)


def _labs(kind: str, label: Text, what: Text) -> Indicator:
    """The labs of a kind: series when they start, labs held once when they are held."""
    return _count(
        f"events_{kind}s",
        label,
        Text(
            f"{what.it} avviati (una serie di incontri nel mese di avvio) e laboratori tenuti"
            " una volta sola, senza serie (nel mese in cui si sono tenuti).",
            f"{what.en} started (a series of meetings in the month it started) and labs held"
            " once, without a series (in the month held).",
        ),
        Unit.COUNT,
        "labs (a series or a lab held once)",
        Source(LABS, "started_on", when=f"kind = '{kind}'"),
        Source(EVENTS, "held_on", when=f"{_ONE_OFF} AND kind = '{kind}'"),
    )


def _lab_people(id: str, kind: str, label: Text, who: Text, column: str) -> Indicator:
    """The distinct people of each lab of a kind: a series' when it closes, a lab held
    once's when it is held."""
    it = (
        f"{who.it} distinti di ciascun laboratorio, nel mese in cui la serie si è chiusa; per un"
        " laboratorio tenuto una volta sola, i suoi, nel mese in cui si è tenuto."
    )
    en = (
        f"Distinct {who.en} of each lab, in the month its series closed; for a lab held once,"
        " its own, in the month it was held."
    )
    series = Source(
        LABS, "closed_on", amount=f"coalesce(distinct_{column}, 0)", when=f"kind = '{kind}'"
    )
    once = Source(
        EVENTS, "held_on", amount=f"coalesce({column}, 0)", when=f"{_ONE_OFF} AND kind = '{kind}'"
    )
    return _count(id, label, Text(it, en), Unit.PERSONS, f"{column} per lab", series, once)


INDICATORS: tuple[Indicator, ...] = (
    _count(
        "events_accesses",
        Text("Accessi per consulenze", "Accesses for advice"),
        Text(
            "Accessi ai punti di incontro (caffè, sportelli) per consulenze, anonimi e di"
            " persone seguite, nel giorno dell'accesso.",
            "Walk-in accesses to the hubs (cafés, help desks) for advice, anonymous and of"
            " persons followed, on the day of the access.",
        ),
        Unit.COUNT,
        "accesses",
        Source(ACCESSES, "accessed_on", amount="accesses"),
        split=Split("topic", "topic"),
    ),
    _held(
        "events_held",
        Text("Eventi", "Events"),
        Text(
            "Eventi svolti, di ogni tipo, nel mese di svolgimento: eventi pubblici, incontri"
            " informativi, feste e incontri dei laboratori (ogni incontro di una serie, e un"
            " laboratorio tenuto una volta sola).",
            "Events held, of every kind, in the month held: public events, information"
            " sessions, festivals and lab meetings (each meeting of a series, and a lab held"
            " once).",
        ),
        Unit.COUNT,
        "events",
        split=Split("kind", "kind"),
    ),
    _held(
        "events_participants",
        Text("Cittadini partecipanti agli eventi", "Event participants"),
        Text(
            "Partecipanti agli eventi svolti nel periodo, di ogni tipo (presenze: chi viene a"
            " due eventi conta due volte).",
            "Participants in the events held in the period, of every kind (attendances:"
            " someone at two events counts twice).",
        ),
        Unit.PERSONS,
        "attendances",
        amount="coalesce(participants, 0)",
    ),
    _labs(
        "socialisation_lab",
        Text("Laboratori di socialità", "Socialisation labs"),
        Text("Laboratori di socialità", "Socialisation labs"),
    ),
    _lab_people(
        "events_socialisation_lab_participants",
        "socialisation_lab",
        Text("Partecipanti ai laboratori di socialità", "Socialisation-lab participants"),
        Text("Partecipanti", "participants"),
        "participants",
    ),
    _labs(
        "community_lab",
        Text("Laboratori di comunità", "Community labs"),
        Text("Laboratori di comunità", "Community labs"),
    ),
    _lab_people(
        "events_community_lab_beneficiaries",
        "community_lab",
        Text("Fruitori dei laboratori di comunità", "Community-lab beneficiaries"),
        Text("Fruitori dei servizi", "beneficiaries of the services"),
        "beneficiaries",
    ),
    _held(
        "events_beneficiaries",
        Text("Beneficiari presenti agli eventi", "Beneficiaries at the events"),
        Text(
            "Dei partecipanti agli eventi svolti, i beneficiari del progetto (presenze).",
            "Of the participants in the events held, the project's beneficiaries (attendances).",
        ),
        Unit.PERSONS,
        "attendances",
        amount="coalesce(beneficiaries, 0)",
    ),
    _held(
        "events_volunteers",
        Text("Volontari presenti agli eventi", "Volunteers at the events"),
        Text(
            "Dei partecipanti agli eventi svolti, i volontari (presenze).",
            "Of the participants in the events held, the volunteers (attendances).",
        ),
        Unit.PERSONS,
        "attendances",
        amount="coalesce(volunteers, 0)",
    ),
    _count(
        "events_cancelled",
        Text("Eventi annullati", "Events cancelled"),
        Text(
            "Eventi annullati, nel mese dell'annullamento.",
            "Events cancelled, in the month cancelled.",
        ),
        Unit.COUNT,
        "events",
        Source(EVENTS, "cancelled_on", when="status = 'cancelled'"),
    ),
    _held(
        "events_lab_sessions_held",
        Text("Incontri di laboratorio svolti", "Lab meetings held"),
        Text(
            "Incontri dei laboratori svolti (di una serie, o un laboratorio tenuto una volta"
            " sola), nel mese di svolgimento.",
            "Lab meetings held (of a series, or a lab held once), in the month held.",
        ),
        Unit.COUNT,
        "lab meetings",
        when=_LAB_HELD,
    ),
    _held(
        "events_lab_session_participants",
        Text("Partecipanti agli incontri di laboratorio", "Lab-meeting participants"),
        Text(
            "Partecipanti agli incontri di laboratorio svolti (presenze: chi viene a dieci"
            " incontri conta dieci volte).",
            "Participants in the lab meetings held (attendances: someone at ten meetings"
            " counts ten times).",
        ),
        Unit.PERSONS,
        "attendances",
        amount="coalesce(participants, 0)",
        when=_LAB_HELD,
    ),
    distinct(
        "events_labs_active",
        AXIS,
        Text("Laboratori attivi", "Labs active"),
        Text(
            "Laboratori con almeno un incontro svolto nel mese: una serie conta una volta, un"
            " laboratorio tenuto una volta sola è un laboratorio a sé.",
            "Labs with at least one meeting held in the month: a series counts once, a lab"
            " held once is a lab of its own.",
        ),
        Unit.COUNT,
        "labs per month",
        Source(EVENTS, "held_on", when=_LAB_HELD, group=("lab_series_id", "community_event_id")),
    ),
    _count(
        "events_labs_completed",
        Text("Laboratori conclusi", "Labs completed"),
        Text(
            "Serie di laboratorio chiuse, nel mese di chiusura, e laboratori tenuti una volta"
            " sola, nel mese in cui si sono tenuti.",
            "Lab series closed, in the month closed, and labs held once, in the month held.",
        ),
        Unit.COUNT,
        "labs (a series or a lab held once)",
        Source(LABS, "closed_on"),
        Source(EVENTS, "held_on", when=f"{_ONE_OFF} AND kind IN {LAB_KINDS}"),
    ),
    _count(
        "events_labs_completed_participants",
        Text("Partecipanti ai laboratori conclusi", "Participants in the labs completed"),
        Text(
            "Partecipanti distinti dei laboratori conclusi: di una serie, quelli registrati"
            " alla chiusura; di un laboratorio tenuto una volta sola, i suoi partecipanti.",
            "Distinct participants of the labs completed: of a series, those recorded at"
            " its closing; of a lab held once, its participants.",
        ),
        Unit.PERSONS,
        "participants per lab",
        Source(LABS, "closed_on", amount="coalesce(distinct_participants, 0)"),
        Source(
            EVENTS,
            "held_on",
            amount="coalesce(participants, 0)",
            when=f"{_ONE_OFF} AND kind IN {LAB_KINDS}",
        ),
    ),
    open_at_end(
        "events_hubs_open",
        AXIS,
        (
            Text("Punti di incontro aperti", "Hubs open"),
            Text(
                "Punti di incontro (caffè, sportelli) aperti alla fine dell'ultimo mese del"
                " periodo.",
                "Hubs (cafés, help desks) open at the end of the period's last month.",
            ),
        ),
        Unit.COUNT,
        "hubs",
        HUBS,
        "opened_on",
        "closed_on",
    ),
    _count(
        "events_hubs_closed",
        Text("Punti di incontro chiusi", "Hubs closed"),
        Text(
            "Punti di incontro chiusi, nel mese di chiusura.", "Hubs closed, in the month closed."
        ),
        Unit.COUNT,
        "hubs",
        Source(HUBS, "closed_on"),
    ),
    _count(
        "events_accesses_referred",
        Text("Accessi inviati a uno sportello", "Accesses referred to a desk"),
        Text(
            "Degli accessi ai punti di incontro, quelli inviati a uno sportello, nel giorno"
            " dell'accesso.",
            "Of the walk-in accesses to the hubs, those referred to a desk, on the day of"
            " the access.",
        ),
        Unit.COUNT,
        "accesses",
        Source(ACCESSES, "accessed_on", amount="accesses", when="referred"),
        split=Split("topic", "topic"),
    ),
    distinct(
        "events_persons_known",
        AXIS,
        Text("Persone seguite agli accessi", "Persons followed among the accesses"),
        Text(
            "Persone seguite dal partner con almeno un accesso nominativo nel mese.",
            "Persons the partner follows with at least one named access in the month.",
        ),
        Unit.PERSONS,
        "persons per month",
        Source(KNOWN, "accessed_on", group=("person_ref",)),
    ),
)
