"""Fixtures of the deployment tests: the chart rendered with the example values.

The helpers live in ``_support.py``; it is registered here as the module
``franoi_deploy_support`` so that the test modules import it the same way
whatever pytest's import mode.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "franoi_deploy_support", Path(__file__).with_name("_support.py")
)
assert _spec is not None and _spec.loader is not None
support = importlib.util.module_from_spec(_spec)
sys.modules["franoi_deploy_support"] = support
_spec.loader.exec_module(support)


@pytest.fixture(scope="session")
def helm() -> Any:
    try:
        return support.helm_module()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def render(helm: Any) -> Callable[..., Any]:
    def _render(values: dict[str, Any] | str, **kwargs: Any) -> Any:
        if isinstance(values, str):
            values = support.load_values(values)
        return support.render_chart(helm, values, **kwargs)

    return _render


@pytest.fixture(scope="session")
def partner(render: Callable[..., Any]) -> Any:
    return render("partner", release="franoi-p07", namespace="franoi-p07")


@pytest.fixture(scope="session")
def consortium(render: Callable[..., Any]) -> Any:
    return render("consortium", release="franoi-network", namespace="franoi")


@pytest.fixture(scope="session")
def all_features(render: Callable[..., Any]) -> Any:
    return render("all-features", release="net", namespace="franoi")


@pytest.fixture(scope="session", params=sorted(support.EXAMPLES))
def example(request: pytest.FixtureRequest, render: Callable[..., Any]) -> Any:
    return render(request.param)
