"""Every string the desk shows, in Italian (first) and English: one catalogue, kept as data
in ``catalogue/messages.toml`` (the pages' words) and the services' labels of their
operations, fields and values (:mod:`franoi_common.labels`, which the import templates
read too) and the imports' words (``import.*``), where a translator edits them.

Values of the services' enumerations (sex, protection status, housing need...) are labelled
here too, under ``<enumeration>.<value>``; a test checks that every value has its labels."""

from __future__ import annotations

import json
from collections.abc import Callable

from franoi_common.importing.sheets import WORDS
from franoi_common.labels import LABELS, catalogue

MESSAGES = catalogue("franoi_desk", "messages.toml")
"""The desk's own words: pages, buttons, notices."""
CATALOGUE: dict[str, tuple[str, str]] = {**MESSAGES, **LABELS, **WORDS}
"""The pages' strings, the labels of the services' operations, fields and values, and the
words of an import's report (``import.*``, as ``franoi-import`` says them)."""


def _value_labels() -> dict[str, tuple[str, str]]:
    """The label of a coded value wherever every enumeration holding it labels it alike
    (``exit_from_reception``), for records whose answers do not name their enumeration."""
    found: dict[str, set[tuple[str, str]]] = {}
    for key, labels in CATALOGUE.items():
        if key.startswith(("enum.", "status.")):
            found.setdefault(key.rsplit(".", 1)[1], set()).add(labels)
    return {value: next(iter(labels)) for value, labels in found.items() if len(labels) == 1}


VALUES = _value_labels()


def value_label(value: object, lang: str, enum: str | None = None) -> str:
    """A record's coded value in ``lang`` where the catalogue knows it (as a value of
    ``enum`` when the page names it), else as it is."""
    labels = CATALOGUE.get(f"enum.{enum}.{value}") if enum else None
    labels = labels or VALUES.get(str(value))
    return labels[1 if lang == "en" else 0] if labels else str(value)


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` in ``lang``; an unknown key shows itself (and a test fails on it)."""
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        labels = CATALOGUE.get(key)
        return labels[index] if labels else key

    return t


CLIENT_STRINGS = (
    "outbox.title",
    "outbox.waiting_count",
    "outbox.last_sync",
    "outbox.never",
    "outbox.sync_now",
    "outbox.empty",
    "outbox.queued",
    "outbox.state.draft",
    "outbox.state.waiting",
    "outbox.state.sending",
    "outbox.state.sent",
    "outbox.state.refused",
    "outbox.state.conflict",
    "outbox.open",
    "outbox.fix",
    "outbox.resend",
    "outbox.next_try",
    "outbox.offline",
    "outbox.sign_in_again",
    "outbox.editing",
    "outbox.conflict_intro",
    "outbox.conflict_field",
    "outbox.conflict_mine",
    "outbox.conflict_theirs",
    "outbox.conflict_apply",
    "outbox.kept_theirs",
    "outbox.signout_unsent",
    "offline.keep",
    "offline.kept",
    "offline.forget",
    "offline.failed",
)
"""The catalogue's strings the desk's script shows (it reads them from the page)."""


def client_strings(lang: str) -> str:
    """The script's strings in ``lang``, as the JSON of a ``<script type=application/json>``
    (never run: the CSP forbids inline scripts; ``<`` escaped so it cannot end the tag)."""
    t = translator(lang)
    return json.dumps({key: t(key) for key in CLIENT_STRINGS}, ensure_ascii=False).replace(
        "<", "\\u003c"
    )
