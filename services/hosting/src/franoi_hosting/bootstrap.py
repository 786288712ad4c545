"""Composition root of the family-hosting service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from franoi_common.migrations import OUTBOX, MigrationSource
from franoi_common.outbox import Outbox, OutboxRelay, OutboxSignal
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.service import main as service_main
from franoi_common.settings import PartnerServiceSettings, ServiceSettings, topic_for

from franoi_hosting.entrypoints.api import build_router, install_domain_error_handlers
from franoi_hosting.service_layer.handlers import HostingServices

DOMAIN = "hosting"
SCHEMA_BASE_URL = "https://schemas.franoi.org/events"
MIGRATIONS = [OUTBOX, MigrationSource(DOMAIN, "franoi_hosting")]


def wire(settings: ServiceSettings, pool: asyncpg.Pool) -> Wiring:
    assert isinstance(settings, PartnerServiceSettings)
    signal = OutboxSignal(pool)
    services = HostingServices(
        pool=pool,
        outbox=Outbox(DOMAIN, SCHEMA_BASE_URL),
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
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
    wiring = Wiring(
        routers=[build_router(services, settings.partner_ids)],
        workers={"relay": relay},
    )
    wiring.on_start.append(signal.start)

    # Commands keep working without the broker (the outbox holds the events): not required.
    wiring.check_dependencies(pool, relay, broker_required=False)
    wiring.create_topics_at_start(
        settings.kafka, [topic_for(p, DOMAIN) for p in settings.partner_ids]
    )
    return wiring


def _in_process(settings: ServiceSettings) -> Sequence[str]:
    assert isinstance(settings, PartnerServiceSettings)
    return ("relay",) if settings.relay_enabled else ()


DEFINITION = ServiceDefinition(
    name=DOMAIN,
    title="Fra Noi — family-hosting service",
    settings_type=PartnerServiceSettings,
    migrations=MIGRATIONS,
    wire=wire,
    worker_names=("relay",),
    in_process_workers=_in_process,
    setup_app=install_domain_error_handlers,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
