"""The event catalogue: JSON Schemas and an AsyncAPI 3.0 document, generated from the models.

``python -m franoi_contracts.catalogue DOCS_DIR`` writes
``DOCS_DIR/events/schemas/<type>.json`` and ``DOCS_DIR/events/asyncapi.json``;
``--check`` only compares and exits 1 when the committed files differ.

:func:`incompatibilities` says why a new schema would break consumers of an
old one (a removed property, a new required one, a changed type, a removed
enum value): such a change needs a new event version (``.v2``) instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from franoi_contracts import DOMAINS, generated
from franoi_contracts.base import DomainEvent, event_types
from franoi_contracts.wire import REQUIRED_HEADERS, SEQUENCE_DIGITS

SCHEMA_BASE_URL = "https://schemas.franoi.org/events"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def published_types() -> dict[str, type[DomainEvent]]:
    """The event types of the contract's domains (not ones defined elsewhere, e.g. in tests)."""
    found: dict[str, type[DomainEvent]] = {}
    for domain in DOMAINS:
        found.update(event_types(domain))
    return dict(sorted(found.items()))


def schema_of(cls: type[DomainEvent]) -> dict[str, Any]:
    """The JSON Schema of an event type's data, as published."""
    schema = cls.model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URL}/{cls.schema_name()}.json",
        "x-cloudevents-type": cls.TYPE,
        "x-kafka-key": cls.KEY,
        **schema,
    }


def _message_name(event_type: str) -> str:
    parts = event_type.split(".")[2:-1]  # domain, entity, what happened
    return "".join(p.title().replace("_", "") for p in parts)


_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": list(REQUIRED_HEADERS),
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "description": "Event id (UUID), unique per source"},
        "ce_source": {"type": "string", "pattern": "^/partners/p[0-9]{2,3}/[a-z]+$"},
        "ce_type": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "Aggregate id (also the Kafka key)"},
        "ce_dataschema": {"type": "string", "format": "uri"},
        "ce_partnerid": {"type": "string", "pattern": "^p[0-9]{2,3}$"},
        "ce_sequence": {
            "type": "string",
            "pattern": f"^[0-9]{{{SEQUENCE_DIGITS}}}$",
            "description": "CloudEvents sequence extension: the event's position among its "
            "aggregate's events (1, 2, 3... with no gaps, in commit order), zero-padded so "
            "that string order is number order. A consumer that keeps the last sequence it "
            "handled per (ce_source, ce_subject) drops a repeat or a stale redelivery (not "
            "above it). Absent on events written before it existed.",
        },
        "content-type": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}


def asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0: one channel per domain (``franoi.{partnerId}.<domain>.v1``)."""
    domains = sorted(DOMAINS)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for domain in domains:
        refs: dict[str, Any] = {}
        for event_type, cls in event_types(domain).items():
            name = _message_name(event_type)
            messages[name] = {
                "name": event_type,
                "title": cls.__name__,
                "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
                "contentType": "application/json",
                "headers": _CE_HEADERS,
                "payload": {"$ref": f"schemas/{event_type}.json"},
                "bindings": {"kafka": {"key": {"type": "string", "format": "uuid"}}},
            }
            refs[name] = {"$ref": f"#/components/messages/{name}"}
        channels[domain] = {
            "address": f"franoi.{{partnerId}}.{domain}.v1",
            "description": f"Every {domain} event of one partner, keyed by aggregate id.",
            "parameters": {"partnerId": {"description": "Partner id, e.g. p07"}},
            "messages": refs,
        }
        operations[f"publish{domain.title()}Events"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{domain}"},
            "summary": f"A partner's {domain} service publishes through its outbox.",
        }
        operations[f"consume{domain.title()}Events"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{domain}"},
            "summary": f"The projection and integrators subscribe by pattern "
            f"franoi\\.p[0-9]+\\.{domain}\\.v1.",
        }
    channels["inbox"] = {
        "address": "franoi.{partnerId}.inbox.v1",
        "description": "The referral events addressed to one partner, written by the "
        "consortium's referral router only: each event of another partner's referrals "
        "channel that names this partner as the other party, unchanged (its ce_source and "
        "ce_partnerid are the sender's), keyed by the referral id.",
        "parameters": {"partnerId": {"description": "The receiving partner, e.g. p07"}},
        "messages": dict(channels["referrals"]["messages"]),
    }
    operations["routeReferrals"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/inbox"},
        "summary": "The consortium's referral router forwards each referral event to the "
        "other partner's inbox.",
    }
    operations["consumeInbox"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/inbox"},
        "summary": "The partner's cases service reads its own inbox (no one else may).",
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Fra Noi network events",
            "version": "1",
            "description": "CloudEvents 1.0 in Kafka binary mode. Persons appear only as "
            "person_ref pseudonyms; no event carries a direct identifier. A partner that "
            "shreds pseudonyms publishes each person as a token of its key store, which "
            "its erasure (cases person.erased) makes unreadable for good. Topics keep "
            "events 13 months. Delivery is at "
            "least once, in order per aggregate (the Kafka key): ce_sequence, the event's "
            "position among its aggregate's events, tells a repeat or a stale redelivery "
            "from a new event.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render() -> dict[str, str]:
    """Relative path → file content of the whole catalogue."""
    files = {
        f"events/schemas/{event_type}.json": _dump(schema_of(cls))
        for event_type, cls in published_types().items()
    }
    files["events/asyncapi.json"] = _dump(asyncapi())
    return files


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every sub-schema of a JSON Schema (properties, $defs, anyOf, items...)."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from schema_nodes(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from schema_nodes(value)


def resolve_ref(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``node``, or the ``$defs`` entry of ``root`` it refers to (``#/$defs/...``)."""
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"only local $defs references are published, not {ref}")
    resolved: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
    return resolved


def incompatibilities(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Why data valid under ``old`` could be rejected or misread under ``new``."""
    problems: list[str] = []
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})

    def resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return dict(defs.get(ref.removeprefix("#/$defs/"), {}))
        return node

    def compare(a: dict[str, Any], b: dict[str, Any], where: str) -> None:
        a, b = resolve(a, old_defs), resolve(b, new_defs)
        for variants in ("anyOf", "oneOf"):
            if variants in a or variants in b:
                a_list = [resolve(x, old_defs) for x in a.get(variants, [a])]
                b_list = [resolve(x, new_defs) for x in b.get(variants, [b])]
                a_types = {json.dumps(x, sort_keys=True) for x in a_list}
                b_types = {json.dumps(x, sort_keys=True) for x in b_list}
                if not a_types <= b_types:
                    problems.append(f"{where}: accepted variants narrowed")
                return
        if a.get("type") != b.get("type"):
            problems.append(f"{where}: type {a.get('type')} became {b.get('type')}")
        if "enum" in a and set(a["enum"]) - set(b.get("enum", a["enum"])):
            removed = sorted(set(a["enum"]) - set(b.get("enum", [])))
            problems.append(f"{where}: enum values removed {removed}")
        for key in ("pattern", "format", "minimum", "maximum", "maxLength", "minLength"):
            if key in b and a.get(key) != b.get(key):
                problems.append(f"{where}: {key} changed from {a.get(key)} to {b[key]}")
        a_props, b_props = a.get("properties", {}), b.get("properties", {})
        for name in a_props:
            if name not in b_props:
                problems.append(f"{where}.{name}: property removed")
            else:
                compare(a_props[name], b_props[name], f"{where}.{name}")
        for name in set(b.get("required", [])) - set(a.get("required", [])):
            problems.append(f"{where}.{name}: became required")

    compare(old, new, path or "data")
    return problems


def main(argv: list[str] | None = None) -> int:
    return generated.main(
        render,
        description="The event catalogue: JSON Schemas and AsyncAPI, generated from the models",
        command="python -m franoi_contracts.catalogue",
        argv=argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
