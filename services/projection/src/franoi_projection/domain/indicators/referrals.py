"""Referrals between partners: how many a partner made, accepted, declined and completed,
and how long acceptance took, each also by the axis referred for."""

from __future__ import annotations

from .kinds import flow
from .model import PLACE_AND_TIME, Indicator, Source, Split, Text, Unit

AXIS = "referrals"
MADE, ANSWERED = "referrals_made", "referrals_answered"

BY_AXIS = Split("referral_axis", "axis")
"""Every referral figure is also kept per axis referred for (housing, work, family
hosting, community, whole case)."""

_REFERRALS = "referrals"


def _answers(
    id: str, label: Text, description: Text, source: Source, unit: Unit = Unit.COUNT
) -> Indicator:
    """A figure of the receiving partners' answers (no person attributes on an answer)."""
    return flow(
        id, AXIS, label, description, unit, _REFERRALS, source, by=PLACE_AND_TIME, split=BY_AXIS
    )


INDICATORS: tuple[Indicator, ...] = (
    flow(
        "referrals_made",
        AXIS,
        Text("Invii ad altri partner", "Referrals made"),
        Text(
            "Persone inviate a un altro partner della rete (per un asse o per la presa in"
            " carico), contate dal partner che invia nel mese dell'invio.",
            "Persons referred to another partner of the network (for an axis or the whole"
            " case), counted at the referring partner in the month referred.",
        ),
        Unit.COUNT,
        _REFERRALS,
        Source(MADE, "proposed_on"),
        split=BY_AXIS,
    ),
    _answers(
        "referrals_accepted",
        Text("Invii accettati", "Referrals accepted"),
        Text(
            "Invii accettati dal partner che li riceve, contati da lui nel mese dell'accettazione.",
            "Referrals accepted by the receiving partner, counted there in the month accepted.",
        ),
        Source(ANSWERED, "accepted_on"),
    ),
    _answers(
        "referrals_declined",
        Text("Invii rifiutati", "Referrals declined"),
        Text(
            "Invii rifiutati dal partner che li riceve, contati da lui nel mese del rifiuto.",
            "Referrals declined by the receiving partner, counted there in the month declined.",
        ),
        Source(ANSWERED, "declined_on"),
    ),
    _answers(
        "referrals_completed",
        Text("Invii completati", "Referrals completed"),
        Text(
            "Invii accettati e completati: la persona si è presentata ed è registrata dal"
            " partner che la riceve (per la presa in carico: trasferita), nel mese del"
            " completamento.",
            "Referrals accepted and completed: the person presented themselves and is"
            " registered at the receiving partner (for the whole case: transferred), in the"
            " month completed.",
        ),
        Source(ANSWERED, "completed_on"),
    ),
    _answers(
        "referrals_days_to_acceptance",
        Text("Giorni fino all'accettazione", "Days to acceptance"),
        Text(
            "Giorni dall'invio all'accettazione, sommati sugli invii accettati nel mese"
            " (diviso per gli invii accettati: il tempo medio di accettazione).",
            "Days from referral to acceptance, added up over the referrals accepted in the"
            " month (divided by the referrals accepted: the mean time to acceptance).",
        ),
        Source(ANSWERED, "accepted_on", amount="accepted_on - proposed_on"),
        Unit.DAYS,
    ),
)
