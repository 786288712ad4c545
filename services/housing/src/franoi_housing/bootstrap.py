"""Composition root of the housing service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_housing.entrypoints.api import router
from franoi_housing.service_layer.handlers import housing_services

# What stays of an erased person: the rows, their dates, household sizes and outcomes
# (counts need them), under a surrogate instead of the person_ref; so no rule beyond that.
DEFINITION = partner_service("housing", "Fra Noi — housing service", housing_services, [router])


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
