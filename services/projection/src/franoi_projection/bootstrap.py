"""Composition root of the projection service."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from fastapi import FastAPI
from franoi_common.erasure import ERASURE
from franoi_common.key_store import TokenOpener
from franoi_common.migrations import INBOX, MigrationSource
from franoi_common.service import ServiceDefinition, Wiring
from franoi_common.service import main as service_main
from franoi_common.settings import Environment, ProjectionSettings, ServiceSettings
from franoi_common.shredding import SHREDDING
from franoi_common.web_signin import install_web_signin

from franoi_projection.adapters.directory_file import read_directory
from franoi_projection.adapters.generations import (
    FollowingLagProbe,
    GenerationFollower,
    SwitchingConsumer,
    topics_consumer,
)
from franoi_projection.adapters.quality_store import ScheduledChecks
from franoi_projection.entrypoints import (
    completeness,
    directory,
    indicators,
    journeys,
    monthly,
    operations,
    public,
    reporting,
    stream,
)
from franoi_projection.projectors.handler import HANDLER
from franoi_projection.queries.directory import load_directory
from franoi_projection.rebuild import commands
from franoi_projection.web import build_web_router

MIGRATIONS = [INBOX, ERASURE, SHREDDING, MigrationSource("projection", "franoi_projection")]


BROKER_NOT_REQUIRED = (
    "the network views answer from the events applied so far: while the broker is away they"
    " stand still, and catch up when it returns (a consume worker of its own is unready"
    " meanwhile)"
)


def wire(settings: ServiceSettings, pool: asyncpg.Pool | None) -> Wiring:
    assert isinstance(settings, ProjectionSettings) and pool is not None
    opener = TokenOpener(settings.key_stores)
    group, name = settings.consumer_group, "franoi-projection"
    consumer = topics_consumer(SwitchingConsumer, pool, settings, group, HANDLER, opener, name)
    lag = FollowingLagProbe(settings.kafka, settings.consumer_group, settings.topic_pattern)
    # The consumer and the pool's connections follow the active generation (see rebuild).
    following = {
        name: GenerationFollower(
            pool, settings.consumer_group, lag, runs, settings.generation_poll_s
        )
        for name, runs in (("consume", consumer), ("follow", None))
    }
    wiring = Wiring(
        state={"pool": pool, "consumer": consumer, "lag_probe": lag, "generations": following},
        workers={**following, "quality": ScheduledChecks(pool, settings.quality_check_interval_s)},
    )
    wiring.readiness.inform(
        "consumer_lag",
        lag.check,
        "a projection far behind still answers, from what it has applied; the lag is on"
        " /metrics (franoi_projection_consumer_lag) for alerting",
    )
    wiring.metrics["consumer_lag"] = lag.metrics
    directory = read_directory(settings.partner_directory)

    async def load_partners() -> None:
        await load_directory(pool, directory)

    wiring.on_start.append(load_partners)
    wiring.on_stop.append(opener.close)
    wiring.create_topics_at_start(settings.kafka, [settings.dead_letter_topic])
    wiring.check_dependencies(pool, settings.kafka, broker_not_required=BROKER_NOT_REQUIRED)
    return wiring


def _setup_app(app: FastAPI, settings: ServiceSettings) -> None:
    """The dashboard's session cookie and its sign-in with the consortium's provider."""
    assert isinstance(settings, ProjectionSettings)
    # A token pasted in the dashboard is the development shortcut: in production, with a
    # provider, analysts sign in with it only.
    app.state.token_form = not (settings.env is Environment.PRODUCTION and settings.oidc.enabled)
    install_web_signin(app, settings, name="dashboard")


def _in_process(settings: ServiceSettings) -> Sequence[str]:
    assert isinstance(settings, ProjectionSettings)
    return ("consume" if settings.consumer_enabled else "follow", "quality")


DEFINITION = ServiceDefinition(
    name="projection",
    title="Fra Noi — network projection",
    settings_type=ProjectionSettings,
    migrations=MIGRATIONS,
    wire=wire,
    worker_names=("consume",),
    in_process_workers=_in_process,
    commands=commands(MIGRATIONS),
    setup_app=_setup_app,
    routers=lambda settings: [
        operations.build_router(),
        monthly.build_router(),
        directory.build_router(),
        indicators.build_router(),
        completeness.build_router(),
        stream.build_router(),
        journeys.build_router(),
        public.build_router(),
        reporting.build_router(),
        build_web_router(),
    ],
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
