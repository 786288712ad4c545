"""Composition root of the cases service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.entrypoints import api, erasure, tasks
from franoi_cases.service_layer.handlers import cases_services
from franoi_cases.settings import CasesSettings


def _cases_parts(settings: CasesSettings) -> Mapping[str, Any]:
    """What the cases handlers need beyond every partner service's parts."""
    return {
        "cipher": FieldCipher(settings.encryption_key),
        "peer_urls": settings.peer_urls,
        "peer_timeout_s": settings.cases_peer_timeout_s,
    }


DEFINITION = partner_service(
    "cases",
    "Fra Noi — cases service",
    cases_services,
    [api.router, tasks.router, erasure.router],
    None,  # no erasure rules: cases publishes the erasures
    settings_type=CasesSettings,
    services_extra=_cases_parts,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
