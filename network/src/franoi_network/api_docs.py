"""The services' OpenAPI documents, generated into ``docs/api/<service>.openapi.json``.

``franoi-api-docs DOCS_DIR`` writes them; ``--check`` only compares and exits 1
when a committed document differs. No database or broker is needed: routers
are built when the app is created.
"""

from __future__ import annotations

import json
from typing import Any

from franoi_common.service import ServiceDefinition, create_app
from franoi_contracts import generated

from franoi_network.registry import SERVICES


def openapi_of(definition: ServiceDefinition) -> dict[str, Any]:
    """A service's OpenAPI document under its default settings (no I/O)."""
    return create_app(definition, definition.settings_type(), run_workers=False).openapi()


def render() -> dict[str, str]:
    """Relative path → content of every published API document."""
    return {
        f"api/{definition.name}.openapi.json": json.dumps(
            openapi_of(definition), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
        for definition in SERVICES
    }


def main(argv: list[str] | None = None) -> int:
    return generated.main(
        render,
        description="The services' OpenAPI documents, generated into docs/api/",
        command="franoi-api-docs",
        argv=argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
