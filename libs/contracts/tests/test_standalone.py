"""The contract stands alone: an integrator who installs it gets pydantic and nothing of
the platform (no web framework, no database driver, no Kafka client); and its wire rules
(the sequence) say what the services write."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import franoi_contracts
import pytest
from franoi_contracts.wire import (
    SEQUENCE_DIGITS,
    format_sequence,
    parse_sequence,
    topic_pattern,
)
from packaging.requirements import Requirement

PACKAGE = Path(franoi_contracts.__file__).parent
PLATFORM = ("fastapi", "starlette", "asyncpg", "aiokafka", "uvicorn", "faststream", "cloudevents")


def test_it_declares_pydantic_and_nothing_else() -> None:
    declared = importlib.metadata.requires("franoi-contracts") or []
    assert sorted(Requirement(r).name for r in declared) == ["pydantic"]


def test_its_modules_import_the_standard_library_pydantic_and_itself_only() -> None:
    allowed = set(sys.stdlib_module_names) | {"pydantic", "franoi_contracts"}
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    assert {top: files for top, files in found.items() if top not in allowed} == {}


def test_importing_it_loads_nothing_of_the_platform() -> None:
    """In a fresh interpreter: every module of the contract, the catalogue included."""
    script = (
        "import json, pkgutil, sys, importlib, franoi_contracts\n"
        "for m in pkgutil.walk_packages(franoi_contracts.__path__, 'franoi_contracts.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True
        ).stdout
    )
    tops = {name.split(".")[0] for name in loaded}
    assert "franoi_contracts.catalogue" in loaded
    assert not tops & {*PLATFORM, "franoi_common", "franoi_devenv"}


@pytest.mark.parametrize("sequence", [1, 2, 9, 10, 99, 100, 12345, 10**SEQUENCE_DIGITS - 1])
def test_the_sequence_reads_back_and_its_text_sorts_as_its_number(sequence: int) -> None:
    text = format_sequence(sequence)
    assert len(text) == SEQUENCE_DIGITS
    assert parse_sequence(text) == sequence
    if sequence + 1 < 10**SEQUENCE_DIGITS:
        assert text < format_sequence(sequence + 1)


def test_a_sequence_is_a_positive_decimal() -> None:
    assert sorted(format_sequence(n) for n in (10, 9, 100, 1)) == [
        format_sequence(n) for n in (1, 9, 10, 100)
    ]
    for bad in ("", "0", "-1", "1e3", " 7", "x", "1" * (SEQUENCE_DIGITS + 1)):
        with pytest.raises(ValueError):
            parse_sequence(bad)
    for bad_number in (0, -1, 10**SEQUENCE_DIGITS):
        with pytest.raises(ValueError):
            format_sequence(bad_number)


def test_the_topic_pattern_names_domains_and_partners() -> None:
    every = re.compile(topic_pattern())
    assert every.match("franoi.p07.housing.v1")
    assert not every.match("franoi.consortium.deadletter.v1")
    assert not every.match("franoi.p07.housing.deadletter.v1")
    some = re.compile(topic_pattern(["housing", "cases"], ["p07"]))
    assert some.match("franoi.p07.cases.v1")
    assert not some.match("franoi.p08.cases.v1")
    assert not some.match("franoi.p07.hosting.v1")
    assert "{" not in topic_pattern()
