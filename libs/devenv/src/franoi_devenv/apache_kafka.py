"""Apache Kafka 4.1.1 in KRaft mode, run with ``java`` from the released jars.

One process is both broker and controller. The jars are fetched once with Maven's
``dependency:copy-dependencies`` into ``${FRANOI_CACHE_DIR:-~/.cache/franoi}/kafka-4.1.1/libs``.
Data lives in a log directory that survives :meth:`~ApacheKafka.stop` /
:meth:`~ApacheKafka.start`, so tests can take the broker away and bring it back on the same
bootstrap address with the same topics and messages. Supports idempotent producers and
transactions.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Unpack

from franoi_common.retention import DOMAIN_TOPIC_RETENTION_MS

from franoi_devenv.broker import KafkaServer, KafkaStartError
from franoi_devenv.maven import fetch_once, pom, run_maven
from franoi_devenv.process import ServerOptions, cache_dir, free_port

__all__ = ["KAFKA_ARTIFACTS", "KAFKA_VERSION", "ApacheKafka"]

#: Apache Kafka release run by :class:`ApacheKafka`.
KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"
#: Maven coordinates (group, artifact, version) fetched for :class:`ApacheKafka`.
KAFKA_ARTIFACTS: tuple[tuple[str, str, str], ...] = (
    ("org.apache.kafka", f"kafka_{SCALA_VERSION}", KAFKA_VERSION),
    ("org.slf4j", "slf4j-reload4j", "1.7.36"),
)


class ApacheKafka(KafkaServer):
    """Apache Kafka 4.1.1, KRaft single node (``process.roles=broker,controller``).

    :param port: PLAINTEXT client port (default: a free port).
    :param controller_port: KRaft controller port (default: a free port).
    :param work_dir: directory for ``server.properties``, ``data/`` and ``broker.log``;
        default a temporary directory deleted by :meth:`close`.
    :param heap: JVM ``-Xmx`` value.
    :param extra_properties: additional/overriding ``server.properties`` entries.
    """

    kind: ClassVar[str] = "apache-kafka"
    supports_idempotence: ClassVar[bool] = True
    supports_transactions: ClassVar[bool] = True
    ready_with_groups: ClassVar[bool] = True
    persistent: ClassVar[bool] = True

    def __init__(
        self,
        *,
        controller_port: int | None = None,
        heap: str = "512m",
        extra_properties: dict[str, str] | None = None,
        **options: Unpack[ServerOptions],
    ) -> None:
        super().__init__(**options)
        self.controller_port = controller_port if controller_port is not None else free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.heap = heap
        self.extra_properties = dict(extra_properties or {})

    # -- jars ----------------------------------------------------------------------------------

    @staticmethod
    def home() -> Path:
        """Cache directory for this Kafka version (``<cache>/kafka-4.1.1``)."""
        return cache_dir() / f"kafka-{KAFKA_VERSION}"

    @classmethod
    def libs_dir(cls) -> Path:
        """Directory with the Kafka jars (``<cache>/kafka-4.1.1/libs``)."""
        return cls.home() / "libs"

    @classmethod
    def _marker(cls) -> Path:
        return cls.home() / "libs.complete"

    @classmethod
    def jars_cached(cls) -> bool:
        """Whether a complete jar set from an earlier successful fetch is present."""
        marker = cls._marker()
        if not marker.is_file():
            return False
        names = [n for n in marker.read_text().splitlines() if n.strip()]
        libs = cls.libs_dir()
        return bool(names) and all((libs / n).is_file() for n in names)

    @classmethod
    def is_available(cls) -> bool:
        """``java`` on PATH and either cached jars or ``mvn`` on PATH to fetch them."""
        if shutil.which("java") is None:
            return False
        return cls.jars_cached() or shutil.which("mvn") is not None

    @classmethod
    def ensure_jars(cls, timeout: float = 900.0) -> Path:
        """Fetch the Kafka jars with Maven unless already cached; return :meth:`libs_dir`.

        Concurrent callers (several test processes) are serialised with a file lock.
        """
        fetch_once(cls.home(), cls.jars_cached, lambda: cls._fetch_jars(timeout))
        return cls.libs_dir()

    @classmethod
    def _fetch_jars(cls, timeout: float) -> None:
        home, libs = cls.home(), cls.libs_dir()
        shutil.rmtree(libs, ignore_errors=True)
        cls._marker().unlink(missing_ok=True)
        goal = [
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ]
        pom_text = pom("kafka-jars", KAFKA_VERSION, KAFKA_ARTIFACTS)
        result = run_maven(home, pom_text, goal, timeout=timeout, error=KafkaStartError)
        jars = sorted(p.name for p in libs.glob("*.jar")) if libs.is_dir() else []
        if result.returncode != 0 or not any(j.startswith("kafka_") for j in jars):
            raise KafkaStartError(
                f"fetching the Kafka jars failed (exit {result.returncode}): {goal}\n"
                f"{(result.stdout + result.stderr)[-4000:]}"
            )
        tmp_marker = home / f".libs.complete.{os.getpid()}"
        tmp_marker.write_text("\n".join(jars) + "\n")
        os.replace(tmp_marker, cls._marker())

    # -- process -------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """KRaft metadata and topic data (``log.dirs``); kept across stop/start."""
        return self.work_dir / "data"

    @property
    def config_path(self) -> Path:
        """The generated ``server.properties``."""
        return self.work_dir / "server.properties"

    def properties(self) -> dict[str, str]:
        """The ``server.properties`` entries this broker runs with."""
        plain = f"PLAINTEXT://{self.host}:{self.port}"
        controller = f"CONTROLLER://{self.host}:{self.controller_port}"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"{plain},{controller}",
            "advertised.listeners": f"{plain},{controller}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.bootstrap.servers": f"{self.host}:{self.controller_port}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            # A topic a client creates by naming it keeps events as long as a domain topic.
            "log.retention.ms": str(DOMAIN_TOPIC_RETENTION_MS),
            "delete.topic.enable": "true",
        }
        props.update(self.extra_properties)
        return props

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise KafkaStartError("java is not on PATH")
        return java

    def _java_argv(self, main_class: str, *args: str) -> list[str]:
        return [
            self._java(),
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            "-Djava.net.preferIPv4Stack=true",
            f"-Dlog4j2.configurationFile={self.work_dir / 'log4j2.properties'}",
            f"-Dlog4j.configuration=file:{self.work_dir / 'log4j.properties'}",
            f"-Dkafka.logs.dir={self.work_dir}",
            "-cp",
            f"{self.libs_dir()}{os.sep}*",
            main_class,
            *args,
        ]

    def _prepare(self) -> None:
        self.ensure_jars()
        lines = [f"{k}={v}" for k, v in self.properties().items()]
        self.config_path.write_text(
            "# generated by franoi_devenv.kafka\n" + "\n".join(lines) + "\n"
        )
        (self.work_dir / "log4j2.properties").write_text(_LOG4J2_PROPERTIES)
        (self.work_dir / "log4j.properties").write_text(_LOG4J_PROPERTIES)
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage()

    def _format_storage(self) -> None:
        self._run_storage_tool(
            "format", "--standalone", "-t", _random_cluster_id(), "-c", str(self.config_path)
        )

    def _run_storage_tool(self, *args: str) -> None:
        argv = self._java_argv("kafka.tools.StorageTool", *args)
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv,
            cwd=self.work_dir,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        with self.log_path.open("a") as log:
            log.write(f"==== storage format (exit {result.returncode})\n")
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise KafkaStartError(
                f"kafka StorageTool format failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr)[-4000:]}"
            )

    def _command(self) -> Sequence[str]:
        return self._java_argv("kafka.Kafka", str(self.config_path))


def _random_cluster_id() -> str:
    """A KRaft cluster id like ``kafka-storage random-uuid`` prints (base64url, 16 bytes)."""
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        # Kafka avoids ids starting with "-" (they look like CLI options) and reserved ids.
        if not text.startswith("-") and raw not in (bytes(16), bytes(15) + b"\x01"):
            return text


# Broker logging: INFO to stdout (which goes to broker.log), noisy loggers quieter.
_LOG4J2_PROPERTIES = """\
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = warn
logger.controller.name = kafka.controller
logger.controller.level = info
logger.request.name = kafka.request.logger
logger.request.level = warn
"""

_LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
"""
