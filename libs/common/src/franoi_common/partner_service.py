"""The composition root every partner domain service shares.

A partner service (housing, employment, hosting, events, cases) keeps its state in its
own database, writes its events to the outbox in the transaction of the command, and
relays them to ``franoi.<partner>.<domain>.v1``. A domain service also consumes its
partners' cases topic to erase a person (:mod:`franoi_common.erasure`), by the rules it
declares; the cases service publishes the erasures. With ``FRANOI_SHREDDING`` the relay
publishes persons as tokens of the partner's key store, which the cases service holds and
serves (:mod:`franoi_common.key_store`). Its wiring differs only in its name,
its command handlers, its routers and its erasure rules; :func:`partner_service` builds
its :class:`~franoi_common.service.ServiceDefinition` from those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI

from franoi_common import key_store
from franoi_common.consumer import IdempotentConsumer
from franoi_common.erasure import ERASURE, WORKER, ErasureRule, add_erasure, eraser
from franoi_common.migrations import IMPORTS, INBOX, OUTBOX, VERSIONS, MigrationSource
from franoi_common.outbox import Outbox, OutboxRelay, OutboxSignal
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.settings import PartnerServiceSettings, ServiceSettings, topic_for
from franoi_common.shredding import SHREDDING, LocalSealer, Sealer
from franoi_common.versions import install_versions

SCHEMA_BASE_URL = "https://schemas.franoi.org/events"


BROKER_NOT_REQUIRED = (
    "commands are accepted without the broker: their events wait in the outbox, and the relay"
    " sends them in order when it returns (outbox_oldest_unsent_seconds on /metrics tells how"
    " long they have waited)"
)


def _no_extra(settings: PartnerServiceSettings) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class ExtraConsumer:
    """A consumer a partner service runs beside its relay (e.g. the cases service's
    referral inbox): built from the settings, the pool and the service's wired parts, with
    the topics it reads and dead-letters to (created at start in development)."""

    build: Callable[[Any, asyncpg.Pool, Any], IdempotentConsumer]
    topics: Callable[[Any], Sequence[str]]


def partner_service(
    domain: str,
    title: str,
    services: Callable[..., object],
    routers: Sequence[APIRouter],
    erasure_rules: Sequence[ErasureRule] | None = (),
    *,
    settings_type: type[PartnerServiceSettings] = PartnerServiceSettings,
    services_extra: Callable[[Any], Mapping[str, Any]] = _no_extra,
    consumers: Mapping[str, ExtraConsumer] | None = None,
) -> ServiceDefinition:
    """The definition of the partner service named ``domain`` (package ``franoi_<domain>``,
    where its migrations are).

    ``services(pool=, outbox=, pseudonym_key=, after_commit=, **services_extra(settings))``
    builds its command handlers' parts (``app.state.services``); ``routers`` are its API,
    declared once for every instance: the partners an instance serves are its settings',
    which its routes read from ``app.state.partner_ids``
    (:func:`franoi_common.api.partner_member`). The outbox relay runs as the ``relay``
    worker, in the API process when ``relay_enabled``; commands keep working without the
    broker (the outbox holds the events), so the broker is not a required dependency.

    ``erasure_rules`` (what to delete or clear beyond replacing the ``person_ref`` by a
    surrogate) makes the service consume its partners' ``person.erased`` events with the
    ``erasure`` worker, run beside the relay; ``None`` for the service that publishes
    them (cases). Every partner service keeps the tombstones that keep an erased
    reference out (the ``erasure`` migrations). ``consumers`` are further workers by
    command name (the cases service's ``inbox``), run beside the relay.
    """
    consumes_erasures = erasure_rules is not None
    extra = dict(consumers or {})
    workers = ("relay", *((WORKER,) if consumes_erasures else ()), *extra)
    # The service that publishes the erasures (cases) holds its partners' key store.
    service_routers = routers if consumes_erasures else [*routers, key_store.router]

    def sealing(settings: PartnerServiceSettings, pool: asyncpg.Pool, wiring: Wiring) -> Sealer:
        """With shredding: the cases service seals in its own key store (and serves it);
        the others through the store's API."""
        if not consumes_erasures:
            if settings.key_store_secret is None:
                raise ValueError("FRANOI_SHREDDING needs FRANOI_KEY_STORE_SECRET (the key store)")
            wiring.state["key_store"] = key_store.HeldKeys(pool, settings.key_store_secret)
            return LocalSealer()
        missing = [p for p in settings.partner_ids if p not in settings.key_stores]
        if missing:
            raise ValueError(f"FRANOI_SHREDDING needs FRANOI_KEY_STORES for {missing}")
        remote = key_store.RemoteSealer(settings.key_stores)
        wiring.on_stop.append(remote.close)
        return remote

    def wire(settings: ServiceSettings, pool: asyncpg.Pool | None) -> Wiring:
        assert isinstance(settings, settings_type) and pool is not None
        signal = OutboxSignal(pool)
        wiring = Wiring(state={}, workers={})
        sealer = sealing(settings, pool, wiring) if settings.shredding else None
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
            sealer=sealer,
            erase_here=eraser(erasure_rules or ()),
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
        )
        wiring.workers["relay"] = relay
        wiring.on_start.append(signal.start)
        close = getattr(wired, "close", None)  # parts that hold connections of their own
        if close is not None:
            wiring.on_stop.append(close)
        wiring.state["services"] = wired
        if erasure_rules is not None:
            add_erasure(wiring, pool, settings, domain, erasure_rules, sealer)
        for name, consumer in extra.items():
            wiring.workers[name] = consumer.build(settings, pool, wired)
            wiring.create_topics_at_start(settings.kafka, consumer.topics(settings))
        wiring.check_dependencies(pool, settings.kafka, broker_not_required=BROKER_NOT_REQUIRED)
        wiring.metrics["outbox"] = relay.metrics
        wiring.create_topics_at_start(
            settings.kafka, [topic_for(p, domain) for p in settings.partner_ids]
        )
        return wiring

    def setup_app(app: FastAPI, settings: ServiceSettings) -> None:
        assert isinstance(settings, settings_type)
        app.state.partner_ids = settings.partner_ids
        install_versions(app)  # ETag on reads and changes, If-Match on changes

    def in_process(settings: ServiceSettings) -> Sequence[str]:
        assert isinstance(settings, settings_type)
        # The relay (and the erasure worker) may run on their own; further consumers (the
        # cases service's inbox) stay in the API process unless started on their own too.
        return workers if settings.relay_enabled else tuple(extra)

    return ServiceDefinition(
        name=domain,
        title=title,
        settings_type=settings_type,
        migrations=[
            OUTBOX,
            VERSIONS,
            *([INBOX] if consumes_erasures or extra else []),
            ERASURE,
            SHREDDING,
            IMPORTS,
            MigrationSource(domain, f"franoi_{domain}"),
        ],
        wire=wire,
        routers=lambda settings: service_routers,
        setup_app=setup_app,
        worker_names=workers,
        in_process_workers=in_process,
    )
