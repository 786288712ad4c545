"""docs/deploy.md matches what the chart renders; the deployment files name nothing local."""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from franoi_deploy_support import CHART, REPO, Rendered, deep_merge, load_values

DOC = REPO / "docs" / "deploy.md"
TEXT = DOC.read_text(encoding="utf-8")

DEPLOYMENT_FILES = [
    REPO / "Dockerfile",
    REPO / ".dockerignore",
    REPO / "compose.yaml",
    REPO / ".env.example",
    DOC,
    *sorted(p for p in (REPO / "deploy").rglob("*") if p.is_file()),
    *sorted(
        p
        for p in (REPO / "tests" / "deploy").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ),
]


def _headings() -> list[str]:
    return [line.lstrip("#").strip() for line in TEXT.splitlines() if line.startswith("#")]


def test_the_guide_covers_joining_operating_and_backups() -> None:
    headings = _headings()
    for heading in (
        "A new partner joins the network",
        "1. Its id (consortium)",
        "2. Its topics (consortium)",
        "3. Its credentials (consortium)",
        "5. The Secrets",
        "6. The values file",
        "7. Install",
        "8. Check",
        "The consortium operates the projection",
        "Consumer lag",
        "Scaling the consumer group",
        "Rebuilding the projection",
        "What to back up",
        "Sign-in with the identity provider",
        "Keycloak (an existing server or the Keycloak operator)",
        "Microsoft Entra ID",
        "Google",
    ):
        assert heading in headings, f"docs/deploy.md lacks the section {heading!r}"


def test_files_named_in_the_guide_exist() -> None:
    named = set(re.findall(r"`((?:deploy|docs|libs|services|tests)/[^`\s]+)`", TEXT))
    named |= {n for n in ("Dockerfile", "compose.yaml", ".env.example") if f"`{n}`" in TEXT}
    assert named
    for name in named:
        assert (REPO / name).exists(), f"docs/deploy.md names {name}, which does not exist"


def _secret_commands() -> dict[str, set[str]]:
    """Secret name -> keys, from the guide's `kubectl create secret generic` commands."""
    joined = TEXT.replace("\\\n", " ")  # continuation lines
    secrets: dict[str, set[str]] = {}
    for command in re.findall(r"create secret generic [^\n]*", joined):
        words = shlex.split(command)
        name = words[3]
        keys = secrets.setdefault(name, set())
        for word in words[4:]:
            match = re.match(r"--from-(?:literal|file)=([^=]+)=", word)
            if match:
                keys.add(match.group(1))
    return secrets


def _secret_references(rendered: Rendered) -> dict[str, set[str]]:
    references: dict[str, set[str]] = {}
    for _, container in rendered.containers():
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                references.setdefault(ref["name"], set()).add(ref["key"])
    for _, spec, _ in rendered.pod_specs():
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                keys = {item["key"] for item in volume["secret"].get("items", [])}
                references.setdefault(volume["secret"]["secretName"], set()).update(keys)
    return references


def test_the_partners_secrets_are_the_ones_the_chart_reads(partner: Rendered) -> None:
    created = _secret_commands()
    needed = _secret_references(partner)
    for name, keys in needed.items():
        assert name in created, f"docs/deploy.md does not create the Secret {name}"
        assert keys <= created[name], (
            f"{name}: the chart reads {keys}, the guide sets {created[name]}"
        )


def test_the_consortiums_secrets_exist(consortium: Rendered) -> None:
    created = _secret_commands()
    strimzi = {  # written by Strimzi's operators
        consortium.values["strimzi"]["users"]["projectionUser"],
        f"{consortium.values['strimzi']['clusterName']}-cluster-ca-cert",
    }
    for name in _secret_references(consortium):
        assert name in created or name in strimzi, f"nothing creates the Secret {name}"
    assert consortium.values["kafka"]["sasl"]["existingSecret"] in strimzi
    directory = consortium.services()["projection"]["partnerDirectory"]["existingConfigMap"]
    assert f"create configmap {directory}" in TEXT


