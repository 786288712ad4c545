"""The event envelope: CloudEvents 1.0, Kafka protocol binding, binary content mode.

Attributes travel in ``ce_*`` headers (``ce_specversion``, ``ce_id``,
``ce_source``, ``ce_type``, ``ce_time``, ``ce_subject``, ``ce_dataschema`` and
the extensions ``ce_partnerid`` and ``ce_sequence``), ``content-type:
application/json``, the data is the JSON message value, and the W3C
``traceparent``/``tracestate`` headers carry the trace. The Kafka key is the
aggregate id (= ``ce_subject``). The rules themselves are the contract's
(:mod:`franoi_contracts.wire`); this module writes and reads them.

The CloudEvents SDK does the attribute mapping and validation; this module
adds the network's own rules and turns every failure into :class:`EnvelopeError`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkCloudEvent
from franoi_contracts.base import DomainEvent
from franoi_contracts.wire import (
    CONTENT_TYPE,
    OPTIONAL_HEADERS,
    REQUIRED_HEADERS,
    SOURCE_PATTERN,
    SPECVERSION,
    TRACE_HEADERS,
    format_sequence,
    parse_sequence,
)

_FORMAT = JSONFormat()


class EnvelopeError(ValueError):
    """The message is not a valid CloudEvent of this network; the text says why."""


@dataclass(frozen=True)
class Envelope:
    """One event as it travels: CloudEvents attributes, JSON data, trace context."""

    id: str
    source: str
    type: str
    time: dt.datetime
    subject: str
    partnerid: str
    data: dict[str, Any]
    dataschema: str | None = None
    trace: dict[str, str] = field(default_factory=dict)
    sequence: int | None = None
    """The event's position among its aggregate's events (``ce_sequence``), from 1; None on
    events written before the sequence existed."""

    @property
    def key(self) -> bytes:
        return self.subject.encode()


def source_for(partner_id: str, domain: str) -> str:
    """``ce_source`` of a partner's domain service: ``/partners/{partner_id}/{domain}``."""
    return f"/partners/{partner_id}/{domain}"


def envelope_of(partner_id: str, domain: str, event: DomainEvent) -> Envelope:
    """The envelope ``partner_id``'s ``domain`` service would publish ``event`` in (a new id,
    the time now), for what writes to a topic without a service: tests, fault runs."""
    return Envelope(
        id=str(uuid.uuid4()),
        source=source_for(partner_id, domain),
        type=event.TYPE,
        time=dt.datetime.now(dt.UTC),
        subject=event.aggregate_id,
        partnerid=partner_id,
        data=event.data(),
    )


def parse_source(source: str) -> tuple[str, str]:
    """(partner_id, domain) of a ``ce_source``; EnvelopeError if it is not of the network."""
    match = SOURCE_PATTERN.match(source)
    if match is None:
        raise EnvelopeError(f"ce_source {source!r} is not /partners/<partner_id>/<domain>")
    return match["partner"], match["domain"]


def encode(envelope: Envelope) -> tuple[list[tuple[str, bytes]], bytes]:
    """Kafka headers and value (binary mode) of an envelope."""
    attributes: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "time": envelope.time,
        "subject": envelope.subject,
        "datacontenttype": CONTENT_TYPE,
        "partnerid": envelope.partnerid,
    }
    if envelope.dataschema:
        attributes["dataschema"] = envelope.dataschema
    if envelope.sequence is not None:
        attributes["sequence"] = format_sequence(envelope.sequence)
    message = ce_kafka.to_binary(SdkCloudEvent(attributes, envelope.data), _FORMAT)
    headers = [(name, value) for name, value in message.headers.items()]
    headers.extend((name, value.encode()) for name, value in envelope.trace.items())
    return headers, message.value


