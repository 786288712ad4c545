"""A cluster of Apache Kafka brokers on 127.0.0.1, for the scale-out and fault runs.

Each node is an :class:`~franoi_devenv.apache_kafka.ApacheKafka` process that is both broker
and controller (KRaft, a static quorum of every node), so any one of them can be killed and
started again while the others keep the cluster going. Topics are replicated on
``replication_factor`` brokers and a write needs ``min_insync_replicas`` of them
(``acks=all``), as in production; the internal topics (consumer offsets, transactions) too.
Leaders go back to their preferred replica within seconds (``auto.leader.rebalance.enable``),
so a reassignment that changes a partition's replica order moves its leader.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator, Sequence
from typing import Any

from franoi_devenv.apache_kafka import ApacheKafka, _random_cluster_id
from franoi_devenv.broker import KafkaStartError
from franoi_devenv.process import LOOPBACK, Lifecycle, free_port

__all__ = ["ClusterNode", "KafkaCluster"]


class ClusterNode(ApacheKafka):
    """One node of a :class:`KafkaCluster` (``node.id`` ``node_id``, a voter of the quorum)."""

    def __init__(
        self, node_id: int, cluster: KafkaCluster, port: int, controller_port: int, **options: Any
    ) -> None:
        super().__init__(port=port, controller_port=controller_port, **options)
        self.node_id = node_id
        self.cluster = cluster

    def properties(self) -> dict[str, str]:
        props = super().properties()
        props.pop("controller.quorum.bootstrap.servers", None)
        replicas, in_sync = str(self.cluster.replication_factor), str(self.cluster.min_insync)
        props.update(
            {
                "node.id": str(self.node_id),
                "controller.quorum.voters": self.cluster.voters,
                "default.replication.factor": replicas,
                "min.insync.replicas": in_sync,
                "offsets.topic.replication.factor": replicas,
                "transaction.state.log.replication.factor": replicas,
                "transaction.state.log.min.isr": in_sync,
                "share.coordinator.state.topic.replication.factor": replicas,
                "share.coordinator.state.topic.min.isr": in_sync,
                "auto.leader.rebalance.enable": "true",
                "leader.imbalance.check.interval.seconds": "2",
                "leader.imbalance.per.broker.percentage": "0",
                "unclean.leader.election.enable": "false",
            }
        )
        return props

    def _format_storage(self) -> None:
        self._run_storage_tool("format", "-t", self.cluster.cluster_id, "-c", str(self.config_path))


class KafkaCluster(Lifecycle):
    """``size`` Apache Kafka nodes forming one cluster on loopback (free ports).

    :meth:`start` starts every node at once (a node is ready only when a quorum is), and
    returns when all are ready; :meth:`close` stops them and deletes their files. A node is
    killed (:meth:`~franoi_devenv.process.ServerProcess.kill`) or stopped and started again
    on its own through :attr:`nodes`.
    """

    def __init__(
        self,
        size: int = 3,
        *,
        replication_factor: int | None = None,
        min_insync: int = 2,
        heap: str = "384m",
        startup_timeout: float = 180.0,
        extra_properties: dict[str, str] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a cluster has at least one node")
        self.replication_factor = min(size, replication_factor or size)
        self.min_insync = min(min_insync, self.replication_factor)
        self.cluster_id = _random_cluster_id()
        ports = _distinct_ports(2 * size)
        self.nodes: list[ClusterNode] = [
            ClusterNode(
                i + 1,
                self,
                ports[2 * i],
                ports[2 * i + 1],
                heap=heap,
                startup_timeout=startup_timeout,
                extra_properties=extra_properties,
            )
            for i in range(size)
        ]
        self.voters = ",".join(f"{n.node_id}@{LOOPBACK}:{n.controller_port}" for n in self.nodes)

    kind = "apache-kafka cluster"
    supports_idempotence = True

    @property
    def bootstrap(self) -> str:
        """Every node's client address, comma-separated."""
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> ClusterNode:
        """The node with ``node.id`` ``node_id``."""
        return next(n for n in self.nodes if n.node_id == node_id)

    def pids(self) -> dict[int, int]:
        """The pid of every running node, by node id."""
        return {n.node_id: n.pid for n in self.nodes if n.pid is not None}

    def start(self) -> None:
        ApacheKafka.ensure_jars()
        with concurrent.futures.ThreadPoolExecutor(len(self.nodes)) as pool:
            failures = [exc for exc in pool.map(_start_catching, self.nodes) if exc is not None]
        if failures:
            self.close()
            raise KafkaStartError(f"the Kafka cluster did not start: {failures[0]}")

    def close(self) -> None:
        """Kill every node (a clean shutdown of a cluster losing its quorum waits for
        timeouts, and the data goes anyway) and delete their files."""
        for node in self.nodes:
            node.kill()
            node.close()

    def __iter__(self) -> Iterator[ClusterNode]:
        return iter(self.nodes)


def _start_catching(node: ClusterNode) -> BaseException | None:
    try:
        node.start()
    except BaseException as exc:
        return exc
    return None


def _distinct_ports(count: int) -> Sequence[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports
