"""Composition root of the housing service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.erasure import ErasureRule
from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_housing.entrypoints.api import build_router
from franoi_housing.service_layer.handlers import housing_services

DOMAIN = "housing"
# What stays of an erased person: the rows, their dates, household sizes and outcomes
# (counts need them), under a surrogate instead of the person_ref.
ERASURE_RULES: list[ErasureRule] = []

DEFINITION = partner_service(
    domain=DOMAIN,
    package="franoi_housing",
    title="Fra Noi — housing service",
    services=housing_services,
    build_router=build_router,
    erasure_rules=ERASURE_RULES,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
