"""The family-hosting axis: host families, requests for the family, matches, stays, visits."""

from __future__ import annotations

from .kinds import distinct, flow, open_at_end, rate, score, stock
from .model import PLACE_AND_TIME, Indicator, Source, Split, Text, Unit

AXIS = "hosting"
FAMILIES, PAUSES, REQUESTS, MATCHES, STAYS, VISITS = (
    "hosting_families",
    "hosting_family_pauses",
    "hosting_requests",
    "hosting_matches",
    "hosting_stays",
    "hosting_visits",
)

_FAMILY_WITHDRAWN = (
    "(SELECT f.withdrawn_on FROM hosting_families f"
    " WHERE f.partner_id = t.partner_id AND f.family_id = t.family_id)"
)
"""From a pause: its family's withdrawal, which ends the pause for the count."""


def _counted(id: str, label: Text, description: Text, counts: str, source: Source) -> Indicator:
    """A count by month and place only (families, matches)."""
    return flow(id, AXIS, label, description, Unit.COUNT, counts, source, by=PLACE_AND_TIME)


def _wellbeing(id: str, label: Text, whose: Text, column: str) -> Indicator:
    mean = Source(VISITS, "visited_on", amount=f"avg({column})", group=("stay_id",))
    it = (
        f"Benessere {whose.it} (da 1 a 5) nelle visite di monitoraggio del mese: la media di"
        " ogni accoglienza visitata, poi la media di queste (ogni accoglienza pesa una volta)."
        " Mostrato da 5 accoglienze visitate in su."
    )
    en = (
        f"Wellbeing of the {whose.en} (1 to 5) at the month's monitoring visits: each visited"
        " stay's mean, then the mean of those (each stay weighs once). Shown from 5 stays"
        " visited up."
    )
    counts = "stays visited (each its mean score)"
    return score(id, AXIS, label, Text(it, en), counts, mean, per="hosting_stays_visited")


