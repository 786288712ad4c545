"""The labels of the partner services' fields and coded values, in Italian (first) and
English, kept as data in ``catalogue/labels.toml`` where a translator edits them: the desk's
forms and the import templates read the same words (one catalogue)."""

from __future__ import annotations

import tomllib
from importlib import resources


def catalogue(package: str, name: str) -> dict[str, tuple[str, str]]:
    """A catalogue file of ``package``'s ``catalogue/``: each key with its Italian and
    English text."""
    text = (resources.files(package) / "catalogue" / name).read_text(encoding="utf-8")
    return {key: (entry["it"], entry["en"]) for key, entry in tomllib.loads(text).items()}


LABELS = catalogue("franoi_common", "labels.toml")
"""``field.<name>``, ``enum.<Enumeration>.<value>``, ``status.<value>``... → (it, en)."""


def label(key: str, lang: str) -> str | None:
    """The label of ``key`` in ``lang`` (``it`` unless ``en``), or None when it has none."""
    found = LABELS.get(key)
    return None if found is None else found[1 if lang == "en" else 0]
