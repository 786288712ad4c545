"""Composition root of the cases service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from fastapi import APIRouter
from franoi_common.migrations import OUTBOX, MigrationSource
from franoi_common.outbox import Outbox, OutboxRelay, OutboxSignal
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.service import main as service_main
from franoi_common.settings import ServiceSettings, topic_for

from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.entrypoints.api import build_router
from franoi_cases.service_layer.handlers import cases_services
from franoi_cases.settings import CasesSettings

DOMAIN = "cases"
SCHEMA_BASE_URL = "https://schemas.franoi.org/events"
MIGRATIONS = [OUTBOX, MigrationSource(DOMAIN, "franoi_cases")]


def wire(settings: ServiceSettings, pool: asyncpg.Pool) -> Wiring:
    assert isinstance(settings, CasesSettings)
    signal = OutboxSignal(pool)
    services = cases_services(
        pool=pool,
        outbox=Outbox(DOMAIN, SCHEMA_BASE_URL),
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
        cipher=FieldCipher(settings.encryption_key),
        peer_urls=settings.peer_urls,
        peer_timeout_s=settings.cases_peer_timeout_s,
        after_commit=signal.notify,
    )
    relay = OutboxRelay(
        pool,
        settings.kafka,
        client_id=f"franoi-{DOMAIN}-relay",
        signal=signal,
        batch_size=settings.relay_batch_size,
        poll_interval_s=settings.relay_poll_interval_s,
    )
    wiring = Wiring(state={"services": services}, workers={"relay": relay})
    wiring.on_start.append(signal.start)

    # Commands keep working without the broker (the outbox holds the events): not required.
    wiring.check_dependencies(pool, relay, broker_required=False)
    wiring.create_topics_at_start(
        settings.kafka, [topic_for(p, DOMAIN) for p in settings.partner_ids]
    )
    return wiring


def routers(settings: ServiceSettings) -> Sequence[APIRouter]:
    assert isinstance(settings, CasesSettings)
    return [build_router(settings.partner_ids)]


def _in_process(settings: ServiceSettings) -> Sequence[str]:
    assert isinstance(settings, CasesSettings)
    return ("relay",) if settings.relay_enabled else ()


DEFINITION = ServiceDefinition(
    name=DOMAIN,
    title="Fra Noi — cases service",
    settings_type=CasesSettings,
    migrations=MIGRATIONS,
    wire=wire,
    routers=routers,
    worker_names=("relay",),
    in_process_workers=_in_process,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
