"""values.yaml documents every parameter with @param, and the schema knows every one."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from franoi_deploy_support import CHART

VALUES = CHART / "values.yaml"
PARAM = re.compile(r"^\s*## @param (\S+) (\S.*)$")


def _leaves(node: Any, trail: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        found: list[str] = []
        for key, value in node.items():
            found += _leaves(value, f"{trail}.{key}" if trail else str(key))
        return found
    return [trail]


def _params() -> dict[str, str]:
    params = {}
    for line in VALUES.read_text(encoding="utf-8").splitlines():
        match = PARAM.match(line)
        if match:
            assert match.group(1) not in params, f"@param {match.group(1)} documented twice"
            params[match.group(1)] = match.group(2)
    return params


def test_every_value_is_documented() -> None:
    params = _params()
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    undocumented = [
        leaf
        for leaf in _leaves(values)
        if not any(leaf == p or leaf.startswith(p + ".") for p in params)
    ]
    assert not undocumented, f"values without an @param line: {undocumented}"


def test_every_documented_parameter_exists() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    for path in _params():
        node: Any = values
        for key in path.split("."):
            assert isinstance(node, dict) and key in node, f"@param {path} names no value"
            node = node[key]


def test_schema_covers_every_value() -> None:
    """Every value of values.yaml is a property the schema declares (it refuses unknown ones)."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if ref:
            target: Any = schema
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target)
        return node

    def check(value: Any, node: dict[str, Any], trail: str) -> None:
        node = resolve(node)
        if not isinstance(value, dict) or node.get("type") != "object":
            return
        props = node.get("properties", {})
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            where = f"{trail}.{key}" if trail else key
            if key in props:
                check(item, props[key], where)
            elif isinstance(extra, dict):
                check(item, extra, where)
            else:
                assert extra is not False, f"values.schema.json does not declare {where}"

    check(values, schema, "")
