"""Where a referral event goes. Pure domain code.

A referral event names two partners: the referring one and the receiving one. The router
forwards it to the inbox of the partner that did **not** send it, and only when the sender
is the partner allowed to say it (a proposal or a withdrawal comes from the referring
partner, an answer or a completion from the receiving one) and both partners belong to
the network. Anything else is refused with the reason, never forwarded: no partner ever
receives a referral addressed to another.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from franoi_contracts.base import event_class
from franoi_contracts.referrals import FROM_RECEIVING, FROM_REFERRING, ReferralEvent
from pydantic import ValidationError


class Unroutable(Exception):
    """The event cannot be forwarded (the text says why, never with the data's values)."""


def inbox_topic(partner_id: str) -> str:
    """A partner's inbox: ``franoi.<partner>.inbox.v1`` (only the router writes it)."""
    return f"franoi.{partner_id}.inbox.v1"


def recipient(
    sender: str, event_type: str, data: Mapping[str, Any], partners: Collection[str]
) -> str:
    """The partner whose inbox gets the event ``sender`` published."""
    cls = event_class(event_type)
    if cls is None or not issubclass(cls, ReferralEvent):
        raise Unroutable(f"{event_type} is not a referral event")
    try:
        event = cls.model_validate(data)
    except ValidationError as exc:
        where = sorted({".".join(str(p) for p in e["loc"]) or "data" for e in exc.errors()})
        raise Unroutable(f"{event_type} data invalid at {', '.join(where)}") from None
    if isinstance(event, FROM_REFERRING):
        allowed, to = event.referring_partner_id, event.receiving_partner_id
    elif isinstance(event, FROM_RECEIVING):
        allowed, to = event.receiving_partner_id, event.referring_partner_id
    else:  # pragma: no cover - every referral event is one or the other
        raise Unroutable(f"{event_type} has no sender side")
    if sender != allowed:
        raise Unroutable(f"partner {sender} cannot publish {event_type} for this referral")
    if to not in partners:
        raise Unroutable(f"partner {to} is not in the network")
    return to
