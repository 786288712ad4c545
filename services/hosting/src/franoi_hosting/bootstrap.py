"""Composition root of the family-hosting service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.erasure import Action, ErasureRule
from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_hosting.entrypoints.api import router
from franoi_hosting.service_layer.handlers import hosting_services

# What stays of an erased person: requests, matches, stays and visits with their dates,
# contributions and scores (counts need them), under a surrogate. A visit's flags say
# more about the guest than a count needs: cleared.
ERASURE_RULES = [
    ErasureRule("monitoring_visits", Action.CLEAR, ("flags",), through=("hosting_stays", "stay_id"))
]

DEFINITION = partner_service(
    "hosting", "Fra Noi — family-hosting service", hosting_services, [router], ERASURE_RULES
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
