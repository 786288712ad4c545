"""Where a referral event goes. Pure domain code.

A referral event names two partners: the referring one and the receiving one. The router
forwards it to the inbox of the partner that did **not** send it, and only when the sender
is the partner allowed to say it (a proposal or a withdrawal comes from the referring
partner, an answer or a completion from the receiving one) and both partners belong to
the network. Anything else is refused with the reason, never forwarded: no partner ever
receives a referral addressed to another.
"""

from __future__ import annotations

from collections.abc import Collection

from franoi_contracts.referrals import ReferralEvent


class Unroutable(Exception):
    """The event cannot be forwarded (the text says why, never with the data's values)."""


def inbox_topic(partner_id: str) -> str:
    """A partner's inbox: ``franoi.<partner>.inbox.v1`` (only the router writes it)."""
    return f"franoi.{partner_id}.inbox.v1"


def recipient(sender: str, event: ReferralEvent, partners: Collection[str]) -> str:
    """The partner whose inbox gets the event ``sender`` published."""
    allowed, to = event.parties()
    if sender != allowed:
        raise Unroutable(f"partner {sender} cannot publish {event.TYPE} for this referral")
    if to not in partners:
        raise Unroutable(f"partner {to} is not in the network")
    return to
