"""A server process of our own on 127.0.0.1: the base of the brokers and of Keycloak.

:class:`ServerProcess` starts a server's process in a session of its own, with its output in a
log file of its work directory, waits until the server answers (each kind says how it is asked:
:meth:`ServerProcess._not_ready`), and ends it again by its pid (SIGTERM, then SIGKILL after
``stop_timeout``), never by name: on :meth:`~ServerProcess.stop`, :meth:`~ServerProcess.close`
and at interpreter exit. The ports are chosen once, on construction, so a server brought back
by :meth:`~ServerProcess.start` answers on the same address.

Also here, for every launcher: :func:`free_port`, the download cache (:func:`cache_dir`), the
environment a child gets (:func:`child_env`), a file lock for concurrent fetches
(:func:`file_lock`), the end of a server's log for error messages (:func:`log_tail`), and
:class:`Lifecycle` (``with`` starts and closes).
"""

from __future__ import annotations

import abc
import asyncio
import atexit
import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Self, TypedDict

__all__ = [
    "CACHE_ENV",
    "LOOPBACK",
    "Lifecycle",
    "ServerOptions",
    "ServerProcess",
    "cache_dir",
    "child_env",
    "file_lock",
    "free_port",
    "free_ports",
    "log_tail",
]

LOOPBACK = "127.0.0.1"
#: Environment variable overriding the cache root (default ``~/.cache/franoi``).
CACHE_ENV = "FRANOI_CACHE_DIR"

# Environment variables that would make a server talk to something other than loopback
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


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on *host* that was free a moment ago (see :func:`free_ports`)."""
    return free_ports(1, host)


def end(proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """End a process this program started: SIGTERM, then SIGKILL if it has not ended within
    ``timeout_s``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(10)


def free_ports(count: int, host: str = LOOPBACK) -> int:
    """The first of ``count`` TCP ports in a row on *host* that were free a moment ago (for a
    runner that takes a base port and the ones after it).

    They are chosen below the kernel's ephemeral range: a port in that range can be taken
    at any moment as the local end of some process's outgoing connection (a broker client,
    a database pool), between this choice and the runner's own bind."""
    low, _ = _ephemeral_ports()
    floor = 10000
    for _ in range(200):
        if low - count > floor:
            base = floor + secrets.randbelow(low - count - floor)
        else:
            base = _kernel_port(host)
        if base + count < 65000 and all(_free(host, base + k) for k in range(count)):
            return base
    raise RuntimeError(f"no {count} free ports in a row on {host}")


def _kernel_port(host: str) -> int:
    """A port the kernel gives for binding to port 0 (from its ephemeral range)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of ports for outgoing connections (Linux's default elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def memory_kib(pid: int | None) -> int:
    """A process's memory: its proportional set size (resident pages, each shared page
    divided among the processes sharing it, so that a server's processes add up), or its
    resident set size where the kernel does not say; 0 when it does not run."""
    if pid is None:
        return 0
    for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(path).read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
    return 0


def descendants(root: int) -> list[int]:
    """``root`` and every process under it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cache_dir() -> Path:
    """Root of franoi's download cache: ``$FRANOI_CACHE_DIR`` or ``~/.cache/franoi``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "franoi"


def log_tail(path: Path | None, lines: int = 40) -> str:
    """The last *lines* lines of the log, preceded by its first ERROR/FATAL lines (if any).

    Servers log a lot while shutting down after a fatal error, so the cause is often no longer
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


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process' environment without what would point a server elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    if extra:
        env.update(extra)
    return env


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on *path* (created if missing), held for the ``with`` block: one
    fetch into the cache at a time, whatever the number of processes."""
    with path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Lifecycle(abc.ABC):
    """Something started and closed again: ``with`` starts it and closes it."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start (and wait until ready)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop and release what was made for it."""

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


class ServerOptions(TypedDict, total=False):
    """The constructor options every :class:`ServerProcess` takes."""

    port: int | None
    work_dir: str | os.PathLike[str] | None
    startup_timeout: float | None
    stop_timeout: float | None


