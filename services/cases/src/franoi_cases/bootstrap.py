"""Composition root of the cases service: settings in, wired parts out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from franoi_common.consumer import IdempotentConsumer
from franoi_common.partner_service import ExtraConsumer, partner_service
from franoi_common.service import main as service_main
from franoi_common.settings import topic_for

from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.entrypoints import api, erasure, referrals, tasks
from franoi_cases.service_layer.handlers import CasesServices, cases_services
from franoi_cases.service_layer.referrals import check_inbox_topic, inbox_handler
from franoi_cases.settings import CasesSettings

INBOX = "inbox"
"""The worker that reads the partners' referral inboxes (``franoi-cases inbox``)."""


def _cases_parts(settings: CasesSettings) -> Mapping[str, Any]:
    """What the cases handlers need beyond every partner service's parts."""
    return {
        "cipher": FieldCipher(settings.encryption_key),
        "peer_urls": settings.peer_urls,
        "peer_timeout_s": settings.cases_peer_timeout_s,
        "referral_keys": settings.referral_keys,
    }


def inbox_dead_letters(partner_ids: Sequence[str]) -> str:
    """Under the first partner's prefix (a partner's credentials write only there)."""
    return f"franoi.{partner_ids[0]}.inbox.deadletter.v1"


def _inbox(
    settings: CasesSettings, pool: asyncpg.Pool, services: CasesServices
) -> IdempotentConsumer:
    """The partners' inbox topics, where the consortium's router puts what other partners
    sent them about referrals; one group per instance, under the partners' prefix."""
    partners = settings.partner_ids
    alternatives = "|".join(re.escape(p) for p in partners)
    return IdempotentConsumer(
        pool,
        settings.kafka,
        group_id=f"franoi-inbox-{'-'.join(partners)}-cases",
        topic_pattern=rf"^franoi\.({alternatives})\.inbox\.v1$",
        dead_letter_topic=inbox_dead_letters(partners),
        handler=inbox_handler(services, partners),
        client_id="franoi-cases-inbox",
        check=check_inbox_topic,
    )


def _inbox_topics(settings: CasesSettings) -> list[str]:
    partners = settings.partner_ids
    return [
        *(topic_for(p, "inbox") for p in partners),
        *(topic_for(p, "referrals") for p in partners),
        inbox_dead_letters(partners),
    ]


DEFINITION = partner_service(
    "cases",
    "Fra Noi — cases service",
    cases_services,
    [api.router, tasks.router, referrals.router, erasure.router],
    None,  # no erasure rules: cases publishes the erasures
    settings_type=CasesSettings,
    services_extra=_cases_parts,
    consumers={INBOX: ExtraConsumer(_inbox, _inbox_topics)},
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
