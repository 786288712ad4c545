"""Composition root of the events service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.erasure import ErasureRule
from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_events.entrypoints.api import router
from franoi_events.service_layer.handlers import events_services

# What stays of an erased person: the access lines (topic, referred) under a surrogate,
# so the count of distinct known persons stays.
ERASURE_RULES: list[ErasureRule] = []

DEFINITION = partner_service(
    "events",
    "Fra Noi — events service (community hubs, events, accesses)",
    events_services,
    [router],
    ERASURE_RULES,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
