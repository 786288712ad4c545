"""The Helm chart renders for the example values and every manifest is valid Kubernetes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from franoi_deploy_support import CHART, EXAMPLES, Rendered, deep_merge, load_values

SCHEMAS = Path(__file__).resolve().parent / "schemas"

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest
# the offline schemas know.
KUBE_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]

CUSTOM_RESOURCE_SCHEMAS = {
    "KafkaTopic": SCHEMAS / "kafkatopic.json",
    "KafkaUser": SCHEMAS / "kafkauser.json",
}

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)


def test_chart_metadata(helm: Any) -> None:
    with helm.Chart.load(str(CHART)) as chart:
        meta = chart.metadata
        assert meta["name"] == "franoi"
        assert meta["apiVersion"] == "v2"
        assert meta["kubeVersion"].startswith(">=1.27")
        assert chart.schema is not None, "values.schema.json is missing"


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_values_pass_the_values_schema(helm: Any, example: str) -> None:
    with helm.Chart.load(str(CHART)) as chart:
        chart.validate_schema(load_values(example))


@pytest.mark.parametrize("example", ["partner", "consortium"])
def test_helm_lint_is_clean(helm: Any, example: str) -> None:
    report = helm.lint(str(CHART), load_values(example), strict=True, namespace="franoi")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"partnerId": "7"}, "partnerId"),
        ({"partnerId": "p7"}, "partnerId"),
        ({"environment": "staging"}, "environment"),
        ({"kafka": {"securityProtocol": "TLS"}}, "securityProtocol"),
        ({"services": {"housing": {"kind": "consumer"}}}, "kind"),
        ({"services": {"housing": {"env": {"FRANOI_JWT_KEY": "x"}}}}, "FRANOI_JWT_KEY"),
        (
            {"services": {"housing": {"env": {"FRANOI_DATABASE_URL": "postgresql://u:p@h/d"}}}},
            "FRANOI_DATABASE_URL",
        ),
        (
            {"services": {"housing": {"env": {"FRANOI_KAFKA_SASL_PASSWORD": "x"}}}},
            "FRANOI_KAFKA_SASL_PASSWORD",
        ),
        ({"services": {"housing": {"databaseUrl": "postgresql://u:p@h/d"}}}, "databaseUrl"),
        ({"kafka": {"sasl": {"password": "x"}}}, "password"),
        ({"strimzi": {"partners": [{"id": "7", "domains": ["housing"]}]}}, "id"),
        ({"auth": {"mode": "jwks"}}, "mode"),
        ({"auth": {"claims": {"groups": "x"}}}, "groups"),
        ({"services": {"desk": {"signIn": {"clientSecret": "x"}}}}, "clientSecret"),
        (
            {"services": {"desk": {"env": {"FRANOI_OIDC_CLIENT_SECRET": "x"}}}},
            "FRANOI_OIDC_CLIENT_SECRET",
        ),
        ({"services": {"desk": {"env": {"FRANOI_SESSION_KEY": "x"}}}}, "FRANOI_SESSION_KEY"),
        ({"services": {"desk": {"serviceUrls": {"cases": "cases:8000"}}}}, "cases"),
        ({"services": {"desk": {"serviceUrls": {"register": "http://r"}}}}, "register"),
        ({"services": {"desk": {"service": {"sessionAffinity": "Cookie"}}}}, "sessionAffinity"),
    ],
)
def test_values_schema_refuses_bad_values(
    helm: Any, override: dict[str, Any], message: str
) -> None:
    values = deep_merge(load_values("partner"), override)
    with helm.Chart.load(str(CHART)) as chart, pytest.raises(helm.HelmValuesError, match=message):
        chart.validate_schema(values)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"partnerId": ""}, "partnerId"),
        ({"kafka": {"bootstrap": ""}}, "kafka.bootstrap"),
        ({"kafka": {"sasl": {"existingSecret": ""}}}, "kafka.sasl.existingSecret"),
        (
            {"auth": {"mode": "staticKey", "jwt": {"existingSecret": ""}}},
            "auth.jwt.existingSecret",
        ),
        ({"auth": {"jwt": {"issuer": ""}}}, "auth.jwt.issuer"),
        ({"pseudonym": {"existingSecret": ""}}, "pseudonym.existingSecret"),
        (
            {"services": {"housing": {"database": {"existingSecret": ""}}}},
            "database.existingSecret",
        ),
        ({"services": {"housing": {"ingress": {"hostname": ""}}}}, "ingress.hostname"),
        (
            {"services": {"mentoring": {"enabled": True, "database": {"existingSecret": "e"}}}},
            "image.repository",
        ),
        ({"services": {"desk": {"signIn": {"enabled": False}}}}, "services.desk.signIn"),
        ({"services": {"desk": {"signIn": {"clientId": ""}}}}, "services.desk.signIn.clientId"),
        (
            {"services": {"desk": {"signIn": {"existingSecret": ""}}}},
            "services.desk.signIn.existingSecret",
        ),
        ({"services": {"cases": {"enabled": False}}}, "services.desk.serviceUrls.cases"),
        (
            {"services": {"housing": {"signIn": {"enabled": True, "clientId": "x"}}}},
            "only the web apps",
        ),
    ],
)
def test_rendering_stops_with_a_clear_message(
    helm: Any, override: dict[str, Any], message: str
) -> None:
    values = deep_merge(load_values("partner"), override)
    with (
        helm.Chart.load(str(CHART)) as chart,
        pytest.raises(helm.HelmError, match=re.escape(message)),
    ):
        chart.render(values, name="franoi-p07", namespace="franoi-p07")


def test_a_production_desk_needs_the_identity_provider(helm: Any) -> None:
    """The chart refuses what the desk itself refuses at start: its development sign-in."""
    values = deep_merge(
        load_values("partner"), {"services": {"desk": {"signIn": {"enabled": False}}}}
    )
    with (
        helm.Chart.load(str(CHART)) as chart,
        pytest.raises(helm.HelmError) as failure,
    ):
        chart.render(values, name="franoi-p07", namespace="franoi-p07")
    message = str(failure.value)
    for needed in (
        "services.desk.signIn",
        "identity provider",
        "signIn.clientId",
        "signIn.existingSecret",
        "Sign-in with the identity provider",
    ):
        assert needed in message, message
    development = deep_merge(values, {"environment": "development"})
    with helm.Chart.load(str(CHART)) as chart:
        assert chart.render(development, name="franoi-p07", namespace="franoi-p07")


def test_default_values_render_nothing_but_notes(helm: Any, render: Any) -> None:
    rendered = render({})
    assert rendered.docs == []
    assert "No service is enabled" in rendered.notes()


def _validate_builtin(doc: dict[str, Any], version: str) -> None:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        pytest.fail(f"{name} invalid for Kubernetes {version} at {where}: {exc.message}")


@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(
    example: Rendered, version: str
) -> None:
    assert example.docs, "nothing rendered"
    for doc in example.docs:
        if doc["kind"] in CUSTOM_RESOURCE_SCHEMAS:
            continue
        _validate_builtin(doc, version)


def test_custom_resources_validate_against_their_schemas(example: Rendered) -> None:
    kinds = {d["kind"] for d in example.docs}
    unknown = kinds - CUSTOM_RESOURCE_SCHEMAS.keys()
    for kind in unknown:  # every other kind must be a built-in one the offline schemas know
        doc = next(d for d in example.docs if d["kind"] == kind)
        try:
            kubernetes_validate.validate(doc, KUBE_VERSIONS[-1], strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(
                f"{kind} is neither a built-in kind nor a custom resource with a schema here"
            )
    for kind, path in CUSTOM_RESOURCE_SCHEMAS.items():
        schema = json.loads(path.read_text(encoding="utf-8"))
        for doc in example.kind(kind):
            jsonschema.validate(doc, schema)


def test_validation_catches_a_broken_manifest(partner: Rendered) -> None:
    """The offline validation is strict: an unknown field or a wrong type fails."""
    deployment = yaml.safe_load(yaml.safe_dump(partner.kind("Deployment")[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[0], strict=True)
    deployment = yaml.safe_load(yaml.safe_dump(partner.kind("Deployment")[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[0], strict=True)


def test_names_and_labels_are_valid(example: Rendered) -> None:
    for doc in example.docs:
        meta = doc["metadata"]
        name = meta["name"]
        if doc["kind"] in ("Service", "Pod", "Deployment", "Job"):
            assert DNS_LABEL.match(name) and len(name) <= 63, f"{doc['kind']} name {name!r}"
        else:
            assert DNS_SUBDOMAIN.match(name) and len(name) <= 253, f"{doc['kind']} name {name!r}"
        label_sets = [meta.get("labels") or {}]
        for _, _, pod_labels in [t for t in example.pod_specs() if t[0] is doc]:
            label_sets.append(pod_labels)
        for labels in label_sets:
            for key, value in labels.items():
                assert LABEL_KEY.match(key), f"label key {key!r} on {name}"
                assert isinstance(value, str), f"label {key} on {name} is not a string"
                assert LABEL_VALUE.match(value) and len(value) <= 63, (
                    f"label {key}={value!r} on {name}"
                )
