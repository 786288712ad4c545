"""What matters in the rendered chart: services, probes, security, hooks, labels, secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from franoi_common.retention import retention_ms
from franoi_common.settings import ProjectionSettings, topic_for
from franoi_deploy_support import (
    CHART,
    SECRET_ENV_NAME,
    Rendered,
    allowed_env,
    annotations,
    deep_merge,
    env_of,
    keeps_data,
    load_values,
    partner_id_is_valid,
    selector_matches,
    subcommands,
)

SELECTOR_KEYS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
}
STANDARD_LABELS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/part-of",
    "helm.sh/chart",
}


def _app_names(rendered: Rendered, kind: str) -> set[str]:
    return {d["metadata"]["labels"]["app.kubernetes.io/name"] for d in rendered.kind(kind)}


def _service_of(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/name"]).removeprefix("franoi-")


# --------------------------------------------------------------------------- which services


def test_partner_installs_its_domain_services_and_its_desk(partner: Rendered) -> None:
    assert _app_names(partner, "Deployment") == {"franoi-housing", "franoi-cases", "franoi-desk"}
    assert _app_names(partner, "Service") == {"franoi-housing", "franoi-cases", "franoi-desk"}
    # The desk migrates nothing.
    assert _app_names(partner, "Job") == {"franoi-housing", "franoi-cases"}
    assert not [d for d in partner.docs if "projection" in d["metadata"]["name"]]
    assert not partner.kind("KafkaTopic") and not partner.kind("KafkaUser")


def test_consortium_installs_only_the_projection(consortium: Rendered) -> None:
    assert _app_names(consortium, "Deployment") == {"franoi-projection"}
    assert _app_names(consortium, "Service") == {"franoi-projection"}
    assert _app_names(consortium, "Job") == {"franoi-projection"}
    workloads = consortium.kind("Deployment") + consortium.kind("Job") + consortium.kind("Service")
    assert not [d for d in workloads if "housing" in d["metadata"]["name"]]


def test_every_enabled_service_and_only_those_are_deployed(example: Rendered) -> None:
    enabled = set(example.services())
    assert enabled, "the example enables no service"
    assert {_service_of(d) for d in example.kind("Deployment")} == enabled
    assert {_service_of(d) for d in example.kind("Service")} == enabled
    assert {_service_of(d) for d in example.kind("NetworkPolicy")} == enabled
    with_migration = {
        n for n, s in example.services().items() if s["migration"]["enabled"] and keeps_data(n)
    }
    assert {_service_of(d) for d in example.kind("Job")} == with_migration


def test_enabling_a_service_is_a_values_block(render: Any) -> None:
    values = deep_merge(
        load_values("partner"),
        {
            "services": {
                "events": {
                    "enabled": True,
                    "image": {"repository": "franoi/events"},
                    "database": {"existingSecret": "events-db"},
                }
            }
        },
    )
    rendered = render(values, release="franoi-p07")
    deployment = rendered.get("Deployment", "franoi-p07-events")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = env_of(container)
    assert env["FRANOI_PARTNER_ID"]["value"] == "p07"
    assert env["FRANOI_SERVICE_NAME"]["value"] == "events"
    assert container["image"] == "franoi/events:0.1.0"
    assert rendered.get("Job", "franoi-p07-events-migrate")
    assert rendered.get("Service", "franoi-p07-events")
    assert "franoi.p07.events.v1" in rendered.notes()


def test_cases_reads_its_encryption_key_from_a_secret(render: Any) -> None:
    values = deep_merge(
        load_values("partner"),
        {"services": {"cases": {"enabled": True, "database": {"existingSecret": "cases-db"}}}},
    )
    rendered = render(values, release="franoi-p07")
    for kind, name in (("Deployment", "franoi-p07-cases"), ("Job", "franoi-p07-cases-migrate")):
        spec = rendered.get(kind, name)["spec"]["template"]["spec"]
        env = env_of(spec["containers"][0])
        assert env["FRANOI_CASES_ENCRYPTION_KEY"]["valueFrom"]["secretKeyRef"] == {
            "name": "franoi-cases-encryption",
            "key": "key",
        }
        assert "value" not in env["FRANOI_CASES_ENCRYPTION_KEY"]


# --------------------------------------------------------------------------- probes and ports


def test_deployments_have_liveness_readiness_and_startup_probes(example: Rendered) -> None:
    """API pods and separate workers (relay / consume serve /healthz and /readyz) alike."""
    for deployment in example.kind("Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        name = deployment["metadata"]["name"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http"] == int(env_of(container)["FRANOI_HTTP_PORT"]["value"]), name
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert env_of(container)["FRANOI_HTTP_HOST"]["value"] == "0.0.0.0"


def test_services_route_to_the_http_port(example: Rendered) -> None:
    for service in example.kind("Service"):
        (port,) = service["spec"]["ports"]
        assert port["targetPort"] == "http"
        assert service["spec"]["type"] == "ClusterIP"


def test_commands_are_the_services_subcommands(example: Rendered) -> None:
    services = example.services()
    for doc, container in example.containers():
        if doc["kind"] == "Pod":  # the helm test client runs python, not the service
            continue
        service = _service_of(doc)
        args = container["args"]
        assert len(args) == 1 and args[0] in subcommands(service, services[service]["kind"]), (
            doc["metadata"]["name"],
            args,
        )
        component = doc["metadata"]["labels"]["app.kubernetes.io/component"]
        expected = {
            "api": "serve",
            "relay": "relay",
            "consumer": "consume",
            "migration": "migrate",
            "rebuild": "rebuild",
        }
        assert args == [expected[component]]


def test_separate_workers(all_features: Rendered) -> None:
    relay = all_features.get("Deployment", "net-franoi-housing-relay")
    assert relay["spec"]["replicas"] == all_features.services()["housing"]["worker"]["replicas"]
    api = all_features.get("Deployment", "net-franoi-housing")
    assert env_of(api["spec"]["template"]["spec"]["containers"][0])["FRANOI_RELAY_ENABLED"] == {
        "name": "FRANOI_RELAY_ENABLED",
        "value": "false",
    }
    consumer = all_features.get("Deployment", "net-franoi-projection-consumer")
    assert consumer["spec"]["replicas"] == 3
    for worker in (relay, consumer):
        (container,) = worker["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    api = all_features.get("Deployment", "net-franoi-projection")
    env = env_of(api["spec"]["template"]["spec"]["containers"][0])
    assert env["FRANOI_CONSUMER_ENABLED"]["value"] == "false"


def test_in_process_workers_by_default(consortium: Rendered, render: Any) -> None:
    api = consortium.kind("Deployment")[0]
    env = env_of(api["spec"]["template"]["spec"]["containers"][0])
    assert env["FRANOI_CONSUMER_ENABLED"]["value"] == "true"
    values = deep_merge(
        load_values("partner"), {"services": {"housing": {"worker": {"separate": False}}}}
    )
    deployment = render(values).get("Deployment", "franoi-test-housing")
    env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["FRANOI_RELAY_ENABLED"]["value"] == "true"


# --------------------------------------------------------------------------- security


def test_pods_are_hardened(example: Rendered) -> None:
    values = example.merged_values
    for doc, spec, _ in example.pod_specs():
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, name
        assert pod_sc["runAsUser"] != 0, name
        assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["enableServiceLinks"] is False, name
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        assert not [v for v in volumes.values() if "hostPath" in v], name
        assert volumes["tmp"]["emptyDir"]["sizeLimit"] == values["tmpVolume"]["sizeLimit"]
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["privileged"] is False, name
            assert sc["runAsNonRoot"] is True, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts["/tmp"] == "tmp", f"{name}: the read-only root needs a writable /tmp"
            assert container["resources"].get("limits", {}).get("memory"), name


def test_service_accounts_mount_no_token(example: Rendered) -> None:
    for account in example.kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


# --------------------------------------------------------------------------- migration hook


def test_rebuild_job_only_when_asked_and_not_a_hook(
    all_features: Rendered, consortium: Rendered
) -> None:
    assert not [
        job
        for job in consortium.kind("Job")
        if job["metadata"]["labels"]["app.kubernetes.io/component"] == "rebuild"
    ]
    (job,) = [
        job
        for job in all_features.kind("Job")
        if job["metadata"]["labels"]["app.kubernetes.io/component"] == "rebuild"
    ]
    assert "helm.sh/hook" not in annotations(job)
    assert job["metadata"]["name"].startswith("net-franoi-projection-rebuild-")
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["activeDeadlineSeconds"] > 0
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["rebuild"]
    api = all_features.get("Deployment", "net-franoi-projection")
    api_env = env_of(api["spec"]["template"]["spec"]["containers"][0])
    assert env_of(container)["FRANOI_DATABASE_URL"] == api_env["FRANOI_DATABASE_URL"]
    assert env_of(container)["FRANOI_CONSUMER_GROUP"] == api_env["FRANOI_CONSUMER_GROUP"]


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(example: Rendered) -> None:
    deployments = {
        _service_of(d): d
        for d in example.kind("Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == "api"
    }
    created_accounts = {a["metadata"]["name"] for a in example.kind("ServiceAccount")}
    for job in example.kind("Job"):
        if job["metadata"]["labels"]["app.kubernetes.io/component"] != "migration":
            continue
        notes = annotations(job)
        assert set(notes["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
        assert "before-hook-creation" in notes["helm.sh/hook-delete-policy"]
        assert int(notes["helm.sh/hook-weight"]) < 0
        spec = job["spec"]["template"]["spec"]
        assert spec["restartPolicy"] == "Never"
        assert job["spec"]["backoffLimit"] >= 0 and job["spec"]["activeDeadlineSeconds"] > 0
        # Hooks run before the release's own resources exist.
        assert spec.get("serviceAccountName") not in created_accounts
        (container,) = spec["containers"]
        assert container["args"] == ["migrate"]
        api = deployments[_service_of(job)]["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == api["image"], "migrations run with the image being rolled out"
        job_env, api_env = env_of(container), env_of(api)
        assert job_env["FRANOI_DATABASE_URL"] == api_env["FRANOI_DATABASE_URL"]
        assert "FRANOI_KAFKA_SASL_PASSWORD" not in job_env


def test_helm_test_checks_readyz_through_each_service(example: Rendered) -> None:
    services = {d["metadata"]["name"]: d for d in example.kind("Service")}
    tests = [p for p in example.kind("Pod") if annotations(p).get("helm.sh/hook") == "test"]
    assert len(tests) == len(services)
    for pod in tests:
        script = "\n".join(pod["spec"]["containers"][0]["command"])
        url = re.search(r"http://([a-z0-9-]+):(\d+)/readyz", script)
        assert url, script
        service = services[url.group(1)]
        assert int(url.group(2)) == service["spec"]["ports"][0]["port"]


# --------------------------------------------------------------------------- labels and selectors


def test_standard_labels_everywhere(example: Rendered) -> None:
    for doc in example.docs:
        labels = doc["metadata"].get("labels") or {}
        missing = STANDARD_LABELS - labels.keys()
        assert not missing, f"{doc['kind']}/{doc['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
    for doc, _, pod_labels in example.pod_specs():
        assert not STANDARD_LABELS - pod_labels.keys(), doc["metadata"]["name"]


def _selectors(rendered: Rendered) -> list[tuple[str, dict[str, str]]]:
    found = []
    for doc in rendered.docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind in ("Deployment", "PodDisruptionBudget"):
            found.append((f"{kind}/{name}", doc["spec"]["selector"]["matchLabels"]))
        elif kind == "Service":
            found.append((f"{kind}/{name}", doc["spec"]["selector"]))
        elif kind == "NetworkPolicy":
            found.append((f"{kind}/{name}", doc["spec"]["podSelector"]["matchLabels"]))
    return found


def test_selectors_use_only_stable_labels(example: Rendered) -> None:
    for where, selector in _selectors(example):
        assert {"app.kubernetes.io/name", "app.kubernetes.io/instance"} <= selector.keys(), where
        assert selector.keys() <= SELECTOR_KEYS, (
            f"{where} selects on {set(selector) - SELECTOR_KEYS}"
        )


def test_each_workload_selector_matches_its_own_pods_only(example: Rendered) -> None:
    pods = [
        (f"{d['kind']}/{d['metadata']['name']}", labels) for d, _, labels in example.pod_specs()
    ]
    for deployment in example.kind("Deployment"):
        own = f"Deployment/{deployment['metadata']['name']}"
        selector = deployment["spec"]["selector"]["matchLabels"]
        matched = [where for where, labels in pods if selector_matches(selector, labels)]
        assert matched == [own], f"{own} selects {matched}"
    api_pods = {
        _service_of(d): f"Deployment/{d['metadata']['name']}"
        for d in example.kind("Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == "api"
    }
    for kind in ("Service", "PodDisruptionBudget"):
        for doc in example.kind(kind):
            if (
                kind == "PodDisruptionBudget"
                and doc["metadata"]["labels"]["app.kubernetes.io/component"] != "api"
            ):
                continue
            selector = doc["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            matched = [where for where, labels in pods if selector_matches(selector, labels)]
            assert matched == [api_pods[_service_of(doc)]], (
                f"{kind}/{doc['metadata']['name']}: {matched}"
            )


def test_network_policy_covers_all_pods_of_its_service(example: Rendered) -> None:
    for policy in example.kind("NetworkPolicy"):
        selector = policy["spec"]["podSelector"]["matchLabels"]
        service = _service_of(policy)
        for doc, _, labels in example.pod_specs():
            if doc["kind"] == "Pod":
                continue
            assert selector_matches(selector, labels) == (_service_of(doc) == service), doc[
                "metadata"
            ]["name"]


def test_references_point_at_rendered_objects(example: Rendered) -> None:
    deployments = {d["metadata"]["name"] for d in example.kind("Deployment")}
    services = {d["metadata"]["name"]: d for d in example.kind("Service")}
    for hpa in example.kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        assert "replicas" not in example.get("Deployment", target["name"])["spec"], (
            "an autoscaled Deployment must not set replicas"
        )
    for ingress in example.kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] in services
                assert (
                    backend["port"]["name"] == services[backend["name"]]["spec"]["ports"][0]["name"]
                )


def test_pdb_only_where_more_than_one_pod_runs(
    partner: Rendered, consortium: Rendered, render: Any
) -> None:
    # housing and the desk: 2 replicas each; cases: 1
    assert {_service_of(p) for p in partner.kind("PodDisruptionBudget")} == {"housing", "desk"}
    assert not partner.kind("HorizontalPodAutoscaler")
    assert len(consortium.kind("HorizontalPodAutoscaler")) == 1
    assert len(consortium.kind("PodDisruptionBudget")) == 1
    single = deep_merge(
        load_values("partner"),
        {"services": {"housing": {"replicas": 1}, "desk": {"replicas": 1}}},
    )
    assert not render(single).kind("PodDisruptionBudget")


# --------------------------------------------------------------------------- network policies


def test_network_policies_allow_only_what_the_services_need(example: Rendered) -> None:
    services = example.services()
    merged = example.merged_values
    otel = bool(merged["telemetry"]["otelExporterEndpoint"])
    provider_ports = set(merged["networkPolicy"]["egress"]["identityProviderPorts"])
    for policy in example.kind("NetworkPolicy"):
        spec = policy["spec"]
        svc = services[_service_of(policy)]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        (ingress,) = spec["ingress"]
        assert [p["port"] for p in ingress["ports"]] == [svc["containerPort"]]
        assert ingress["from"], "HTTP must not be open to everyone by default"
        ports = {p["port"] for rule in spec["egress"] for p in rule.get("ports", [])}
        assert 53 in ports
        if svc["kind"] == "desk":  # no database, no broker
            assert not {5432, 9092} & ports, policy["metadata"]["name"]
        else:
            assert {5432, 9092} <= ports
        assert (4318 in ports) == otel
        talks_to_provider = merged["auth"]["mode"] == "oidc" or svc["signIn"]["enabled"]
        assert (provider_ports <= ports) == talks_to_provider, policy["metadata"]["name"]


# ------------------------------------------------------------------ environment and secrets


def test_environment_names_are_settings_of_the_services(example: Rendered) -> None:
    services = example.services()
    for doc, container in example.containers():
        if doc["kind"] == "Pod":
            continue
        service = _service_of(doc)
        allowed = allowed_env(service, services[service]["kind"])
        names = {e["name"] for e in container["env"]}
        assert len(names) == len(container["env"]), (
            f"duplicate variables in {doc['metadata']['name']}"
        )
        unknown = {n for n in names if n.startswith("FRANOI_")} - allowed
        assert not unknown, (
            f"{doc['metadata']['name']} sets variables no settings class reads: {unknown}"
        )


def test_partner_identity_and_topics(partner: Rendered) -> None:
    env = env_of(partner.kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0])
    partner_id = env["FRANOI_PARTNER_ID"]["value"]
    assert partner_id == partner.values["partnerId"]
    assert partner_id_is_valid(partner_id)
    assert f"publishes to topic: {topic_for(partner_id, 'housing')}" in partner.notes()


def test_secrets_only_come_from_secret_references(example: Rendered) -> None:
    merged = example.merged_values
    services = example.services().values()
    configured = {
        merged["kafka"]["sasl"]["existingSecret"],
        merged["auth"]["jwt"]["existingSecret"],
        merged["pseudonym"]["existingSecret"],
        *(s["database"]["existingSecret"] for s in services),
        *(ref["existingSecret"] for s in services for ref in s["secretEnv"].values()),
        *(s["signIn"]["existingSecret"] for s in services if s["signIn"]["enabled"]),
    }
    assert not example.kind("Secret") and not example.kind("ConfigMap")
    for doc, container in example.containers():
        for entry in container.get("env", []):
            where = f"{doc['metadata']['name']}: {entry['name']}"
            if SECRET_ENV_NAME.search(entry["name"]):
                assert "value" not in entry, f"{where} has a plain value"
                ref = entry["valueFrom"]["secretKeyRef"]
                assert ref["name"] in configured, where
            else:
                value = str(entry.get("value", ""))
                assert "://" not in value or "@" not in value, (
                    f"{where} looks like a URL with credentials"
                )
                assert "PRIVATE KEY" not in value
    from_secrets = {
        e["name"] for _, c in example.containers() for e in c.get("env", []) if "valueFrom" in e
    }
    assert "FRANOI_DATABASE_URL" in from_secrets
    # The static key is read from its Secret; with oidc the services fetch the provider's keys.
    assert ("FRANOI_JWT_KEY" in from_secrets) == (merged["auth"]["mode"] == "staticKey")


def test_no_secret_values_in_the_values_files() -> None:
    """Values hold Secret names and keys, never the secrets themselves."""
    reference_key = re.compile(r"(existingSecret|caSecret|tlsSecret|Key|key)$")
    secret_word = re.compile(r"(?i)(password|secret|token|credential|private)")
    credentials_url = re.compile(r"[a-z]+://[^\s:@/]+:[^\s@/]+@")

    def leaves(node: Any, trail: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from leaves(value, f"{trail}.{key}" if trail else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from leaves(value, f"{trail}[{i}]")
        else:
            yield trail, node

    for path in [CHART / "values.yaml", *sorted(CHART.glob("values-*.example.yaml"))]:
        for trail, value in leaves(yaml.safe_load(path.read_text(encoding="utf-8")), ""):
            leaf = trail.rsplit(".", 1)[-1]
            if secret_word.search(leaf) and value not in ("", None):
                assert reference_key.search(leaf), f"{path.name}: {trail} looks like a secret value"
            text = str(value)
            assert "PRIVATE KEY" not in text, f"{path.name}: {trail}"
            assert not credentials_url.search(text), f"{path.name}: {trail}"


def test_pseudonym_key_required_in_production(partner: Rendered) -> None:
    env = env_of(
        partner.get("Deployment", "franoi-p07-housing")["spec"]["template"]["spec"]["containers"][0]
    )
    assert env["FRANOI_ENV"]["value"] == "production"
    assert (
        env["FRANOI_PSEUDONYM_KEY"]["valueFrom"]["secretKeyRef"]["name"]
        == "franoi-network-pseudonym"
    )


def test_static_key_mode_reads_the_jwt_key_from_a_secret(consortium: Rendered) -> None:
    assert consortium.values["auth"]["mode"] == "staticKey"
    for doc, container in consortium.containers():
        if doc["kind"] == "Pod":
            continue
        env = env_of(container)
        assert env["FRANOI_JWT_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "franoi-jwt"
        assert env["FRANOI_JWT_ALGORITHM"]["value"] == "RS256"
        assert "FRANOI_JWT_OIDC" not in env and "FRANOI_JWT_DISCOVERY_URL" not in env


def test_kafka_tls_and_sasl_from_secrets(partner: Rendered) -> None:
    for deployment in partner.kind("Deployment"):
        if _service_of(deployment) == "desk":  # it talks to no broker
            continue
        spec = deployment["spec"]["template"]["spec"]
        env = env_of(spec["containers"][0])
        assert env["FRANOI_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
        assert env["FRANOI_KAFKA_SASL_USERNAME"]["value"] == "franoi-p07"
        assert env["FRANOI_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "franoi-p07-kafka",
            "key": "password",
        }
        cafile = env["FRANOI_KAFKA_SSL_CAFILE"]["value"]
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert cafile.startswith(mounts["kafka-ca"] + "/")
        volume = next(v for v in spec["volumes"] if v["name"] == "kafka-ca")
        assert volume["secret"]["secretName"] == "franoi-p07-kafka-ca"


def test_opentelemetry_endpoint_is_configurable(consortium: Rendered, partner: Rendered) -> None:
    endpoint = consortium.values["telemetry"]["otelExporterEndpoint"]
    for _, container in consortium.containers():
        if container["name"] == "readyz":
            continue
        assert env_of(container)["FRANOI_OTEL_EXPORTER_ENDPOINT"]["value"] == endpoint
    for _, container in partner.containers():
        assert "FRANOI_OTEL_EXPORTER_ENDPOINT" not in env_of(container)


def test_extra_env_overrides_without_duplicates(all_features: Rendered) -> None:
    container = all_features.get("Deployment", "net-franoi-housing")["spec"]["template"]["spec"][
        "containers"
    ][0]
    env = env_of(container)
    assert env["FRANOI_LOG_LEVEL"]["value"] == "DEBUG"
    assert env["FRANOI_KAFKA_TOPIC_PARTITIONS"]["value"] == "6"


def test_projection_settings_and_partner_directory(all_features: Rendered) -> None:
    spec = all_features.get("Deployment", "net-franoi-projection")["spec"]["template"]["spec"]
    env = env_of(spec["containers"][0])
    assert env["FRANOI_CONSUMER_GROUP"]["value"] == "franoi-projection"
    assert re.compile(env["FRANOI_TOPIC_PATTERN"]["value"]).fullmatch("franoi.p123.employment.v1")
    directory = env["FRANOI_PARTNER_DIRECTORY"]["value"]
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert directory == f"{mounts['partner-directory']}/partners.csv"
    assert "FRANOI_PARTNER_ID" not in env and "FRANOI_PSEUDONYM_KEY" not in env


# --------------------------------------------------------------------------- Kafka topics and users


def test_strimzi_is_off_by_default(partner: Rendered) -> None:
    defaults = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert defaults["strimzi"]["enabled"] is False
    assert not partner.kind("KafkaTopic")


def test_topics_follow_the_services_naming(consortium: Rendered, all_features: Rendered) -> None:
    settings = ProjectionSettings()
    pattern = re.compile(settings.topic_pattern)
    for rendered in (consortium, all_features):
        merged = rendered.merged_values
        expected = {
            topic_for(p["id"], d) for p in merged["strimzi"]["partners"] for d in p["domains"]
        }
        # The erasure consumers' dead letters: every domain but cases.
        expected |= {
            f"franoi.{p['id'].split(',')[0]}.{d}.deadletter.v1"
            for p in merged["strimzi"]["partners"]
            for d in p["domains"]
            if d != "cases"
        }
        if rendered is all_features:
            expected |= {topic_for("p123", "housing"), topic_for("p123", "employment")}
            expected |= {
                "franoi.p123.housing.deadletter.v1",
                "franoi.p123.employment.deadletter.v1",
            }
        expected.add(settings.dead_letter_topic)
        if merged["strimzi"]["router"]["enabled"]:  # the referral route
            for p in merged["strimzi"]["partners"]:
                ids = p["id"].split(",")
                expected |= {topic_for(i, d) for i in ids for d in ("referrals", "inbox")}
                expected.add(f"franoi.{ids[0]}.inbox.deadletter.v1")
            expected.add(merged["strimzi"]["router"]["deadLetterTopic"])
        topics = {t["spec"]["topicName"]: t for t in rendered.kind("KafkaTopic")}
        assert set(topics) == expected
        for name, topic in topics.items():
            assert annotations(topic)["helm.sh/resource-policy"] == "keep", (
                "uninstall must not delete events"
            )
            assert (
                topic["metadata"]["labels"]["strimzi.io/cluster"]
                == merged["strimzi"]["clusterName"]
            )
            assert str(topic["spec"]["config"]["retention.ms"]) == str(retention_ms(name)), (
                "the retention docs/privacy.md states (franoi_common.retention)"
            )
            if name == settings.dead_letter_topic or name.endswith(".deadletter.v1"):
                assert not pattern.fullmatch(name), f"the projection must not consume {name}"
                continue
            assert topic["spec"]["partitions"] == merged["strimzi"]["topics"]["partitions"]
            if name.endswith(".housing.v1"):
                assert pattern.fullmatch(name), f"the projection's default pattern misses {name}"


def test_partner_credentials_can_write_only_their_own_topics(consortium: Rendered) -> None:
    users = {u["metadata"]["name"]: u for u in consortium.kind("KafkaUser")}
    for partner in consortium.values["strimzi"]["partners"]:
        user = users[f"franoi-{partner['id']}"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        topic_acl, group_acl, *route = user["spec"]["authorization"]["acls"]
        # The referral route: its own inbox is the router's to write; its inbox worker reads.
        assert route == [
            {
                "resource": {
                    "type": "topic",
                    "name": f"franoi.{partner['id']}.inbox.v1",
                    "patternType": "literal",
                },
                "type": "deny",
                "operations": ["Write"],
            },
            {
                "resource": {
                    "type": "group",
                    "name": f"franoi-inbox-{partner['id']}-",
                    "patternType": "prefix",
                },
                "operations": ["Read"],
            },
        ]
        assert topic_acl["resource"] == {
            "type": "topic",
            "name": f"franoi.{partner['id']}.",
            "patternType": "prefix",
        }
        # Its own topics only: written by its services, read by their erasure workers.
        assert set(topic_acl["operations"]) == {"Describe", "Write", "Read"}
        assert group_acl == {
            "resource": {
                "type": "group",
                "name": f"franoi-erasure-{partner['id']}-",
                "patternType": "prefix",
            },
            "operations": ["Read"],
        }
    projection = users[consortium.values["strimzi"]["users"]["projectionUser"]]
    acls = projection["spec"]["authorization"]["acls"]
    dead_letter = ProjectionSettings().dead_letter_topic
    assert any(a["resource"]["name"] == dead_letter and "Write" in a["operations"] for a in acls)
    assert all("Write" not in a["operations"] for a in acls if a["resource"]["name"] != dead_letter)


def test_the_router_reads_every_referrals_topic_and_writes_every_inbox_only(
    consortium: Rendered, render: Any
) -> None:
    from franoi_router.settings import RouterSettings

    users = {u["metadata"]["name"]: u for u in consortium.kind("KafkaUser")}
    router = users[consortium.merged_values["strimzi"]["router"]["user"]]
    acls = router["spec"]["authorization"]["acls"]
    partners = [p["id"] for p in consortium.values["strimzi"]["partners"]]
    defaults = RouterSettings()
    reads = {a["resource"]["name"] for a in acls if "Read" in a["operations"]}
    writes = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
    assert reads == {f"franoi.{p}.referrals.v1" for p in partners} | {defaults.consumer_group}
    assert writes == {f"franoi.{p}.inbox.v1" for p in partners} | {defaults.dead_letter_topic}
    assert all(a["resource"]["patternType"] == "literal" for a in acls)
    topics = {t["spec"]["topicName"] for t in consortium.kind("KafkaTopic")}
    for p in partners:
        assert {f"franoi.{p}.referrals.v1", f"franoi.{p}.inbox.v1"} <= topics
        assert f"franoi.{p}.inbox.deadletter.v1" in topics
    assert defaults.dead_letter_topic in topics
    # The router's own release: its Kafka user, its database; it forwards between them.
    values = deep_merge(
        load_values("consortium"),
        {
            "kafka": {"sasl": {"username": "franoi-router", "existingSecret": "franoi-router"}},
            "services": {
                "projection": {"enabled": False},
                "router": {"enabled": True, "database": {"existingSecret": "router-db"}},
            },
        },
    )
    rendered = render(values, release="franoi-route")
    spec = rendered.get("Deployment", "franoi-route-router")["spec"]["template"]["spec"]
    env = env_of(spec["containers"][0])
    assert env["FRANOI_ROUTER_PARTNERS"]["value"] == ",".join(partners)
    assert env["FRANOI_DEAD_LETTER_TOPIC"]["value"] == defaults.dead_letter_topic
    assert "FRANOI_PARTNER_ID" not in env and "FRANOI_PSEUDONYM_KEY" not in env


@pytest.mark.parametrize("api_version", ["kafka.strimzi.io/v1beta2", "kafka.strimzi.io/v1"])
def test_strimzi_api_version_is_configurable(render: Any, api_version: str) -> None:
    values = deep_merge(load_values("consortium"), {"strimzi": {"apiVersion": api_version}})
    rendered = render(values)
    assert {d["apiVersion"] for d in rendered.kind("KafkaTopic") + rendered.kind("KafkaUser")} == {
        api_version
    }


def test_an_instance_shared_by_several_partners(render: Any) -> None:
    values = deep_merge(
        load_values("consortium"),
        {
            "partnerId": "p03,p11",
            "pseudonym": {"existingSecret": "franoi-network-pseudonym"},
            "services": {
                "housing": {"enabled": True, "database": {"existingSecret": "housing-db"}},
            },
            "strimzi": {"partners": [{"id": "p03,p11", "domains": ["housing"]}]},
        },
    )
    rendered = render(values, release="franoi-shared")
    env = env_of(
        rendered.get("Deployment", "franoi-shared-housing")["spec"]["template"]["spec"][
            "containers"
        ][0]
    )
    assert partner_id_is_valid(env["FRANOI_PARTNER_ID"]["value"])
    topics = {t["spec"]["topicName"] for t in rendered.kind("KafkaTopic")}
    assert {topic_for("p03", "housing"), topic_for("p11", "housing")} <= topics
    user = rendered.get("KafkaUser", "franoi-p03-p11")
    prefixes = {acl["resource"]["name"] for acl in user["spec"]["authorization"]["acls"]}
    assert prefixes == {
        "franoi.p03.", "franoi.p11.", "franoi-erasure-p03-p11-",
        "franoi.p03.inbox.v1", "franoi.p11.inbox.v1", "franoi-inbox-p03-p11-",
    }  # fmt: skip
    for partner_id in ("p03", "p11"):
        assert f"publishes to topic: {topic_for(partner_id, 'housing')}" in rendered.notes()


# --------------------------------------------------------------------------- the desk and sign-in

DESK_DOMAINS = ("cases", "housing", "employment", "hosting", "events")


def _container(rendered: Rendered, kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.get(kind, name)["spec"]["template"]["spec"]
    container: dict[str, Any] = spec["containers"][0]
    return container


def test_the_desk_is_a_deployment_and_a_service_without_data(partner: Rendered) -> None:
    deployment = partner.get("Deployment", "franoi-p07-desk")
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["args"] == ["serve"]
    assert container["image"] == "registry.franoi.example/franoi/desk:0.1.0"
    assert deployment["spec"]["replicas"] == 2
    env = env_of(container)
    assert not {n for n in env if n.startswith(("FRANOI_DATABASE", "FRANOI_KAFKA"))}, set(env)
    assert "FRANOI_PSEUDONYM_KEY" not in env and "FRANOI_RELAY_ENABLED" not in env
    assert env["FRANOI_PARTNER_ID"]["value"] == "p07"
    assert env["FRANOI_SERVICE_NAME"]["value"] == "desk"
    assert env["FRANOI_DEV_SIGN_IN"]["value"] == "false"
    assert {v["name"] for v in spec["volumes"]} == {"tmp"}, "no Kafka CA, no partner directory"
    assert partner.get("Service", "franoi-p07-desk")["spec"]["ports"][0]["targetPort"] == "http"
    desk_workloads = [
        d["metadata"]["name"]
        for d in partner.docs
        if _service_of(d) == "desk" and d["kind"] in ("Deployment", "Job")
    ]
    assert desk_workloads == ["franoi-p07-desk"], "no migration Job, no worker"


def test_the_desk_calls_the_partner_services_of_its_release(partner: Rendered) -> None:
    env = env_of(_container(partner, "Deployment", "franoi-p07-desk"))
    services = {d["metadata"]["name"]: d for d in partner.kind("Service")}
    for domain in DESK_DOMAINS:
        name = f"FRANOI_{domain.upper()}_URL"
        if domain not in partner.services():  # not deployed: the desk's pages say so
            assert name not in env
            continue
        url = urlsplit(env[name]["value"])
        service = services[str(url.hostname)]
        assert _service_of(service) == domain
        assert url.port == service["spec"]["ports"][0]["port"]


def test_the_desks_service_urls_can_be_set(render: Any) -> None:
    values = deep_merge(
        load_values("partner"),
        {
            "services": {
                "events": {"enabled": True, "database": {"existingSecret": "events-db"}},
                "desk": {
                    "serviceUrls": {
                        "housing": "http://housing.elsewhere.svc:8000/",
                        "projection": "http://franoi-consortium-projection.consortium.svc:8000",
                    }
                },
            }
        },
    )
    env = env_of(_container(render(values), "Deployment", "franoi-test-desk"))
    assert env["FRANOI_HOUSING_URL"]["value"] == "http://housing.elsewhere.svc:8000"
    assert (  # the reporting page reads the consortium's projection, in its own release
        env["FRANOI_PROJECTION_URL"]["value"]
        == "http://franoi-consortium-projection.consortium.svc:8000"
    )
    assert env["FRANOI_EVENTS_URL"]["value"] == "http://franoi-test-events:8000"
    assert env["FRANOI_CASES_URL"]["value"] == "http://franoi-test-cases:8000"


def test_the_desk_signs_people_in_with_the_identity_provider(partner: Rendered) -> None:
    env = env_of(_container(partner, "Deployment", "franoi-p07-desk"))
    desk = partner.services()["desk"]
    issuer = partner.values["auth"]["jwt"]["issuer"]
    assert env["FRANOI_OIDC_ISSUER"]["value"] == issuer
    assert env["FRANOI_OIDC_CLIENT_ID"]["value"] == desk["signIn"]["clientId"]
    assert (
        env["FRANOI_OIDC_DISCOVERY_URL"]["value"] == partner.values["auth"]["oidc"]["discoveryUrl"]
    )
    assert env["FRANOI_OIDC_PUBLIC_URL"]["value"] == f"https://{desk['ingress']['hostname']}"
    for name, key in (
        ("FRANOI_OIDC_CLIENT_SECRET", "client-secret"),
        ("FRANOI_SESSION_KEY", "session-key"),
    ):
        assert env[name]["valueFrom"]["secretKeyRef"] == {
            "name": desk["signIn"]["existingSecret"],
            "key": key,
        }


def test_a_desk_in_development_keeps_its_development_sign_in(render: Any) -> None:
    values = deep_merge(
        load_values("partner"),
        {"environment": "development", "services": {"desk": {"signIn": {"enabled": False}}}},
    )
    env = env_of(_container(render(values), "Deployment", "franoi-test-desk"))
    assert env["FRANOI_DEV_SIGN_IN"]["value"] == "true"
    assert not {n for n in env if n.startswith("FRANOI_OIDC_")}
    assert "FRANOI_SESSION_KEY" not in env


def test_apps_that_sign_people_in_keep_each_on_one_pod(
    partner: Rendered, consortium: Rendered
) -> None:
    """The provider's tokens live in the app's memory: Service and Ingress affinity."""
    for rendered, name in ((partner, "franoi-p07-desk"), (consortium, "franoi-network-projection")):
        service = rendered.get("Service", name)["spec"]
        assert service["sessionAffinity"] == "ClientIP"
        assert service["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] >= 8 * 3600
        notes = annotations(rendered.get("Ingress", name))
        assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
        # The provider's redirect back is a cross-site navigation: a Strict cookie would be lost.
        assert notes["nginx.ingress.kubernetes.io/session-cookie-samesite"] == "Lax"
    for name in ("franoi-p07-housing", "franoi-p07-cases"):  # APIs: any pod answers
        assert "sessionAffinity" not in partner.get("Service", name)["spec"]
    housing_ingress = annotations(partner.get("Ingress", "franoi-p07-housing"))
    assert "nginx.ingress.kubernetes.io/affinity" not in housing_ingress


def test_the_desk_reaches_the_partner_services_and_they_accept_it(partner: Rendered) -> None:
    desk_policy = partner.get("NetworkPolicy", "franoi-p07-desk")["spec"]
    desk_pod_labels = partner.get("Deployment", "franoi-p07-desk")["spec"]["template"]["metadata"][
        "labels"
    ]
    targets = [
        rule for rule in desk_policy["egress"] if any(p["port"] == 8000 for p in rule["ports"])
    ]
    assert targets, "the desk may call the partner's services"
    for domain in ("cases", "housing"):
        pod_labels = partner.get("Deployment", f"franoi-p07-{domain}")["spec"]["template"][
            "metadata"
        ]["labels"]
        assert any(
            selector_matches(peer["podSelector"]["matchLabels"], pod_labels)
            for rule in targets
            for peer in rule["to"]
        ), domain
        policy = partner.get("NetworkPolicy", f"franoi-p07-{domain}")["spec"]
        (ingress,) = policy["ingress"]
        assert any(
            "podSelector" in peer
            and selector_matches(peer["podSelector"]["matchLabels"], desk_pod_labels)
            for peer in ingress["from"]
        ), f"{domain} must accept the desk"


def test_oidc_mode_sets_the_provider_on_every_service(partner: Rendered, render: Any) -> None:
    consortium_oidc = render(
        deep_merge(
            load_values("consortium"),
            {
                "auth": {
                    "mode": "oidc",
                    "oidc": {"jwksUrl": "http://keycloak.auth.svc:8080/realms/franoi/certs"},
                    "claims": {"roles": "realm_access.roles", "rolePrefix": "franoi-"},
                }
            },
        )
    )
    for rendered in (partner, consortium_oidc):
        merged = rendered.merged_values
        checked = set()
        for doc, container in rendered.containers():
            if doc["kind"] == "Pod":
                continue
            env = env_of(container)
            where = doc["metadata"]["name"]
            assert env["FRANOI_JWT_OIDC"]["value"] == "true", where
            assert env["FRANOI_JWT_ISSUER"]["value"] == merged["auth"]["jwt"]["issuer"], where
            assert env["FRANOI_JWT_AUDIENCE"]["value"] == "franoi-network", where
            for setting, value in (
                ("FRANOI_JWT_DISCOVERY_URL", merged["auth"]["oidc"]["discoveryUrl"]),
                ("FRANOI_JWT_JWKS_URL", merged["auth"]["oidc"]["jwksUrl"]),
                ("FRANOI_JWT_PARTNER_CLAIM", merged["auth"]["claims"]["partner"]),
                ("FRANOI_JWT_ROLES_CLAIM", merged["auth"]["claims"]["roles"]),
                ("FRANOI_JWT_ROLE_PREFIX", merged["auth"]["claims"]["rolePrefix"]),
            ):
                if value:
                    assert env[setting]["value"] == value, (where, setting)
                else:
                    assert setting not in env, (where, setting)
            assert "FRANOI_JWT_KEY" not in env and "FRANOI_JWT_ALGORITHM" not in env, where
            checked.add(_service_of(doc))
        assert checked == set(rendered.services())
    env = env_of(_container(consortium_oidc, "Deployment", "franoi-test-projection"))
    assert env["FRANOI_JWT_ROLES_CLAIM"]["value"] == "realm_access.roles"


def test_the_dashboard_signs_analysts_in(consortium: Rendered) -> None:
    projection = consortium.services()["projection"]
    api = env_of(_container(consortium, "Deployment", "franoi-network-projection"))
    assert api["FRANOI_OIDC_ISSUER"]["value"] == consortium.values["auth"]["jwt"]["issuer"]
    assert api["FRANOI_OIDC_CLIENT_ID"]["value"] == "franoi-dashboard"
    assert api["FRANOI_OIDC_PUBLIC_URL"]["value"] == "https://rete.franoi.example"
    assert api["FRANOI_SESSION_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": projection["signIn"]["existingSecret"],
        "key": "session-key",
    }
    # Only the process that serves the dashboard holds the client secret and the session key.
    migration = env_of(_container(consortium, "Job", "franoi-network-projection-migrate"))
    assert not {n for n in migration if n.startswith("FRANOI_OIDC_") or n == "FRANOI_SESSION_KEY"}


def test_every_part_of_the_sign_in_is_configurable(all_features: Rendered) -> None:
    desk = all_features.services()["desk"]
    env = env_of(_container(all_features, "Deployment", "net-franoi-desk"))
    assert env["FRANOI_OIDC_ISSUER"]["value"] == desk["signIn"]["issuer"]
    assert env["FRANOI_OIDC_DISCOVERY_URL"]["value"] == desk["signIn"]["discoveryUrl"]
    assert env["FRANOI_OIDC_PUBLIC_URL"]["value"] == desk["signIn"]["publicUrl"].rstrip("/")
    assert env["FRANOI_OIDC_SCOPE"]["value"] == desk["signIn"]["scope"]
    assert env["FRANOI_CASES_URL"]["value"] == desk["serviceUrls"]["cases"]
    assert env["FRANOI_HOUSING_URL"]["value"] == "http://net-franoi-housing:8000"
    assert env["FRANOI_JWT_PARTNER_PREFIX"]["value"] == "/partners/"
    service = all_features.get("Service", "net-franoi-desk")["spec"]
    assert service["sessionAffinity"] == "ClientIP"
    assert "nginx.ingress.kubernetes.io/affinity" not in annotations(
        all_features.get("Ingress", "net-franoi-desk")
    ), "stickySessions: false leaves the Ingress's affinity to its own annotations"
