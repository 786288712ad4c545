"""Helpers of the deployment tests (imported as ``franoi_deploy_support``, see conftest.py).

The chart is rendered offline with the ``helm-python-sdk`` package (Helm's Go
SDK behind a C library: no ``helm`` binary, no cluster); manifests are
validated offline with ``kubernetes-validate``. Both are development
dependencies of the workspace.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "franoi"
HERE = Path(__file__).resolve().parent

EXAMPLES = {
    "partner": CHART / "values-partner.example.yaml",
    "consortium": CHART / "values-consortium.example.yaml",
    "all-features": HERE / "values-all-features.yaml",
}

# The subcommands of each kind of service's console script (the services' contract).
SUBCOMMANDS = {
    "partner": {"serve", "relay", "migrate"},
    "projection": {"serve", "consume", "migrate"},
    "desk": {"serve"},
}

# Environment variable names that hold secrets: only ever set from a Secret.
SECRET_ENV_NAME = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN|CREDENTIALS?|DATABASE_URL)$")


def helm_module() -> Any:
    """The helm-python-sdk package; its absence is an error of the environment, said plainly."""
    try:
        return importlib.import_module("helm_python")
    except ImportError as exc:
        raise RuntimeError(
            "the chart tests render with the helm-python-sdk package (import helm_python), "
            f"a dev dependency of the workspace: run `uv sync`. ({exc})"
        ) from exc


def deep_merge(base: Any, over: Any) -> Any:
    """Helm's coalescing of values: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return over


def load_values(name_or_path: str | Path) -> dict[str, Any]:
    path = EXAMPLES[name_or_path] if isinstance(name_or_path, str) else name_or_path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


@dataclass
class Rendered:
    """The manifests of one rendering, as parsed documents."""

    values: dict[str, Any]
    templates: dict[str, str]
    docs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def merged_values(self) -> dict[str, Any]:
        """The values the templates see: the chart's values.yaml coalesced with these."""
        defaults = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
        return deep_merge(defaults, self.values)

    def services(self, *, enabled_only: bool = True) -> dict[str, dict[str, Any]]:
        """Every services.<name> block merged over serviceDefaults, as the chart does."""
        merged = self.merged_values
        blocks = {
            name: deep_merge(merged["serviceDefaults"], block or {})
            for name, block in merged["services"].items()
        }
        return {n: b for n, b in blocks.items() if b["enabled"] or not enabled_only}

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.kind(kind) if d["metadata"]["name"] == name]
        names = [d["metadata"]["name"] for d in self.kind(kind)]
        assert found, f"no {kind} named {name}; have {names}"
        return found[0]

    def pod_specs(self) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, str]]]:
        """(resource, pod spec, pod labels) of every Deployment, Job and Pod."""
        for doc in self.docs:
            if doc["kind"] in ("Deployment", "Job"):
                template = doc["spec"]["template"]
                yield doc, template["spec"], template["metadata"].get("labels") or {}
            elif doc["kind"] == "Pod":
                yield doc, doc["spec"], doc["metadata"].get("labels") or {}

    def containers(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for doc, spec, _ in self.pod_specs():
            for container in spec.get("initContainers", []) + spec["containers"]:
                yield doc, container

    def notes(self) -> str:
        return next((t for name, t in self.templates.items() if name.endswith("NOTES.txt")), "")


def render_chart(
    helm: Any,
    values: dict[str, Any],
    *,
    release: str = "franoi-test",
    namespace: str = "franoi-test",
) -> Rendered:
    with helm.Chart.load(str(CHART)) as chart:
        templates = chart.render(values, name=release, namespace=namespace, is_install=True)
    rendered = Rendered(values=values, templates=templates)
    for name, text in sorted(templates.items()):
        if name.endswith((".yaml", ".yml")):
            rendered.docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return rendered


def annotations(doc: dict[str, Any]) -> dict[str, str]:
    return doc["metadata"].get("annotations") or {}


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def selector_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --------------------------------------------------------------------------- the services' code


def settings_env_names(settings_cls: type) -> set[str]:
    """Environment variable names a pydantic-settings class reads, derived from the model.

    Nested settings classes (KafkaSettings, AuthSettings) read their own prefix.
    """
    from pydantic_settings import BaseSettings

    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, info in settings_cls.model_fields.items():  # type: ignore[attr-defined]
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            names |= settings_env_names(annotation)
            continue
        alias = info.validation_alias or info.alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif alias is not None and hasattr(alias, "choices"):
            names |= {c.upper() for c in alias.choices if isinstance(c, str)}
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def service_definition(service: str) -> Any | None:
    """The service's ``DEFINITION`` (a franoi_common ServiceDefinition), once its code exists."""
    try:
        module = importlib.import_module(f"franoi_{service}.bootstrap")
    except ModuleNotFoundError as exc:
        if exc.name and f"franoi_{service}".startswith(exc.name.split(".")[0]):
            return None
        raise
    return getattr(module, "DEFINITION", None)


def settings_class(service: str, kind: str) -> type:
    """A service's settings class: the one its definition names, else the common one of its kind."""
    from franoi_common import settings as common

    definition = service_definition(service)
    if definition is not None:
        return definition.settings_type  # type: ignore[no-any-return]
    return common.ProjectionSettings if kind == "projection" else common.PartnerServiceSettings


def subcommands(service: str, kind: str) -> set[str]:
    """The subcommands of ``franoi-<service>``: from its definition, else from the contract."""
    definition = service_definition(service)
    if definition is not None:
        commands = {command.name for command in definition.commands}
        migrate = {"migrate"} if definition.uses_database else set()
        return {"serve", *migrate, *definition.worker_names, *commands}
    return SUBCOMMANDS[kind]


def keeps_data(service: str) -> bool:
    """Whether the service has a database of its own (the desk keeps nothing)."""
    definition = service_definition(service)
    return definition is None or bool(definition.uses_database)


def partner_id_is_valid(value: str) -> bool:
    """Validated by the partner settings' own field (one id, or several comma-separated)."""
    from franoi_common.settings import PartnerServiceSettings
    from pydantic import TypeAdapter, ValidationError

    info = PartnerServiceSettings.model_fields["partner_id"]
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[str, *info.metadata])  # type: ignore[valid-type]
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def allowed_env(service: str, kind: str) -> set[str]:
    return settings_env_names(settings_class(service, kind))


def service_kind(service: str) -> str:
    """projection, router (the consortium's); desk (a partner's web app, no data of its own);
    partner (a domain service)."""
    return service if service in ("projection", "desk", "router") else "partner"


@dataclass(frozen=True)
class WorkspacePackage:
    name: str
    path: Path
    scripts: dict[str, str]


def workspace_packages() -> dict[str, WorkspacePackage]:
    """The members of the uv workspace, from the root pyproject.toml's member globs."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages: dict[str, WorkspacePackage] = {}
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        for member in sorted(REPO.glob(pattern)):
            manifest = member / "pyproject.toml"
            if not manifest.is_file():
                continue
            project = tomllib.loads(manifest.read_text(encoding="utf-8"))["project"]
            packages[project["name"]] = WorkspacePackage(
                project["name"], member, dict(project.get("scripts", {}))
            )
    return packages


def workspace_services() -> list[str]:
    """Service names (housing, projection, ...): the workspace's services/* packages."""
    return sorted(
        p.name.removeprefix("franoi-")
        for p in workspace_packages().values()
        if p.path.parent.name == "services"
    )
