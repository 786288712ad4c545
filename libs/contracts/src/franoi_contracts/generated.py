"""Documents generated from the code: the event catalogue here, and with it the services'
API documents and the indicators page (which use the same writer).

Each generator renders ``relative path → content`` and hands it to :func:`main`, which
writes the files under the docs directory, or with ``--check`` only compares them and
exits 1 naming what is out of date, so CI fails when a committed document drifts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def drift(docs_dir: Path, files: Mapping[str, str], *, write: bool) -> list[str]:
    """The relative paths whose committed content differs; written too when ``write``."""
    stale = []
    for relative, content in files.items():
        target = docs_dir / relative
        if target.exists() and target.read_text() == content:
            continue
        stale.append(relative)
        if write:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    return stale


def main(
    render: Callable[[], Mapping[str, str]],
    *,
    description: str,
    command: str,
    argv: Sequence[str] | None = None,
) -> int:
    """``<command> DOCS_DIR [--check]``: write the rendered files, or check them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("docs_dir", type=Path, help="the repository's docs/ directory")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    stale = drift(args.docs_dir, render(), write=not args.check)
    if args.check and stale:
        sys.stderr.write(f"out of date (run {command} docs):\n")
        sys.stderr.write("".join(f"  {d}\n" for d in stale))
        return 1
    return 0
