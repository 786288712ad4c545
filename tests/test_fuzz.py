"""Every API answers exactly as it documents: schemathesis against each service's OpenAPI.

Each service of :mod:`franoi_network.registry` runs on loopback with its own
PostgreSQL database; every operation of its published document is called with
generated valid and invalid input, with a valid token, a token of another
partner and a token of the wrong role. Each answer must not be a server
error, must have a documented status code and content type, must match the
declared schema (problem details for errors), and an operation that needs a
token must refuse a request without one (``ignored_auth``). Examples are
bounded and derandomised (a fixed seed), so the run is repeatable and short.
A new service joins by being listed in the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from franoi_common.service import ServiceDefinition
from franoi_common.settings import KafkaSettings
from franoi_network.registry import PARTNER_SERVICES, SERVICES
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import Databases, RunningService, auth_header

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]
OWNER, OTHER = "p51", "p52"
EXAMPLES = {"valid token": 10, "another partner": 3, "wrong role": 3}


@dataclass
class Served:
    url: str
    stop: threading.Event
    thread: threading.Thread


def _tokens(definition: ServiceDefinition) -> dict[str, dict[str, str]]:
    if definition in PARTNER_SERVICES:
        return {
            "valid token": auth_header(OWNER, "social_worker", "partner_admin"),
            "another partner": auth_header(OTHER, "social_worker", "partner_admin"),
            "wrong role": auth_header(OWNER, "integrator"),
        }
    return {
        "valid token": auth_header("consortium", "consortium_analyst"),
        "another partner": auth_header(OWNER, "social_worker", "partner_admin"),
        "wrong role": auth_header("consortium", "integrator"),
    }


@contextlib.contextmanager
def _serve(
    definition: ServiceDefinition, databases: Databases, kafka_bootstrap: str
) -> Iterator[str]:
    """The service on loopback, in a thread with its own event loop (schemathesis calls it
    synchronously); relay and consumer are off, but the broker is there for what asks it
    (the projection's consumer lag)."""
    started: dict[str, Any] = {}
    ready, stop = threading.Event(), threading.Event()

    async def run() -> None:
        settings = definition.settings_type(
            env="test",
            database_url=await databases.create(f"fuzz_{definition.name}"),
            partner_id=OWNER,
            relay_enabled=False,
            consumer_enabled=False,
            kafka=KafkaSettings(bootstrap=kafka_bootstrap),
            # the projection's lag is of this test's partners, not of the session's other
            # tests' hundreds of topics
            topic_pattern=rf"franoi\.({OWNER}|{OTHER})\.[a-z]+\.v1",
        )
        service = RunningService(definition, settings)
        await service.start()
        started["url"] = service.url
        ready.set()
        try:
            await asyncio.to_thread(stop.wait)
        finally:
            await service.stop()

    def main() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:
            started["error"] = exc
            ready.set()

    thread = threading.Thread(target=main, name=f"fuzz-{definition.name}", daemon=True)
    thread.start()
    assert ready.wait(60), f"{definition.name} did not start"
    if "error" in started:
        raise started["error"]
    try:
        yield started["url"]
    finally:
        stop.set()
        thread.join(30)


def _fuzz(
    operation: Any, mode: GenerationMode, label: str, headers: dict[str, str], url: str
) -> tuple[int, list[str]]:
    """Run one operation's examples in one mode; returns (calls, failures)."""
    failures: list[str] = []
    calls = 0

    @hypothesis_settings(
        max_examples=EXAMPLES[label],
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        try:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=30)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # collected, so that every operation is tried
            failures.append(
                f"{operation.method.upper()} {operation.path} ({label}, {mode.value}):"
                f" {str(exc)[:700]}"
            )

    try:
        run()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (e.g. no parameter but a UUID path
        # that another mode already covers): acceptable for the negative mode only.
        if mode is not GenerationMode.NEGATIVE:
            raise
    return calls, failures


@pytest.mark.parametrize("definition", SERVICES, ids=[d.name for d in SERVICES])
def test_every_operation_answers_as_documented(
    definition: ServiceDefinition, databases: Databases, kafka_bootstrap: str
) -> None:
    failures: list[str] = []
    calls = 0
    with _serve(definition, databases, kafka_bootstrap) as url:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 4, "the document lists the service's operations"
        for label, headers in _tokens(definition).items():
            for operation in operations:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    made, failed = _fuzz(operation, mode, label, headers, url)
                    calls += made
                    failures += failed
    assert calls >= len(operations) * 2, calls
    assert not failures, f"{len(failures)} failures in {calls} calls:\n" + "\n".join(
        sorted(set(failures))[:40]
    )
