"""How an event travels: CloudEvents 1.0 in the Kafka protocol binding, binary content mode.

- topic ``franoi.<partner_id>.<domain>.v1`` (:func:`topic_pattern` matches a set of them);
- key the aggregate id, which is also ``ce_subject``: one aggregate's events share a
  partition, hence their order;
- headers ``ce_specversion``, ``ce_id``, ``ce_source`` (``/partners/<partner_id>/<domain>``),
  ``ce_type``, ``ce_time``, ``ce_subject``, ``ce_partnerid`` (extension: the partner),
  ``content-type: application/json``, and optionally ``ce_dataschema``, ``ce_sequence`` and
  the W3C ``traceparent``/``tracestate``;
- value the event data as JSON: the model ``ce_type`` names
  (:func:`franoi_contracts.base.event_class`).

``ce_sequence`` (the CloudEvents *sequence* extension) is the event's position among its
aggregate's events: 1 for the aggregate's first event, then one more for each event, with
no gaps, in the order the partner's service committed them. It is written as a decimal
zero-padded to :data:`SEQUENCE_DIGITS` digits, so that comparing the strings (as the
extension asks) and comparing the numbers agree. Delivery is at least once: a message may
come again, even after later events of its aggregate; a consumer that remembers the last
sequence it handled per (``ce_source``, ``ce_subject``) knows a repeat or a stale
redelivery (a sequence not above it) from a new event. Events written before the sequence
existed carry no ``ce_sequence``.

Pure Python: nothing here needs more than the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

REQUIRED_HEADERS = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_subject",
    "ce_partnerid",
    "content-type",
)
"""The Kafka headers every event of this network carries."""

SEQUENCE_HEADER = "ce_sequence"
OPTIONAL_HEADERS = ("ce_dataschema", SEQUENCE_HEADER)
"""CloudEvents attributes an event may carry besides the required ones (every event the
network writes now carries ``ce_sequence``; older ones on the topics do not)."""

TRACE_HEADERS = ("traceparent", "tracestate")

SOURCE_PATTERN = re.compile(r"^/partners/(?P<partner>p[0-9]{2,3})/(?P<domain>[a-z]+)$")
"""``ce_source``: ``/partners/<partner_id>/<domain>``."""

PARTNER_ID_PATTERN = re.compile(r"^p[0-9]{2,3}$")

SEQUENCE_DIGITS = 20
"""Width of ``ce_sequence``: enough for any 64-bit count."""

_SEQUENCE = re.compile(rf"^[0-9]{{1,{SEQUENCE_DIGITS}}}$")


def format_sequence(sequence: int) -> str:
    """``ce_sequence`` of an aggregate's ``sequence``-th event (from 1)."""
    if sequence < 1 or sequence >= 10**SEQUENCE_DIGITS:
        raise ValueError(f"sequence {sequence} is out of range")
    return f"{sequence:0{SEQUENCE_DIGITS}d}"


def parse_sequence(text: str) -> int:
    """The number a ``ce_sequence`` holds; ValueError when it is not a positive decimal."""
    if not _SEQUENCE.match(text) or int(text) < 1:
        raise ValueError(f"ce_sequence {text!r} is not a positive decimal number")
    return int(text)


def topic_pattern(
    domains: Iterable[str] | None = None, partners: Iterable[str] | None = None
) -> str:
    """A regular expression for the topics of ``domains`` of ``partners`` (all of either
    when None): ``^franoi\\.(p07|p12)\\.(housing)\\.v1$``. It has no braces, which
    subscription libraries may read as placeholders."""
    partner = "p[0-9]+" if partners is None else "|".join(map(re.escape, partners))
    domain = "[a-z]+" if domains is None else "|".join(map(re.escape, domains))
    return rf"^franoi\.({partner})\.({domain})\.v1$"
