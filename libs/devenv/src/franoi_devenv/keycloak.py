"""A real Keycloak for local runs and tests: the network's OpenID Connect provider.

:class:`LocalKeycloak` runs Keycloak's server distribution (``org.keycloak:keycloak-quarkus-dist``)
in development mode with the ``franoi`` realm imported from ``deploy/keycloak/franoi-realm.json``:
the realm roles, the ``partner`` / ``roles`` / ``aud`` claims, the desk, dashboard and integrator
clients and a few development users (``deploy/keycloak/README.md``).

* The distribution is fetched once with Maven's ``dependency:copy`` (the newest of
  :data:`KEYCLOAK_VERSIONS` that the repository serves) and kept unpacked under
  ``${FRANOI_CACHE_DIR:-~/.cache/franoi}/keycloak-<version>/``, as the Kafka jars are.
* Each instance gets a home of its own in its work directory: the read-only parts of the
  distribution (jars, themes) are linked, while its configuration, its build state
  (``lib/quarkus``) and its ``data`` directory (the H2 development database, the realm to
  import) are private, so instances never share state and may run side by side.
* Keycloak rebuilds itself for development mode on its first start (about 20 s); that build is
  then kept in the cache and copied into later instances, which start without it.
* Keycloak 26 needs Java 21 or newer: :func:`find_java_home` looks for one (``JAVA_HOME``,
  the ``java`` on ``PATH``, then the JDKs installed side by side under ``/usr/lib/jvm``) and the
  server gets it as its own ``JAVA_HOME``; the caller's environment is left as it is.

The server listens on 127.0.0.1 only (HTTP and management ports chosen free), is ready when the
realm's discovery document answers, and is ended by its pid (SIGTERM, then SIGKILL of its own
process group after ``stop_timeout``) on :meth:`~LocalKeycloak.stop`,
:meth:`~LocalKeycloak.close` and at interpreter exit.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Unpack

import httpx

from franoi_devenv.maven import fetch_once, pom, run_maven
from franoi_devenv.process import (
    LOOPBACK,
    ServerOptions,
    ServerProcess,
    cache_dir,
    child_env,
    free_port,
)

__all__ = [
    "KEYCLOAK_REALM",
    "KEYCLOAK_VERSIONS",
    "REQUIRE_KEYCLOAK_ENV",
    "KeycloakStartError",
    "LocalKeycloak",
    "default_realm_file",
    "find_java_home",
    "java_major_version",
]

#: Keycloak releases tried, newest first: the first one the Maven repository serves (or the
#: cache holds) is run.
KEYCLOAK_VERSIONS: tuple[str, ...] = (
    "26.7.3",
    "26.7.0",
    "26.5.6",
    "26.5.5",
    "26.5.4",
    "26.5.3",
    "26.5.2",
    "26.5.1",
    "26.5.0",
    "26.4.7",
    "26.4.5",
    "26.4.0",
)
KEYCLOAK_GROUP = "org.keycloak"
KEYCLOAK_ARTIFACT = "keycloak-quarkus-dist"
#: The realm imported from the realm file; the issuer is ``<url>/realms/franoi``.
KEYCLOAK_REALM = "franoi"
#: Keycloak 26 runs on Java 21 or newer.
MIN_JAVA = 21
#: Environment variable: when "1", the tests fail instead of skipping without Java 21+ or Maven.
REQUIRE_KEYCLOAK_ENV = "FRANOI_TEST_REQUIRE_KEYCLOAK"

# Variables the caller may have set for a Keycloak of their own, which would change how this
# one is configured, or which JVM and options ``kc.sh`` uses.
_KEYCLOAK_SCRUBBED_PREFIXES = ("KC_", "KEYCLOAK_", "QUARKUS_")
_KEYCLOAK_SCRUBBED = (
    "JAVA",
    "JAVA_OPTS",
    "JAVA_OPTS_APPEND",
    "JAVA_OPTS_KC_HEAP",
    "JAVA_ADD_OPENS",
    "JAVA_LOCALE",
    "DEBUG",
    "DEBUG_PORT",
    "DEBUG_SUSPEND",
    "PRINT_ENV",
)


class KeycloakStartError(RuntimeError):
    """Keycloak could not be fetched or started, or did not become ready in time."""


def default_realm_file() -> Path:
    """The repository's realm import, ``deploy/keycloak/franoi-realm.json``."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "deploy" / "keycloak" / "franoi-realm.json"
        if candidate.is_file():
            return candidate
    raise KeycloakStartError(
        "deploy/keycloak/franoi-realm.json not found above this package; pass realm_file="
    )


