"""Fetching a release from the Maven repository into the download cache, once.

Apache Kafka's jars and Keycloak's distribution are fetched the same way: a throw-away
``pom.xml`` in the cache directory and one ``mvn`` goal, serialised across processes with a
file lock, and nothing fetched again while the cache holds a complete copy.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from franoi_devenv.process import file_lock

__all__ = ["fetch_once", "pom", "run_maven"]


def fetch_once(home: Path, cached: Callable[[], bool], fetch: Callable[[], None]) -> None:
    """Run *fetch* unless *cached* says the copy in *home* is complete; concurrent callers
    (several test processes) wait for the first one's fetch instead of doing their own."""
    if cached():
        return
    home.mkdir(parents=True, exist_ok=True)
    with file_lock(home / ".fetch.lock"):
        if not cached():
            fetch()


def pom(artifact_id: str, version: str, dependencies: Sequence[tuple[str, str, str]] = ()) -> str:
    """A ``pom.xml`` with nothing but *dependencies* (group, artifact, version)."""
    deps = "\n".join(
        "    <dependency>"
        f"<groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
        "</dependency>"
        for g, a, v in dependencies
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by franoi_devenv to fetch {artifact_id} {version}; safe to delete. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>franoi.devenv</groupId>
  <artifactId>{artifact_id}</artifactId>
  <version>{version}</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""


def run_maven(
    home: Path,
    pom_text: str,
    goal: Sequence[str],
    *,
    timeout: float,
    error: type[Exception],
) -> subprocess.CompletedProcess[str]:
    """Write *pom_text* to ``home/pom.xml`` and run ``mvn -q -B`` with *goal* in *home*.

    Raises *error* when ``mvn`` is not on PATH or runs longer than *timeout* seconds; the
    caller judges the exit status and what was fetched.
    """
    mvn = shutil.which("mvn")
    if mvn is None:
        raise error("mvn is not on PATH")
    path = home / "pom.xml"
    path.write_text(pom_text)
    argv = [mvn, "-q", "-B", "-f", str(path), *goal]
    try:
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, cwd=home, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise error(f"mvn timed out after {timeout:.0f}s: {argv}") from exc