def decode(headers: Iterable[tuple[str, bytes]], value: bytes | None) -> Envelope:
    """The envelope of a Kafka message; EnvelopeError with the reason if it is not valid."""
    header_map: dict[str, bytes] = {}
    for name, raw in headers:
        header_map[name.lower()] = raw or b""
    if "ce_specversion" not in header_map:
        raise EnvelopeError("not a CloudEvent in binary mode: no ce_specversion header")
    if header_map["ce_specversion"] != SPECVERSION.encode():
        raise EnvelopeError(f"unsupported ce_specversion {header_map['ce_specversion']!r}")
    content_type = header_map.get("content-type", b"").decode(errors="replace")
    if content_type.split(";")[0].strip() != CONTENT_TYPE:
        raise EnvelopeError(f"content-type must be {CONTENT_TYPE}, got {content_type!r}")
    if value is None:
        raise EnvelopeError("the message has no value")
    try:
        parsed = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"the value is not JSON: {exc}") from exc
    for required in ("ce_id", "ce_source", "ce_type", "ce_time"):
        # The SDK would invent a missing id or time; a redelivery must keep its identity.
        if not header_map.get(required):
            raise EnvelopeError(f"{required} is missing")
    ce_headers = {n: v for n, v in header_map.items() if n.startswith("ce_") or n == "content-type"}
    usual = decode_usual(header_map, ce_headers, parsed)
    if usual is not None:
        return usual
    return _decode_with_sdk(header_map, ce_headers, value)


_USUAL_HEADERS = frozenset({*REQUIRED_HEADERS, *OPTIONAL_HEADERS})
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


def decode_usual(
    header_map: dict[str, bytes], ce_headers: dict[str, bytes], data: Any
) -> Envelope | None:
    """The envelope of a message of the usual shape (the attributes this network writes,
    UTF-8, an RFC 3339 time, data a JSON object, subject and partner present), read directly;
    None for anything else, which the SDK then reads and judges. For every message it
    accepts, the result equals the SDK's (the consumer's hot path: building the SDK's
    event cost several times the rest of the decoding)."""
    if not ce_headers.keys() <= _USUAL_HEADERS:
        return None
    try:
        text = {name: raw.decode("utf-8") for name, raw in ce_headers.items()}
    except UnicodeDecodeError:
        return None
    subject, partnerid = text.get("ce_subject"), text.get("ce_partnerid")
    dataschema = text.get("ce_dataschema")
    if not subject or not partnerid or dataschema == "" or not _RFC3339.fullmatch(text["ce_time"]):
        return None
    sequence: int | None = None
    if "ce_sequence" in text:
        try:
            sequence = parse_sequence(text["ce_sequence"])
        except ValueError:
            return None
    try:
        time = dt.datetime.fromisoformat(text["ce_time"])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return Envelope(
        id=text["ce_id"],
        source=text["ce_source"],
        type=text["ce_type"],
        time=time,
        subject=subject,
        partnerid=partnerid,
        data=data,
        dataschema=dataschema,
        trace=_trace(header_map),
        sequence=sequence,
    )


def _trace(header_map: dict[str, bytes]) -> dict[str, str]:
    return {n: header_map[n].decode(errors="replace") for n in TRACE_HEADERS if n in header_map}


def _decode_with_sdk(
    header_map: dict[str, bytes], ce_headers: dict[str, bytes], value: bytes
) -> Envelope:
    try:
        event = ce_kafka.from_binary(ce_kafka.KafkaMessage(ce_headers, None, value), _FORMAT)
    except Exception as exc:  # the SDK raises several types for invalid attributes
        raise EnvelopeError(f"invalid CloudEvent: {exc}") from exc
    data = event.get_data()
    if not isinstance(data, dict):
        raise EnvelopeError("the event data must be a JSON object")
    subject = event.get_subject()
    partnerid = event.get_extension("partnerid")
    time = event.get_time()
    if not subject:
        raise EnvelopeError("ce_subject (the aggregate id) is missing")
    if not partnerid:
        raise EnvelopeError("ce_partnerid is missing")
    if time is None:
        raise EnvelopeError("ce_time is missing")
    if time.tzinfo is None:
        raise EnvelopeError("ce_time has no time zone")
    sequence = event.get_extension("sequence")
    try:
        parsed_sequence = None if sequence is None else parse_sequence(str(sequence))
    except ValueError as exc:
        raise EnvelopeError(str(exc)) from exc
    return Envelope(
        id=event.get_id(),
        source=event.get_source(),
        type=event.get_type(),
        time=time,
        subject=str(subject),
        partnerid=str(partnerid),
        data=data,
        dataschema=event.get_dataschema(),
        trace=_trace(header_map),
        sequence=parsed_sequence,
    )