INDICATORS: tuple[Indicator, ...] = (
    flow(
        "hosting_requests_submitted",
        AXIS,
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
        Source(REQUESTS, "submitted_on"),
        split=Split("kind", "kind"),
    ),
    flow(
        "hosting_requests_satisfied",
        AXIS,
        Text("Richieste per la famiglia soddisfatte", "Family requests satisfied"),
        Text(
            "Richieste per la famiglia chiuse come soddisfatte, nel mese di chiusura.",
            "Family requests closed as satisfied, in the month closed.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status = 'satisfied'"),
    ),
    flow(
        "hosting_requests_decided",
        AXIS,
        Text("Richieste per la famiglia decise", "Family requests decided"),
        Text(
            "Richieste per la famiglia chiuse come soddisfatte o non soddisfatte, nel mese"
            " di chiusura.",
            "Family requests closed as satisfied or unsatisfied, in the month closed.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status IN ('satisfied', 'unsatisfied')"),
    ),
    rate(
        "hosting_satisfaction_rate",
        AXIS,
        Text(
            "Quota di richieste per la famiglia soddisfatte",
            "Share of family requests satisfied",
        ),
        Text(
            "Richieste per la famiglia soddisfatte sul totale di quelle decise nel periodo.",
            "Family requests satisfied over those decided in the period.",
        ),
        "requests",
        "hosting_requests_satisfied",
        "hosting_requests_decided",
    ),
    flow(
        "hosting_stays_started",
        AXIS,
        Text("Accoglienze in famiglia avviate", "Family hostings started"),
        Text(
            "Persone accolte in una famiglia, nel mese di inizio dell'accoglienza.",
            "Persons hosted by a family, in the month the stay started.",
        ),
        Unit.PERSONS,
        "stays (one guest each)",
        Source(STAYS, "started_on"),
    ),
    flow(
        "hosting_stays_ended_with_autonomy",
        AXIS,
        Text("Accoglienze concluse con autonomia", "Hostings ended with autonomy"),
        Text(
            "Accoglienze in famiglia concluse con l'autonomia dell'ospite, nel mese di fine.",
            "Family stays completed with the guest's autonomy, in the month they ended.",
        ),
        Unit.PERSONS,
        "stays (one guest each)",
        Source(STAYS, "ended_on", when="outcome = 'completed_with_autonomy'"),
    ),
    flow(
        "hosting_families_approved",
        AXIS,
        Text("Famiglie accoglienti approvate", "Host families approved"),
        Text(
            "Famiglie approvate per l'accoglienza, nel mese di approvazione.",
            "Families approved to host, in the month approved.",
        ),
        Unit.HOUSEHOLDS,
        "families",
        Source(FAMILIES, "approved_on"),
        by=PLACE_AND_TIME,
    ),
    flow(
        "hosting_families_applied",
        AXIS,
        Text("Famiglie candidate", "Families applied"),
        Text(
            "Famiglie che si sono candidate all'accoglienza, nel mese della candidatura.",
            "Families that applied to host, in the month they applied.",
        ),
        Unit.HOUSEHOLDS,
        "families",
        Source(FAMILIES, "applied_on"),
        by=PLACE_AND_TIME,
    ),
    stock(
        "hosting_families_active",
        AXIS,
        Text("Famiglie accoglienti disponibili", "Host families available"),
        Text(
            "Famiglie approvate, né ritirate né in pausa, alla fine dell'ultimo mese del periodo.",
            "Families approved, neither withdrawn nor paused, at the end of the period's last"
            " month.",
        ),
        Unit.HOUSEHOLDS,
        "families",
        Source(FAMILIES, "approved_on"),
        Source(FAMILIES, "withdrawn_on", amount="-1", when="approved_on IS NOT NULL"),
        Source(PAUSES, "paused_on", amount="-1"),
        Source(PAUSES, f"coalesce(resumed_on, {_FAMILY_WITHDRAWN})"),
        by=PLACE_AND_TIME,
    ),
    flow(
        "hosting_requests_unsatisfied",
        AXIS,
        Text("Richieste per la famiglia non soddisfatte", "Family requests unsatisfied"),
        Text(
            "Richieste per la famiglia chiuse come non soddisfatte, nel mese di chiusura.",
            "Family requests closed as unsatisfied, in the month closed.",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "closed_on", when="status = 'unsatisfied'"),
    ),
    flow(
        "hosting_requests_submitted_satisfied",
        AXIS,
        Text(
            "Richieste per la famiglia presentate e poi soddisfatte",
            "Family requests submitted and satisfied since",
        ),
        Text(
            "Delle richieste presentate nel mese, quelle soddisfatte a oggi (contate nel mese"
            " di presentazione, anche se chiuse più tardi).",
            "Of the requests submitted in the month, those satisfied by now (counted in the"
            " month submitted, even when closed later).",
        ),
        Unit.COUNT,
        "requests",
        Source(REQUESTS, "submitted_on", when="status = 'satisfied'"),
    ),
    rate(
        "hosting_submitted_satisfaction_rate",
        AXIS,
        Text(
            "Quota delle richieste per la famiglia presentate poi soddisfatte",
            "Share of the family requests submitted that were satisfied since",
        ),
        Text(
            "Delle richieste presentate nel periodo, la quota soddisfatta a oggi: segue le"
            " richieste di un periodo fino alla loro chiusura (la quota delle richieste decise"
            " è hosting_satisfaction_rate).",
            "Of the requests submitted in the period, the share satisfied by now: it follows"
            " a period's requests until they close (the share of the requests decided is"
            " hosting_satisfaction_rate).",
        ),
        "requests",
        "hosting_requests_submitted_satisfied",
        "hosting_requests_submitted",
    ),
    _counted(
        "hosting_matches_proposed",
        Text("Abbinamenti proposti", "Matches proposed"),
        Text(
            "Abbinamenti tra una famiglia e un ospite proposti, nel mese della proposta.",
            "Matches of a family and a guest proposed, in the month proposed.",
        ),
        "matches",
        Source(MATCHES, "proposed_on"),
    ),
    _counted(
        "hosting_matches_accepted",
        Text("Abbinamenti accettati", "Matches accepted"),
        Text(
            "Abbinamenti accettati, nel mese dell'accettazione (anche se annullati dopo).",
            "Matches accepted, in the month accepted (even when cancelled later).",
        ),
        "matches",
        Source(MATCHES, "accepted_on"),
    ),
    open_at_end(
        "hosting_guests_hosted",
        AXIS,
        (
            Text("Persone accolte in famiglia", "Guests hosted by families"),
            Text(
                "Persone ospiti di una famiglia alla fine dell'ultimo mese del periodo"
                " (accoglienze iniziate e non concluse).",
                "Persons staying with a family at the end of the period's last month (stays"
                " started and not ended).",
            ),
        ),
        Unit.PERSONS,
        "stays (one guest each)",
        STAYS,
        "started_on",
        "ended_on",
    ),
    flow(
        "hosting_stays_ended",
        AXIS,
        Text("Accoglienze in famiglia concluse", "Family stays ended"),
        Text(
            "Accoglienze concluse, nel mese di fine, per esito.",
            "Stays ended, in the month they ended, by outcome.",
        ),
        Unit.PERSONS,
        "stays (one guest each)",
        Source(STAYS, "ended_on"),
        split=Split("outcome", "outcome"),
    ),
    distinct(
        "hosting_stays_visited",
        AXIS,
        Text("Accoglienze visitate", "Stays visited"),
        Text(
            "Accoglienze con almeno una visita di monitoraggio nel mese.",
            "Stays with at least one monitoring visit in the month.",
        ),
        Unit.PERSONS,
        "stays per month (one guest each)",
        Source(VISITS, "visited_on", group=("stay_id",)),
    ),
    _wellbeing(
        "hosting_guest_wellbeing",
        Text("Benessere degli ospiti", "Guests' wellbeing"),
        Text("dell'ospite", "guest"),
        "guest_wellbeing",
    ),
    _wellbeing(
        "hosting_family_wellbeing",
        Text("Benessere delle famiglie", "Families' wellbeing"),
        Text("della famiglia", "family"),
        "family_wellbeing",
    ),
)