def test_resource_names_in_the_guide_are_rendered(partner: Rendered, consortium: Rendered) -> None:
    kinds = {"deploy": "Deployment", "job": "Job", "svc": "Service", "kafkatopic": "KafkaTopic"}
    found = re.findall(r"\b(deploy|job|svc)/([a-z0-9-]+)(?![/\w.-])", TEXT)
    found += re.findall(r"get (kafkatopic) ([a-z0-9-]+)", TEXT)
    assert found
    names = {(d["kind"], d["metadata"]["name"]) for d in partner.docs + consortium.docs}
    for short, name in found:
        assert (kinds[short], name) in names, f"docs/deploy.md mentions {short}/{name}"


def test_set_flags_in_the_guide_are_chart_values(consortium: Rendered) -> None:
    flags = re.findall(r"--set ([A-Za-z0-9_.]+)=", TEXT)
    assert flags
    services = consortium.services(enabled_only=False)
    for flag in flags:
        node: Any = {**consortium.merged_values, "services": services}
        for key in flag.split("."):
            assert isinstance(node, dict) and key in node, f"--set {flag}: no such value"
            node = node[key]


def test_example_values_files_are_the_ones_the_guide_copies() -> None:
    for example in ("partner", "consortium"):
        path = CHART / f"values-{example}.example.yaml"
        assert f"deploy/helm/franoi/{path.name}" in TEXT
        assert load_values(example)


def test_the_realm_file_agrees_with_the_examples_and_compose() -> None:
    """The claims the realm's mappers write are the ones the chart's examples and Compose read."""
    realm = json.loads((REPO / "deploy" / "keycloak" / "franoi-realm.json").read_text("utf-8"))
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert {"franoi-desk", "franoi-dashboard", "franoi-integrator"} <= clients.keys()
    defaults = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    header = (REPO / "compose.yaml").read_text(encoding="utf-8").split("\nname:", 1)[0]
    for name in ("franoi-desk", "franoi-dashboard"):
        client = clients[name]
        scopes = set(client.get("defaultClientScopes", []))
        mappers = [
            *client.get("protocolMappers", []),
            *(
                m
                for scope in realm.get("clientScopes", [])
                if scope["name"] in scopes
                for m in scope.get("protocolMappers", [])
            ),
        ]
        partner = {
            m["config"]["claim.name"]
            for m in mappers
            if m["config"].get("user.attribute") == "partner" and "claim.name" in m["config"]
        }
        audiences = {
            m["config"]["included.custom.audience"]
            for m in mappers
            if "included.custom.audience" in m["config"]
        }
        for example in ("partner", "consortium"):
            merged = deep_merge(defaults, load_values(example))
            assert partner == {merged["auth"]["claims"]["partner"] or "partner_id"}, (name, example)
            assert merged["auth"]["jwt"]["audience"] in audiences, (name, example)
        (claim,) = partner  # Compose's switch to Keycloak reads the same claim
        assert f"FRANOI_JWT_PARTNER_CLAIM={claim}" in header, name


# --------------------------------------------------------------------------- hygiene


def _registry_hosts() -> set[str]:
    """Hosts of the package registries the lock file resolves from (named nowhere else)."""
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    hosts = set()
    for package in lock.get("package", []):
        source = package.get("source", {})
        for url in (source.get("registry"), *(a.get("url") for a in package.get("wheels", []))):
            if isinstance(url, str) and "://" in url:
                hosts.add(urlsplit(url).hostname or "")
        sdist = package.get("sdist", {})
        if isinstance(sdist.get("url"), str):
            hosts.add(urlsplit(sdist["url"]).hostname or "")
    return {h for h in hosts if h}


def _machine_paths() -> set[str]:
    paths = {str(REPO)}
    for variable in ("UV", "VIRTUAL_ENV", "UV_CACHE_DIR"):
        if os.environ.get(variable):
            paths.add(str(Path(os.environ[variable]).parent))
    return {p for p in paths if p not in ("/", "")}


@pytest.mark.parametrize("path", DEPLOYMENT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_files_name_no_registry_host_and_no_local_path(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for host in _registry_hosts():
        assert host not in text, f"{path.relative_to(REPO)} names a package registry host"
    for local in _machine_paths():
        assert local not in text, f"{path.relative_to(REPO)} contains a path of this machine"