class ServerProcess(Lifecycle):
    """A server process listening on 127.0.0.1, started and ended by this object.

    Lifecycle: :meth:`start` (blocks until ready), :meth:`stop` (ends the process, keeps ports
    and work directory), :meth:`restart`, :meth:`close` (stop and delete temporary files).
    Also a context manager (``with`` starts and closes). Ports are chosen once, on construction,
    so the address stays the same across restarts.
    """

    #: What kind of server this is ("apache-kafka", "tansu", "keycloak").
    kind: ClassVar[str]
    #: Whether what the server holds survives :meth:`stop` / :meth:`start`.
    persistent: ClassVar[bool]
    #: Raised when the server cannot start.
    start_error: ClassVar[type[Exception]] = RuntimeError
    #: Seconds between two readiness checks.
    ready_interval_s: ClassVar[float] = 0.1
    #: The log file's name in the work directory.
    log_name: ClassVar[str] = "server.log"
    startup_timeout_default: ClassVar[float] = 60.0
    stop_timeout_default: ClassVar[float] = 30.0

    def __init__(
        self,
        *,
        port: int | None = None,
        work_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float | None = None,
        stop_timeout: float | None = None,
    ) -> None:
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.startup_timeout = (
            startup_timeout if startup_timeout is not None else self.startup_timeout_default
        )
        self.stop_timeout = stop_timeout if stop_timeout is not None else self.stop_timeout_default
        self._given_work_dir = Path(work_dir).expanduser().resolve() if work_dir else None
        self._work_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._lock = threading.RLock()
        #: Seconds the last :meth:`start` took (process launch to ready), for diagnostics.
        self.last_start_seconds: float | None = None

    # -- public surface ------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """Where clients reach the server, as error messages name it."""
        return f"{self.host}:{self.port}"

    @property
    def work_dir(self) -> Path:
        """Directory with this server's config, data and log file (created on demand)."""
        if self._work_dir is None:
            if self._given_work_dir is not None:
                self._given_work_dir.mkdir(parents=True, exist_ok=True)
                self._work_dir = self._given_work_dir
            else:
                self._work_dir = Path(tempfile.mkdtemp(prefix=f"franoi-{self.kind}-"))
        return self._work_dir

    @property
    def log_path(self) -> Path:
        """File receiving the server process' stdout and stderr."""
        return self.work_dir / self.log_name

    @property
    def pid(self) -> int | None:
        """Pid of the running server process, or None."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        """Whether the server process started by this object is alive."""
        return self.pid is not None

    @classmethod
    @abc.abstractmethod
    def is_available(cls) -> bool:
        """Whether this kind of server can be started on this machine."""

    def start(self) -> None:
        """Start the server and block until it answers (idempotent).

        Raises :attr:`start_error` (with the tail of :attr:`log_path`) when the process exits
        or is not ready within ``startup_timeout`` seconds of being launched; the process is
        ended again in that case.
        """
        with self._lock:
            if self.running:
                return
            began = time.monotonic()
            _live.add(self)
            self._prepare()
            self._launch(self._command())
            try:
                # The deadline starts at launch: a first-time fetch does not count.
                self._wait_ready(time.monotonic() + self.startup_timeout)
            except BaseException:
                self._terminate()
                raise
            self.last_start_seconds = time.monotonic() - began

    def stop(self) -> None:
        """End the server process (SIGTERM, then SIGKILL after ``stop_timeout``).

        Ports and the work directory are kept, so :meth:`start` brings the server back on the
        same address (with its data, if the server is :attr:`persistent`).
        """
        with self._lock:
            self._terminate()

    def kill(self) -> None:
        """End the server process at once (SIGKILL, as a crash would), keeping its ports and
        work directory: :meth:`start` brings it back on the same address."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(30)
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

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
        """Stop the server and delete its temporary work directory (a given one is kept)."""
        with self._lock:
            self._terminate()
            _live.discard(self)
            if self._given_work_dir is None and self._work_dir is not None:
                shutil.rmtree(self._work_dir, ignore_errors=True)
                self._work_dir = None

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.address} {state}>"

    # -- subclass hooks ------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Write config / fetch binaries before launch."""

    @abc.abstractmethod
    def _command(self) -> Sequence[str]:
        """argv of the server process."""

    def _env(self) -> dict[str, str]:
        return child_env()

    @abc.abstractmethod
    def _not_ready(self, remaining_s: float) -> str | None:
        """Once the port accepts connections: None when the server answers as a client needs
        it, else what it said (checked again until the deadline)."""

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
        last_error = "no answer yet"
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                code = None if proc is None else proc.returncode
                raise self.start_error(
                    f"{self.kind} exited with code {code} during startup; "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.start_error(
                    f"{self.kind} on {self.address} not ready after "
                    f"{self.startup_timeout:.0f}s (last: {last_error}); "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                )
            if self._port_open():
                problem = self._not_ready(remaining)
                if problem is None:
                    return
                last_error = problem
            time.sleep(self.ready_interval_s)

    def _port_open(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            end(proc, self.stop_timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


_live: set[ServerProcess] = set()


@atexit.register
def _close_all() -> None:
    for server in list(_live):
        with contextlib.suppress(Exception):
            server.close()
