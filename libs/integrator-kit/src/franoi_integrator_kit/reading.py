"""A record of the network's topics, read into the contract's model.

The rules are the contract's (:mod:`franoi_contracts.wire`): CloudEvents 1.0 in Kafka
binary mode, the data the JSON of the model that ``ce_type`` names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import franoi_contracts  # noqa: F401 (imports every domain, so every event type is known)
from franoi_contracts.base import DomainEvent, event_class
from franoi_contracts.wire import (
    CONTENT_TYPE,
    REQUIRED_HEADERS,
    SEQUENCE_HEADER,
    SOURCE_PATTERN,
    SPECVERSION,
    parse_sequence,
)
from pydantic import ValidationError


class NotAnEvent(ValueError):
    """A record that is not an event of the contract this kit knows; the text says why
    (where, never the values: they could be personal data)."""


@dataclass(frozen=True)
class Received:
    """One event as it reached the subscriber."""

    event: DomainEvent
    """The event, as its contract model (``match received.event: case PlacementStarted()``)."""
    event_id: str
    """``ce_id``: unique per source."""
    event_type: str
    source: str
    """``/partners/<partner_id>/<domain>``."""
    partner_id: str
    aggregate_id: str
    """``ce_subject``, the Kafka key: the id of the thing the event is about."""
    sequence: int | None
    """The event's position among its aggregate's events (``ce_sequence``), from 1 and
    without gaps; None on events written before the network numbered them."""
    time: dt.datetime
    topic: str
    partition: int
    offset: int


def read(
    topic: str,
    partition: int,
    offset: int,
    headers: Iterable[tuple[str, bytes]],
    value: bytes | None,
) -> Received:
    """The event a Kafka record carries; :class:`NotAnEvent` with the reason otherwise."""
    try:
        attributes = {name.lower(): (raw or b"").decode("utf-8") for name, raw in headers}
    except UnicodeDecodeError as exc:
        raise NotAnEvent("a header is not UTF-8") from exc
    missing = [name for name in REQUIRED_HEADERS if not attributes.get(name)]
    if missing:
        raise NotAnEvent(f"not an event of the network: no {', '.join(missing)}")
    if attributes["ce_specversion"] != SPECVERSION:
        raise NotAnEvent(f"unsupported ce_specversion {attributes['ce_specversion']!r}")
    if attributes["content-type"].split(";")[0].strip() != CONTENT_TYPE:
        raise NotAnEvent(f"content-type is not {CONTENT_TYPE}")
    source = SOURCE_PATTERN.match(attributes["ce_source"])
    if source is None or source["partner"] != attributes["ce_partnerid"]:
        raise NotAnEvent("ce_source is not /partners/<ce_partnerid>/<domain>")
    if topic != f"franoi.{source['partner']}.{source['domain']}.v1":
        raise NotAnEvent(f"an event of {attributes['ce_source']} on {topic}")
    event_type = attributes["ce_type"]
    cls = event_class(event_type)
    if cls is None:
        raise NotAnEvent(
            f"unknown event type {event_type!r} (a newer contract? upgrade franoi-contracts)"
        )
    if cls.domain() != source["domain"]:
        raise NotAnEvent(f"{event_type} from a {source['domain']} source")
    if value is None:
        raise NotAnEvent("the record has no value")
    try:
        event = cls.model_validate_json(value)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'data'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise NotAnEvent(f"{event_type} data invalid: {where}") from exc
    if event.aggregate_id != attributes["ce_subject"]:
        raise NotAnEvent("ce_subject is not the event's aggregate id")
    try:
        time = dt.datetime.fromisoformat(attributes["ce_time"])
        sequence = (
            parse_sequence(attributes[SEQUENCE_HEADER]) if SEQUENCE_HEADER in attributes else None
        )
    except ValueError as exc:
        raise NotAnEvent(str(exc)) from exc
    return Received(
        event=event,
        event_id=attributes["ce_id"],
        event_type=event_type,
        source=attributes["ce_source"],
        partner_id=attributes["ce_partnerid"],
        aggregate_id=attributes["ce_subject"],
        sequence=sequence,
        time=time,
        topic=topic,
        partition=partition,
        offset=offset,
    )
