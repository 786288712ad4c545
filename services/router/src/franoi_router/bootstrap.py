"""Composition root of the referral router: the consortium's route between partners.

``franoi-router serve`` runs both workers (and ``/healthz``, ``/readyz``, ``/metrics``):

* ``route``: the idempotent consumer (group ``franoi-referral-router``) on every partner's
  ``franoi.<partner>.referrals.v1``, turning each event into an outbox row for the other
  partner's ``franoi.<partner>.inbox.v1`` in the transaction that records it;
* ``relay``: the outbox relay that publishes those rows.

Both are the shared mechanisms (:mod:`franoi_common.consumer`, :mod:`franoi_common.outbox`);
the router keeps nothing else (no person, no referral: only what is in flight).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from franoi_common.consumer import IdempotentConsumer
from franoi_common.migrations import INBOX, OUTBOX
from franoi_common.outbox import OutboxRelay, OutboxSignal
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.service import main as service_main
from franoi_common.settings import ServiceSettings, topic_for

from franoi_router.domain.routing import inbox_topic
from franoi_router.entrypoints.forward import forwarder
from franoi_router.settings import RouterSettings

WORKERS = ("route", "relay")

BROKER_NOT_REQUIRED = "the router's own process answers its probes without the broker"


def wire(settings: ServiceSettings, pool: asyncpg.Pool | None) -> Wiring:
    assert isinstance(settings, RouterSettings) and pool is not None
    signal = OutboxSignal(pool)
    route = IdempotentConsumer(
        pool,
        settings.kafka,
        group_id=settings.consumer_group,
        topic_pattern=settings.topic_pattern,
        dead_letter_topic=settings.dead_letter_topic,
        handler=forwarder(settings.partner_ids),
        client_id="franoi-router-route",
    )
    relay = OutboxRelay(
        pool,
        settings.kafka,
        client_id="franoi-router-relay",
        signal=signal,
        batch_size=settings.relay_batch_size,
        poll_interval_s=settings.relay_poll_interval_s,
    )
    wiring = Wiring(state={}, workers={"route": route, "relay": relay})
    wiring.on_start.append(signal.start)
    wiring.metrics["outbox"] = relay.metrics
    wiring.check_dependencies(pool, settings.kafka, broker_not_required=BROKER_NOT_REQUIRED)
    partners = settings.partner_ids
    wiring.create_topics_at_start(
        settings.kafka,
        [
            *(topic_for(p, "referrals") for p in partners),
            *(inbox_topic(p) for p in partners),
            settings.dead_letter_topic,
        ],
    )
    return wiring


def _in_process(settings: ServiceSettings) -> Sequence[str]:
    return WORKERS


DEFINITION = ServiceDefinition(
    name="router",
    title="Fra Noi — referral router",
    settings_type=RouterSettings,
    migrations=[OUTBOX, INBOX],
    wire=wire,
    routers=lambda settings: [],
    worker_names=WORKERS,
    in_process_workers=_in_process,
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
