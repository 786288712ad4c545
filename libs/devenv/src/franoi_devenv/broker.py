"""What every Kafka-compatible broker of ours has in common (:class:`KafkaServer`).

A broker is a :class:`~franoi_devenv.process.ServerProcess` that says what its clients may use
(idempotent producers, transactions, data kept across restarts) and is ready when "an aiokafka
admin client can fetch cluster metadata", not merely when its port accepts TCP connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import ClassVar

from franoi_devenv.process import ServerProcess

__all__ = ["KafkaServer", "KafkaStartError"]


class KafkaStartError(RuntimeError):
    """A broker could not be fetched, started, or did not become ready in time."""


async def _probe_metadata(bootstrap: str, timeout_s: float, groups: bool) -> None:
    """Raise unless an aiokafka admin client can connect and list topics within *timeout_s*
    and, with *groups*, the broker names a group coordinator (a fresh Apache Kafka creates
    its offsets topic on the first such request; consumers started before it is there log
    errors until it is)."""
    from aiokafka.admin import AIOKafkaAdminClient

    timeout_ms = max(1000, int(timeout_s * 1000))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=timeout_ms,
        retry_backoff_ms=100,
        metadata_max_age_ms=timeout_ms,
        client_id="franoi-devenv-probe",
    )
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            await admin.list_topics()
            if groups:
                await admin.find_coordinator("franoi-devenv-probe")
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def _probe_in_thread(bootstrap: str, timeout_s: float, groups: bool) -> BaseException | None:
    """Run :func:`_probe_metadata` on a private event loop in a helper thread.

    A helper thread makes the synchronous ``start()`` usable both from plain code and from
    inside a running event loop (async fixtures), where ``asyncio.run`` is not allowed.
    """
    outcome: list[BaseException | None] = [None]

    def target() -> None:
        try:
            asyncio.run(_probe_metadata(bootstrap, timeout_s, groups))
        except BaseException as exc:  # reported to the caller
            outcome[0] = exc

    thread = threading.Thread(target=target, name="franoi-kafka-probe", daemon=True)
    thread.start()
    thread.join(timeout_s + 5)
    if thread.is_alive():
        return TimeoutError(f"metadata probe against {bootstrap} hung")
    return outcome[0]


class KafkaServer(ServerProcess):
    """A Kafka-compatible broker process listening on 127.0.0.1.

    Lifecycle: :meth:`start` (blocks until ready), :meth:`stop` (ends the process, keeps ports
    and data directory), :meth:`restart`, :meth:`close` (stop and delete temporary files).
    Also a context manager (``with`` starts and closes). Ports are chosen once, on construction,
    so the bootstrap address stays the same across restarts.
    """

    #: "apache-kafka" or "tansu".
    kind: ClassVar[str]
    #: Whether ``enable_idempotence=True`` producers work against this broker.
    supports_idempotence: ClassVar[bool]
    #: Whether transactional producers work against this broker.
    supports_transactions: ClassVar[bool]
    #: Whether it is ready only once it names a consumer group coordinator.
    ready_with_groups: ClassVar[bool] = False
    start_error: ClassVar[type[Exception]] = KafkaStartError
    log_name: ClassVar[str] = "broker.log"

    @property
    def bootstrap(self) -> str:
        """Bootstrap servers string for clients, e.g. ``"127.0.0.1:41234"``."""
        return self.address

    def _not_ready(self, remaining_s: float) -> str | None:
        error = _probe_in_thread(self.bootstrap, min(5.0, remaining_s), self.ready_with_groups)
        return None if error is None else repr(error)
