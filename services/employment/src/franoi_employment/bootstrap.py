"""Composition root of the employment service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_employment.entrypoints.api import build_router
from franoi_employment.service_layer.handlers import employment_services

DOMAIN = "employment"

DEFINITION = partner_service(
    domain=DOMAIN,
    package="franoi_employment",
    title="Fra Noi — employment service",
    services=employment_services,
    build_router=build_router,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
