"""What a data-quality rule is, and what it raises.

A :class:`Rule` is defined once with its Italian and English texts (like an indicator) and
a severity; its check is a pure function from the :class:`~.facts.Facts` and the day of the
run to :class:`Flag` s. A flag names the partner, the fact table and the records (their own
ids: a placement's, a stay's, a registration's; never the person's network pseudonym) and
the dates that make it, so a partner can open each record and fix or explain it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from franoi_projection.domain.indicators.model import Text
from franoi_projection.domain.quality.facts import Facts


class Severity(StrEnum):
    ERROR = "error"
    """Impossible as recorded: a figure built on it is wrong."""
    WARNING = "warning"
    """Doubtful: probably a step not recorded, to fix or explain."""


SEVERITY_LABELS: dict[Severity, Text] = {
    Severity.ERROR: Text("Errore", "Error"),
    Severity.WARNING: Text("Da verificare", "To check"),
}


@dataclass(frozen=True)
class Flag:
    """One finding: ``subject`` is the fact table of ``record_ids`` (or, for a figure,
    the indicator); ``dates`` the named days that make it; ``value`` a measure when the
    rule has one (days, a z-score)."""

    rule_id: str
    partner_id: str
    subject: str
    record_ids: tuple[str, ...]
    dates: tuple[tuple[str, dt.date], ...]
    value: float | None = None


Check = Callable[[Facts, dt.date], list[Flag]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: Text
    explanation: Text
    severity: Severity
    check: Check
