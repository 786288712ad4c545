"""Composition root of the housing service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_housing.entrypoints.api import build_router
from franoi_housing.service_layer.handlers import housing_services

DOMAIN = "housing"

DEFINITION = partner_service(
    domain=DOMAIN,
    package="franoi_housing",
    title="Fra Noi — housing service",
    services=housing_services,
    build_router=build_router,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
