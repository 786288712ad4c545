"""Composition root of the events service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_events.entrypoints.api import build_router
from franoi_events.service_layer.handlers import events_services

DOMAIN = "events"

DEFINITION = partner_service(
    domain=DOMAIN,
    package="franoi_events",
    title="Fra Noi — events service (community hubs, events, accesses)",
    services=events_services,
    build_router=build_router,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