_VERSION_RE = re.compile(r'version "(?P<v>[0-9][^"]*)"')


def java_major_version(java: str | os.PathLike[str]) -> int | None:
    """The major version ``java -version`` reports (``17``, ``21``, ``25``), or None."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [os.fspath(java), "-version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=child_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION_RE.search(result.stderr + result.stdout)
    if match is None:
        return None
    parts = match.group("v").split(".")
    try:
        major = int(parts[0])
        # Java 8 and older report "1.8.0_...".
        return int(parts[1]) if major == 1 and len(parts) > 1 else major
    except ValueError:
        return None


@functools.cache
def find_java_home(minimum: int = MIN_JAVA) -> Path | None:
    """A JDK home whose ``bin/java`` is at least *minimum*, or None.

    ``JAVA_HOME`` first, then the JDK of the ``java`` on ``PATH``, when either is recent
    enough; otherwise the newest of the JDKs installed side by side under ``/usr/lib/jvm``.
    """
    preferred: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        preferred.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        preferred.append(Path(on_path).resolve().parent.parent)
    for home in preferred:
        major = _major_of_home(home)
        if major is not None and major >= minimum:
            return home
    jvm_root = Path("/usr/lib/jvm")
    installed = sorted(jvm_root.iterdir()) if jvm_root.is_dir() else []
    best: tuple[int, Path] | None = None
    seen: set[Path] = set()
    for home in installed:
        java = home / "bin" / "java"
        if not java.is_file() or java.resolve() in seen:
            continue
        seen.add(java.resolve())
        major = _major_of_home(home)
        if major is not None and major >= minimum and (best is None or major > best[0]):
            best = (major, home)
    return best[1] if best else None


def _major_of_home(home: Path) -> int | None:
    java = home / "bin" / "java"
    return java_major_version(java) if java.is_file() else None


class LocalKeycloak(ServerProcess):
    """Keycloak in development mode on 127.0.0.1 with the ``franoi`` realm imported.

    Lifecycle as for the brokers (:class:`~franoi_devenv.process.ServerProcess`): :meth:`start`
    blocks until the realm's discovery document answers, :meth:`stop` ends the server and keeps
    its data (the realm, keys and users survive a restart), :meth:`close` also deletes the work
    directory; a context manager. The ports are chosen on construction.

    The master realm's administrator is created from ``KC_BOOTSTRAP_ADMIN_USERNAME`` /
    ``KC_BOOTSTRAP_ADMIN_PASSWORD`` given to the server only (:attr:`admin_username`,
    :attr:`admin_password`: a random password by default).
    """

    kind: ClassVar[str] = "keycloak"
    persistent: ClassVar[bool] = True
    start_error: ClassVar[type[Exception]] = KeycloakStartError
    ready_interval_s: ClassVar[float] = 0.5
    log_name: ClassVar[str] = "keycloak.log"
    startup_timeout_default: ClassVar[float] = 180.0

    def __init__(
        self,
        *,
        management_port: int | None = None,
        realm_file: str | os.PathLike[str] | None = None,
        versions: Sequence[str] = KEYCLOAK_VERSIONS,
        admin_username: str = "admin",
        admin_password: str | None = None,
        extra_args: Sequence[str] = (),
        fetch_timeout: float = 900.0,
        **options: Unpack[ServerOptions],
    ) -> None:
        super().__init__(**options)
        self.management_port = management_port if management_port is not None else free_port()
        self.realm_file = Path(realm_file) if realm_file else default_realm_file()
        self.versions = tuple(versions)
        self.admin_username = admin_username
        self.admin_password = admin_password or secrets.token_urlsafe(18)
        #: More ``kc.sh start-dev`` options (``--features=...``); they may make Keycloak rebuild.
        self.extra_args = tuple(extra_args)
        self.fetch_timeout = fetch_timeout
        #: The Keycloak release this instance runs (known once started).
        self.version: str | None = None
        #: Seconds the last :meth:`start` spent fetching and unpacking (0 when cached).
        self.last_fetch_seconds: float | None = None
        self._java_home: Path | None = None

    # -- addresses -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    @property
    def issuer(self) -> str:
        """The realm's issuer (``iss`` of its tokens)."""
        return f"{self.url}/realms/{KEYCLOAK_REALM}"

    @property
    def discovery_url(self) -> str:
        """The realm's OpenID Connect discovery document."""
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def token_url(self) -> str:
        """The realm's token endpoint."""
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def jwks_url(self) -> str:
        """The realm's published signing keys (JWKS)."""
        return f"{self.issuer}/protocol/openid-connect/certs"

    @property
    def management_url(self) -> str:
        """The management interface (``/health/ready``, ``/health/live``)."""
        return f"http://{self.host}:{self.management_port}"

    @property
    def home_dir(self) -> Path:
        """This instance's Keycloak home (``kc.home.dir``)."""
        return self.work_dir / "home"

    # -- availability and fetching -------------------------------------------------------------

    @staticmethod
    def cache_home(version: str) -> Path:
        """Where *version* is kept: ``<cache>/keycloak-<version>``."""
        return cache_dir() / f"keycloak-{version}"

    @classmethod
    def dist_dir(cls, version: str) -> Path:
        """The unpacked distribution of *version*."""
        return cls.cache_home(version) / "dist"

    @classmethod
    def _marker(cls, version: str) -> Path:
        return cls.cache_home(version) / ".dist.complete"

    @classmethod
    def dist_cached(cls, version: str) -> bool:
        """Whether *version* was fetched and unpacked completely."""
        return cls._marker(version).is_file() and (cls.dist_dir(version) / "bin/kc.sh").is_file()

    @classmethod
    def cached_versions(cls, versions: Sequence[str] = KEYCLOAK_VERSIONS) -> list[str]:
        """Those of *versions* already in the cache."""
        return [v for v in versions if cls.dist_cached(v)]

    @classmethod
    def is_available(cls) -> bool:
        """A JDK 21+ and either a cached distribution or ``mvn`` on PATH to fetch one."""
        if find_java_home() is None:
            return False
        return bool(cls.cached_versions()) or shutil.which("mvn") is not None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why :meth:`is_available` is false (None when it is true)."""
        if find_java_home() is None:
            return (
                f"Keycloak needs Java {MIN_JAVA}+: none found (JAVA_HOME, java on PATH, "
                "/usr/lib/jvm)"
            )
        if not cls.cached_versions() and shutil.which("mvn") is None:
            return "mvn is not on PATH and no Keycloak distribution is cached"
        return None

    @classmethod
    def ensure_distribution(
        cls, versions: Sequence[str] = KEYCLOAK_VERSIONS, timeout: float = 900.0
    ) -> str:
        """Fetch and unpack the newest of *versions* the repository serves (unless cached);
        return the version. Concurrent callers are serialised with a file lock per version."""
        failures: list[str] = []
        for version in versions:
            if cls.dist_cached(version):
                return version
            if shutil.which("mvn") is None:
                failures.append(f"{version}: not cached and mvn is not on PATH")
                continue
            try:
                cls._fetch(version, timeout)
            except KeycloakStartError as exc:
                failures.append(f"{version}: {exc}")
                continue
            return version
        raise KeycloakStartError(
            "no Keycloak distribution could be fetched:\n" + "\n".join(failures)
        )

    @classmethod
    def _fetch(cls, version: str, timeout: float) -> None:
        def fetch() -> None:
            home = cls.cache_home(version)
            download = home / "download"
            shutil.rmtree(download, ignore_errors=True)
            goal = [
                "dependency:copy",
                f"-Dartifact={KEYCLOAK_GROUP}:{KEYCLOAK_ARTIFACT}:{version}:tar.gz",
                f"-DoutputDirectory={download}",
            ]
            pom_text = pom("keycloak-dist", version)
            result = run_maven(home, pom_text, goal, timeout=timeout, error=KeycloakStartError)
            archive = download / f"{KEYCLOAK_ARTIFACT}-{version}.tar.gz"
            if result.returncode != 0 or not archive.is_file():
                shutil.rmtree(download, ignore_errors=True)
                raise KeycloakStartError(
                    f"mvn dependency:copy failed (exit {result.returncode}): "
                    f"{(result.stdout + result.stderr)[-2000:]}"
                )
            try:
                cls._unpack(archive, version)
            finally:
                shutil.rmtree(download, ignore_errors=True)

        fetch_once(cls.cache_home(version), lambda: cls.dist_cached(version), fetch)

    @classmethod
    def _unpack(cls, archive: Path, version: str) -> None:
        home = cls.cache_home(version)
        staging = home / f".unpack-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            with tarfile.open(archive, "r:gz") as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(staging, filter="data")
                else:  # Python < 3.11.4: the archive is Keycloak's own release
                    tar.extractall(staging)  # noqa: S202
            roots = [p for p in staging.iterdir() if (p / "bin" / "kc.sh").is_file()]
            if len(roots) != 1:
                raise KeycloakStartError(f"unexpected layout in {archive.name}")
            dist = cls.dist_dir(version)
            shutil.rmtree(dist, ignore_errors=True)
            os.replace(roots[0], dist)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        cls._marker(version).write_text(f"{KEYCLOAK_GROUP}:{KEYCLOAK_ARTIFACT}:{version}\n")

    @classmethod
    def _dev_build(cls, version: str) -> Path:
        """The kept development-mode build (``lib/quarkus``) of *version*."""
        return cls.cache_home(version) / "quarkus-dev"

    # -- process -------------------------------------------------------------------------------

    def _prepare(self) -> None:
        began = time.monotonic()
        self.version = self.ensure_distribution(self.versions, self.fetch_timeout)
        self.last_fetch_seconds = time.monotonic() - began
        java_home = find_java_home()
        if java_home is None:
            raise KeycloakStartError(self.unavailable_reason() or "no Java 21+")
        self._java_home = java_home
        if not (self.home_dir / "bin" / "kc.sh").is_file():
            self._make_home(self.version)
        imports = self.home_dir / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.realm_file, imports / f"{KEYCLOAK_REALM}-realm.json")

    def _make_home(self, version: str) -> None:
        """A home of this instance's own: private bin, conf, build state and data; the jars,
        themes and providers linked from the cached distribution (read only)."""
        dist = self.dist_dir(version)
        home = self.home_dir
        shutil.rmtree(home, ignore_errors=True)
        (home / "bin").mkdir(parents=True)
        shutil.copy2(dist / "bin" / "kc.sh", home / "bin" / "kc.sh")
        (home / "bin" / "kc.sh").chmod(0o755)
        shutil.copytree(dist / "conf", home / "conf")
        # The boot jars are copied: Quarkus finds the build state (lib/quarkus) next to them.
        (home / "lib" / "lib").mkdir(parents=True)
        shutil.copytree(dist / "lib" / "lib" / "boot", home / "lib" / "lib" / "boot")
        for part in ("main", "deployment"):
            (home / "lib" / "lib" / part).symlink_to(dist / "lib" / "lib" / part)
        (home / "lib" / "app").symlink_to(dist / "lib" / "app")
        shutil.copy2(dist / "lib" / "quarkus-run.jar", home / "lib" / "quarkus-run.jar")
        built = self._dev_build(version)
        source = built if built.is_dir() and not self.extra_args else dist / "lib" / "quarkus"
        shutil.copytree(source, home / "lib" / "quarkus")
        for part in ("themes", "providers"):
            (home / part).symlink_to(dist / part)
        if (dist / "version.txt").is_file():
            shutil.copy2(dist / "version.txt", home / "version.txt")

    def _keep_dev_build(self) -> None:
        """Keep this instance's development-mode build for the next instances (once)."""
        if self.version is None or self.extra_args:
            return
        target = self._dev_build(self.version)
        if target.is_dir():
            return
        staging = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            shutil.copytree(self.home_dir / "lib" / "quarkus", staging)
            with contextlib.suppress(OSError):  # another instance kept its build first
                os.rename(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _command(self) -> Sequence[str]:
        return [
            str(self.home_dir / "bin" / "kc.sh"),
            "start-dev",
            "--http-host",
            LOOPBACK,
            "--http-port",
            str(self.port),
            "--http-management-port",
            str(self.management_port),
            "--health-enabled=true",
            "--import-realm",
            *self.extra_args,
        ]

    def _env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in child_env().items()
            if k not in _KEYCLOAK_SCRUBBED and not k.startswith(_KEYCLOAK_SCRUBBED_PREFIXES)
        }
        if self._java_home is not None:
            env["JAVA_HOME"] = str(self._java_home)
        env["KC_BOOTSTRAP_ADMIN_USERNAME"] = self.admin_username
        env["KC_BOOTSTRAP_ADMIN_PASSWORD"] = self.admin_password
        return env

    def start(self) -> None:
        """Start Keycloak and block until the realm's discovery document answers (idempotent).

        Raises :class:`KeycloakStartError` (with the tail of :attr:`log_path`) when the server
        exits or is not ready within ``startup_timeout`` seconds of being launched (a first
        fetch does not count); the server is ended again in that case.
        """
        with self._lock:
            if self.running:
                return
            super().start()
            self._keep_dev_build()

    def _not_ready(self, remaining_s: float) -> str | None:
        try:
            with httpx.Client(trust_env=False, timeout=min(5.0, remaining_s)) as client:
                response = client.get(self.discovery_url)
        except httpx.HTTPError as exc:
            return repr(exc)
        return None if response.status_code == 200 else f"discovery answered {response.status_code}"

    def _terminate(self) -> None:
        # kc.sh passes SIGTERM on to its JVM; after stop_timeout the whole process group that
        # was started for this server (kc.sh and its JVM, in a session of their own) is killed.
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if proc is not None:
            # A JVM left behind by a kc.sh that ended first (its group id is kc.sh's pid):
            # killed, and waited for (bounded) so that its ports and database are free again.
            deadline = time.monotonic() + 10.0
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
                while time.monotonic() < deadline:
                    os.killpg(proc.pid, 0)
                    time.sleep(0.05)
        super()._terminate()

    # -- administration ------------------------------------------------------------------------

    def admin_token(self) -> str:
        """An access token of the master realm's administrator (for the admin REST API)."""
        with httpx.Client(trust_env=False, timeout=30.0) as client:
            response = client.post(
                f"{self.url}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": self.admin_username,
                    "password": self.admin_password,
                },
            )
            response.raise_for_status()
            token: str = response.json()["access_token"]
            return token

    def admin(self, method: str, path: str, *, json_body: Any = None) -> httpx.Response:
        """One admin REST API call on the realm: *path* is relative to
        ``/admin/realms/franoi`` (``"/users"``); raises on an error status."""
        headers = {"Authorization": f"Bearer {self.admin_token()}"}
        with httpx.Client(trust_env=False, timeout=30.0) as client:
            response = client.request(
                method,
                f"{self.url}/admin/realms/{KEYCLOAK_REALM}{path}",
                headers=headers,
                json=json_body,
            )
        response.raise_for_status()
        return response

    def rotate_signing_key(self, *, key_size: int = 2048) -> str:
        """Add an RS256 key (a new ``rsa-generated`` key provider) with a priority above every
        current key, so that new tokens are signed with it; the older keys stay published to
        verify the tokens already issued. Returns the new key's ``kid``."""
        realm = self.admin("GET", "").json()
        keys = self.admin("GET", "/keys").json().get("keys", [])
        priority = max((int(k.get("providerPriority", 0)) for k in keys), default=100) + 10
        created = self.admin(
            "POST",
            "/components",
            json_body={
                "name": f"rsa-rotated-{int(time.time())}-{secrets.token_hex(3)}",
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm["id"],
                "config": {
                    "priority": [str(priority)],
                    "enabled": ["true"],
                    "active": ["true"],
                    "algorithm": ["RS256"],
                    "keySize": [str(key_size)],
                },
            },
        )
        component_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        for key in self.admin("GET", "/keys").json().get("keys", []):
            if key.get("providerId") == component_id and key.get("algorithm") == "RS256":
                kid: str = key["kid"]
                return kid
        raise KeycloakStartError(f"the new key provider {component_id} published no RS256 key")

    def realm_document(self) -> dict[str, Any]:
        """The realm file this instance imported, as JSON."""
        document: dict[str, Any] = json.loads(self.realm_file.read_text())
        return document

    def client_secret(self, client_id: str) -> str:
        """A client's development secret, as the realm file gives it."""
        for client in self.realm_document()["clients"]:
            if client["clientId"] == client_id:
                return str(client["secret"])
        raise KeyError(f"no client {client_id} in the realm")

    def client_credentials_token(self, client_id: str = "franoi-integrator") -> str:
        """An access token for a machine client (the integrator's), by client credentials."""
        with httpx.Client(trust_env=False, timeout=30.0) as client:
            answer = client.post(
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=(client_id, self.client_secret(client_id)),
            )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token
