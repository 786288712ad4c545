"""The composition root every partner domain service shares.

A partner service (housing, employment, hosting, events, cases) keeps its state in its
own database, writes its events to the outbox in the transaction of the command, and
relays them to ``franoi.<partner>.<domain>.v1``. Its wiring differs only in its name,
its command handlers and its router; :func:`partner_service` builds its
:class:`~franoi_common.service.ServiceDefinition` from those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from fastapi import APIRouter

from franoi_common.migrations import OUTBOX, MigrationSource
from franoi_common.outbox import Outbox, OutboxRelay, OutboxSignal
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.settings import PartnerServiceSettings, ServiceSettings, topic_for

SCHEMA_BASE_URL = "https://schemas.franoi.org/events"


def _no_extra(settings: PartnerServiceSettings) -> Mapping[str, Any]:
    return {}


def partner_service(
    *,
    domain: str,
    package: str,
    title: str,
    services: Callable[..., object],
    build_router: Callable[[tuple[str, ...]], APIRouter],
    settings_type: type[PartnerServiceSettings] = PartnerServiceSettings,
    services_extra: Callable[[Any], Mapping[str, Any]] = _no_extra,
) -> ServiceDefinition:
    """The definition of a partner service named ``domain`` (migrations in ``package``).

    ``services(pool=, outbox=, pseudonym_key=, after_commit=, **services_extra(settings))``
    builds its command handlers' parts (``app.state.services``); ``build_router(partner_ids)``
    its API. The outbox relay runs as the ``relay`` worker, in the API process when
    ``relay_enabled``; commands keep working without the broker (the outbox holds the
    events), so the broker is not a required dependency.
    """

    def wire(settings: ServiceSettings, pool: asyncpg.Pool) -> Wiring:
        assert isinstance(settings, settings_type)
        signal = OutboxSignal(pool)
        wired = services(
            pool=pool,
            outbox=Outbox(domain, SCHEMA_BASE_URL),
            pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
            after_commit=signal.notify,
            **services_extra(settings),
        )
        relay = OutboxRelay(
            pool,
            settings.kafka,
            client_id=f"franoi-{domain}-relay",
            signal=signal,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
        )
        wiring = Wiring(state={"services": wired}, workers={"relay": relay})
        wiring.on_start.append(signal.start)
        wiring.check_dependencies(pool, relay, broker_required=False)
        wiring.create_topics_at_start(
            settings.kafka, [topic_for(p, domain) for p in settings.partner_ids]
        )
        return wiring

    def routers(settings: ServiceSettings) -> Sequence[APIRouter]:
        assert isinstance(settings, settings_type)
        return [build_router(settings.partner_ids)]

    def in_process(settings: ServiceSettings) -> Sequence[str]:
        assert isinstance(settings, settings_type)
        return ("relay",) if settings.relay_enabled else ()

    return ServiceDefinition(
        name=domain,
        title=title,
        settings_type=settings_type,
        migrations=[OUTBOX, MigrationSource(domain, package)],
        wire=wire,
        routers=routers,
        worker_names=("relay",),
        in_process_workers=in_process,
    )
