"""Composition root of the family-hosting service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_hosting.entrypoints.api import build_router
from franoi_hosting.service_layer.handlers import hosting_services

DOMAIN = "hosting"

DEFINITION = partner_service(
    domain=DOMAIN,
    package="franoi_hosting",
    title="Fra Noi — family-hosting service",
    services=hosting_services,
    build_router=build_router,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
