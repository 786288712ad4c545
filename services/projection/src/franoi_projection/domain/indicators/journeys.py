"""The outcomes of the pseudonymous journeys: what happened to each person across partners
and axes (domain/journeys.py states the rules as code; migration 009 computes them)."""

from __future__ import annotations

from .kinds import rate
from .model import PLACE_AND_TIME, Indicator, Text, Unit

AXIS = "journeys"


def _journey(id: str, label: Text, description: Text, counts: str, rule: Text) -> Indicator:
    return Indicator(
        id,
        AXIS,
        label,
        description,
        Unit.PERSONS,
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
        rate(
            f"{back}_rate",
            AXIS,
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
            "persons",
            back,
            cohort,
            by=PLACE_AND_TIME,
        ),
    ]


INDICATORS: tuple[Indicator, ...] = (
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
    rate(
        "journeys_in_work_6_months_rate",
        AXIS,
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
        "persons",
        "journeys_in_work_6_months",
        "journeys_followed_6_months",
        by=PLACE_AND_TIME,
    ),
    *_back_in_reception(6),
    *_back_in_reception(12),
)
