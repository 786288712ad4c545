"""The services' OpenAPI documents, generated into ``docs/api/<service>.openapi.json``.

``franoi-api-docs DOCS_DIR`` writes them; ``--check`` only compares and exits 1
when a committed document differs. No database or broker is needed: routers
are built when the app is created.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from franoi_common.service import ServiceDefinition, create_app

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("docs_dir", type=Path, help="the repository's docs/ directory")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    drift = []
    for relative, content in render().items():
        target: Path = args.docs_dir / relative
        current = target.read_text() if target.exists() else None
        if current == content:
            continue
        drift.append(relative)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    if args.check and drift:
        sys.stderr.write("out of date (run franoi-api-docs docs):\n")
        sys.stderr.write("".join(f"  {d}\n" for d in drift))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
