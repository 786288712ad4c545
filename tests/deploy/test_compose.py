"""compose.yaml is consistent with the services' code: images, commands, settings, ports, health."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from franoi_common.settings import (
    AuthSettings,
    ProjectionSettings,
    ServiceSettings,
    SignInSettings,
    topic_for,
)
from franoi_deploy_support import (
    REPO,
    SECRET_ENV_NAME,
    allowed_env,
    keeps_data,
    partner_id_is_valid,
    service_kind,
    subcommands,
    workspace_packages,
    workspace_services,
)

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
DEFAULT_HTTP_PORT = ServiceSettings.model_fields["http_port"].default


def _franoi() -> dict[str, dict[str, Any]]:
    """Compose services that run a Fra Noi image (built from the Dockerfile)."""
    return {n: s for n, s in SERVICES.items() if "build" in s}


def _service(spec: dict[str, Any]) -> str:
    return str(spec["build"]["args"]["SERVICE"])


def _env(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _one_shot(spec: dict[str, Any]) -> bool:
    return spec.get("restart") == "no"


def _long_running() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _franoi().items() if not _one_shot(s)}


FRANOI = sorted(_franoi())
LONG_RUNNING = sorted(_long_running())


# Service attributes of the Compose specification that this file may use.
COMPOSE_SERVICE_KEYS = {
    "build", "cap_drop", "command", "depends_on", "entrypoint", "environment", "healthcheck",
    "image", "ports", "profiles", "read_only", "restart", "security_opt", "tmpfs", "volumes",
}  # fmt: skip
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval"}
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def test_compose_uses_known_attributes_only() -> None:
    assert set(COMPOSE) <= {"name", "services", "volumes"} | {
        k for k in COMPOSE if k.startswith("x-")
    }
    for name, spec in SERVICES.items():
        unknown = set(spec) - COMPOSE_SERVICE_KEYS
        assert not unknown, f"{name}: unknown attributes {unknown}"
        assert set(spec.get("healthcheck", {})) <= HEALTHCHECK_KEYS, name
        for dependency, condition in (spec.get("depends_on") or {}).items():
            assert dependency in SERVICES, f"{name} depends on a missing {dependency}"
            assert condition["condition"] in DEPENDS_ON_CONDITIONS, name
        for volume in spec.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            assert source.startswith("./") or source in COMPOSE["volumes"], f"{name}: {volume}"


def test_compose_runs_the_whole_network() -> None:
    assert COMPOSE["name"] == "franoi"
    assert FRANOI, "no service built from the Dockerfile"
    assert {"postgres", "kafka", "databases", "kafka-topics"} <= SERVICES.keys()
    assert str(SERVICES["kafka"]["image"]).startswith("apache/kafka:")
    assert str(SERVICES["postgres"]["image"]).startswith("postgres:")


@pytest.mark.parametrize("name", FRANOI)
def test_images_are_built_for_workspace_services(name: str) -> None:
    spec = SERVICES[name]
    service = _service(spec)
    assert spec["build"]["context"] == "."
    assert (REPO / spec["build"]["dockerfile"]).is_file()
    packages = workspace_packages()
    package = f"franoi-{service}"
    assert package in packages, f"{name}: no workspace package {package}"
    assert package in packages[package].scripts, f"{package} has no console script {package}"
    assert packages[package].path.parent.name == "services"
    assert str(spec["image"]).startswith(f"franoi/{service}:")


def test_every_workspace_service_is_in_compose() -> None:
    running = {_service(s) for s in _long_running().values()}
    missing = set(workspace_services()) - running
    assert not missing, (
        f"add these services to compose.yaml (a -migrate and a serve container): {missing}"
    )


@pytest.mark.parametrize("name", FRANOI)
def test_commands_are_subcommands_of_the_service(name: str) -> None:
    spec = SERVICES[name]
    service = _service(spec)
    command = spec["command"]
    assert isinstance(command, list) and len(command) == 1, f"{name}: command {command!r}"
    assert command[0] in subcommands(service, service_kind(service)), f"{name}: {command[0]}"
    assert command[0] == ("migrate" if _one_shot(spec) else "serve")


def _keeps_data(name: str) -> bool:
    return keeps_data(_service(SERVICES[name]))


@pytest.mark.parametrize("name", FRANOI)
def test_environment_variables_are_settings_fields(name: str) -> None:
    spec = SERVICES[name]
    service = _service(spec)
    env = _env(spec)
    unknown = set(env) - allowed_env(service, service_kind(service))
    assert not unknown, f"{name} sets variables no settings class of {service} reads: {unknown}"
    assert env["FRANOI_SERVICE_NAME"] == service
    assert env["FRANOI_HTTP_HOST"] == "0.0.0.0"
    if service_kind(service) in ("partner", "desk"):
        assert partner_id_is_valid(env["FRANOI_PARTNER_ID"])


def _port(spec: dict[str, Any]) -> int:
    return int(_env(spec).get("FRANOI_HTTP_PORT", DEFAULT_HTTP_PORT))


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_health_checks_and_ports_match_the_http_port(name: str) -> None:
    spec = SERVICES[name]
    port = _port(spec)
    test = spec["healthcheck"]["test"]
    command = " ".join(test[1:]) if isinstance(test, list) else str(test)
    urls = re.findall(r"https?://[^/\s'\"]+(/[a-z]+)", command)
    assert urls and set(urls) <= {"/healthz", "/readyz"}, f"{name}: {command}"
    assert f":{port}/" in command, f"{name}: the health check does not use port {port}"
    for mapping in spec.get("ports", []):
        container_port = int(str(mapping).rsplit(":", 1)[-1].split("/")[0])
        assert container_port == port, f"{name}: publishes {mapping}, the service listens on {port}"


@pytest.mark.parametrize("name", [n for n in FRANOI if n not in LONG_RUNNING])
def test_one_shot_containers(name: str) -> None:
    spec = SERVICES[name]
    assert "ports" not in spec and "healthcheck" not in spec
    assert spec["command"] == ["migrate"]


def test_dashboard_is_published() -> None:
    projection = [n for n in LONG_RUNNING if _service(SERVICES[n]) == "projection"]
    assert projection
    for name in projection:
        assert SERVICES[name].get("ports"), f"{name}: publish the dashboard"


def test_start_up_order() -> None:
    for name, spec in SERVICES.items():
        for dependency, condition in (spec.get("depends_on") or {}).items():
            target = SERVICES[dependency]
            condition = condition["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in target, (
                    f"{name} waits for {dependency}, which has no health check"
                )
            elif condition == "service_completed_successfully":
                assert _one_shot(target), f"{name} waits for {dependency} to exit, but it restarts"
            else:
                pytest.fail(f"{name} -> {dependency}: use a condition, not {condition}")
    for name in LONG_RUNNING:
        spec = SERVICES[name]
        deps = spec["depends_on"]
        if not _keeps_data(name):  # a desk waits for the services it calls, healthy
            assert deps and all(d["condition"] == "service_healthy" for d in deps.values())
            assert all(_keeps_data(d) for d in deps), f"{name} waits for what it calls"
            continue
        migrate = [d for d in deps if SERVICES[d].get("command") == ["migrate"]]
        assert len(migrate) == 1, f"{name} must wait for its migration"
        (migrate_name,) = migrate
        assert deps[migrate_name]["condition"] == "service_completed_successfully"
        assert _service(SERVICES[migrate_name]) == _service(spec)
        assert _env(SERVICES[migrate_name]) == _env(spec), (
            f"{migrate_name} must migrate {name}'s database"
        )
        assert deps["kafka-topics"]["condition"] == "service_completed_successfully"
        assert (
            SERVICES[migrate_name]["depends_on"]["databases"]["condition"]
            == "service_completed_successfully"
        )
    assert SERVICES["databases"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["kafka-topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_one_database_per_service() -> None:
    created = set(_env(SERVICES["databases"])["DATABASES"].split())
    owners: dict[str, str] = {}
    for name in LONG_RUNNING:
        env = _env(SERVICES[name])
        if not _keeps_data(name):
            assert "FRANOI_DATABASE_URL" not in env, f"{name} keeps no data"
            continue
        url = urlsplit(env["FRANOI_DATABASE_URL"])
        assert url.scheme == "postgresql" and url.hostname == "postgres"
        database = url.path.lstrip("/")
        assert database in created, f"{name}: database {database} is not created"
        assert url.username == database, "each service logs in with its own role"
        identity = f"{_service(SERVICES[name])}/{env.get('FRANOI_PARTNER_ID', '')}"
        assert owners.setdefault(database, identity) == identity, (
            f"{database} shared by two services"
        )


def test_topics_for_every_partner_service() -> None:
    env = _env(SERVICES["kafka-topics"])
    created = {topic_for(p, d) for p in env["PARTNERS"].split() for d in env["DOMAINS"].split()}
    projection_env = next(
        _env(SERVICES[n]) for n in LONG_RUNNING if _service(SERVICES[n]) == "projection"
    )
    defaults = ProjectionSettings()
    pattern = re.compile(projection_env.get("FRANOI_TOPIC_PATTERN", defaults.topic_pattern))
    assert env["DEAD_LETTER_TOPIC"] == projection_env.get(
        "FRANOI_DEAD_LETTER_TOPIC", defaults.dead_letter_topic
    )
    published = set()
    for name in LONG_RUNNING:
        spec = SERVICES[name]
        if service_kind(_service(spec)) == "partner":
            # An instance shared by several partners publishes to each partner's topic.
            for partner in _env(spec)["FRANOI_PARTNER_ID"].split(","):
                topic = topic_for(partner, _service(spec))
                assert topic in created, (
                    f"{name} publishes to {topic}, which kafka-topics does not create"
                )
                assert topic not in published, f"two services publish to {topic}"
                published.add(topic)
                assert pattern.fullmatch(topic), f"the projection does not consume {topic}"
    assert published


def test_kafka_is_a_single_kraft_node() -> None:
    env = _env(SERVICES["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==") and len(env["CLUSTER_ID"]) == 22
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", (
        "topics are created with their settings"
    )
    advertised = env["KAFKA_ADVERTISED_LISTENERS"]
    for name in FRANOI:
        bootstrap = _env(SERVICES[name])["FRANOI_KAFKA_BOOTSTRAP"]
        assert f"//{bootstrap}" in advertised, f"{name}: {bootstrap} is not an advertised listener"


def test_service_containers_are_hardened() -> None:
    for name in FRANOI:
        spec = SERVICES[name]
        assert spec["read_only"] is True, name
        assert spec["cap_drop"] == ["ALL"], name
        assert "/tmp" in spec["tmpfs"], name
        assert "no-new-privileges:true" in spec["security_opt"], name


def test_mounted_files_exist() -> None:
    for name, spec in SERVICES.items():
        for volume in spec.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts a missing {source}"


def _interpolations() -> list[tuple[str, str | None, str]]:
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), m.group(3) or "") for m in INTERPOLATION.finditer(text)]


def _env_example() -> dict[str, str]:
    entries = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            entries[key.strip()] = value.strip()
    return entries


def test_secrets_come_from_the_env_file() -> None:
    for name, spec in SERVICES.items():
        for key, value in _env(spec).items():
            if SECRET_ENV_NAME.search(key) or "PASSWORD" in key:
                assert "${" in value, f"{name}: {key} must come from .env, not from compose.yaml"
    example = _env_example()
    for variable, operator, _ in _interpolations():
        if operator not in (":-", "-"):
            assert variable in example, f"compose.yaml needs {variable}: add it to .env.example"
    for variable, value in example.items():
        if SECRET_ENV_NAME.search(variable) or "PASSWORD" in variable:
            assert value.startswith("change-me"), f".env.example: {variable} must be a placeholder"
    used = {v for v, _, _ in _interpolations()}
    assert set(example) <= used, f".env.example defines unused {set(example) - used}"
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()


# --------------------------------------------------------------------------- the identity provider

IDP_PROFILE = "idp"
# The variables that switch the network from the development sign-in to Keycloak, and the
# value each takes then (compose.yaml's header and .env.example list them).
IDP_SWITCH = {
    "FRANOI_JWT_OIDC": "true",
    "FRANOI_JWT_ISSUER": "http://127.0.0.1:8180/realms/franoi",
    "FRANOI_JWT_PARTNER_CLAIM": "partner",
    "FRANOI_OIDC_ISSUER": "http://127.0.0.1:8180/realms/franoi",
    "FRANOI_DEV_SIGN_IN": "false",
    "FRANOI_DESK_OIDC_CLIENT_SECRET": None,
    "FRANOI_DASHBOARD_OIDC_CLIENT_SECRET": None,
}


def _keycloak() -> dict[str, Any]:
    found = [s for s in SERVICES.values() if str(s.get("image", "")).startswith("keycloak/")]
    assert len(found) == 1, "one Keycloak service"
    return found[0]


def test_keycloak_runs_with_the_network_realm_under_its_profile() -> None:
    keycloak = _keycloak()
    assert keycloak["image"] == "keycloak/keycloak:26.4"
    assert keycloak["profiles"] == [IDP_PROFILE], "the default `up` keeps the development sign-in"
    assert keycloak["command"] == ["start-dev", "--import-realm"]
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in keycloak["volumes"]}
    realm_dir = REPO / mounts["/opt/keycloak/data/import"]
    assert realm_dir.is_dir() and (realm_dir / "franoi-realm.json").is_file()
    env = _env(keycloak)
    for variable in ("KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"):
        assert env[variable].startswith(f"${{{variable}"), f"{variable} comes from .env"
    # The issuer browsers see is the published port; containers use the back channel.
    (port,) = keycloak["ports"]
    host_port = str(port).split(":")[1]
    assert env["KC_HOSTNAME"] == f"http://127.0.0.1:{host_port}"
    assert env["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"
    assert IDP_SWITCH["FRANOI_OIDC_ISSUER"] == f"{env['KC_HOSTNAME']}/realms/franoi"
    for name, spec in SERVICES.items():
        if spec is not keycloak:
            assert "profiles" not in spec, f"{name} must run without a profile"


def _default(value: str) -> str | None:
    """The value of ``${NAME:-default}`` when NAME is unset, or None when it is not one."""
    match = INTERPOLATION.fullmatch(value)
    return match.group(3) if match and match.group(2) == ":-" else None


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_the_default_is_the_development_sign_in(name: str) -> None:
    env = _env(SERVICES[name])
    assert _default(env["FRANOI_JWT_OIDC"]) == "false"
    assert _default(env["FRANOI_JWT_ISSUER"]) == AuthSettings.model_fields["issuer"].default
    assert (
        _default(env["FRANOI_JWT_PARTNER_CLAIM"])
        == AuthSettings.model_fields["partner_claim"].default
    )
    service = _service(SERVICES[name])
    if service in ("desk", "projection"):
        assert _default(env["FRANOI_OIDC_ISSUER"]) == "", "no issuer: no sign-in with Keycloak"
        assert env["FRANOI_OIDC_CLIENT_SECRET"].startswith("${")
    if service == "desk":
        assert _default(env["FRANOI_DEV_SIGN_IN"]) == "true"


def test_the_switch_to_keycloak_is_documented_and_wired() -> None:
    header = (REPO / "compose.yaml").read_text(encoding="utf-8").split("\nname:", 1)[0]
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    used = {variable for variable, _, _ in _interpolations()}
    for variable, value in IDP_SWITCH.items():
        assert variable in used, f"compose.yaml does not read {variable}"
        line = f"{variable}={value}" if value else f"{variable}="
        assert line in header, f"compose.yaml's header does not say {line}"
        assert f"#{line}" in example, f".env.example does not list {line}"
    desks = [n for n in LONG_RUNNING if _service(SERVICES[n]) == "desk"]
    assert desks
    for name in [*desks, "projection"]:
        env = _env(SERVICES[name])
        client = "franoi-desk" if name in desks else "franoi-dashboard"
        assert env["FRANOI_OIDC_CLIENT_ID"] == client
        # Keycloak sends people back to the address their browser used: the published port.
        (published,) = SERVICES[name]["ports"]
        assert env["FRANOI_OIDC_PUBLIC_URL"] == "http://" + str(published).rsplit(":", 1)[0]
        discovery = urlsplit(env["FRANOI_OIDC_DISCOVERY_URL"])
        assert discovery.hostname == "keycloak" and discovery.path.startswith("/realms/franoi/")
        assert SignInSettings(issuer=IDP_SWITCH["FRANOI_OIDC_ISSUER"], client_id=client).enabled
    for name in LONG_RUNNING:
        discovery = urlsplit(_env(SERVICES[name])["FRANOI_JWT_DISCOVERY_URL"])
        assert discovery.hostname == "keycloak", name
