"""The partner directory: who the network's partners are, and its file format."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

AXES = ("housing", "employment", "hosting", "events", "cases")
KINDS = ("cooperative", "association", "foundation", "public_body", "other")


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    region: str
    province: str
    kind: str = "other"
    axes: tuple[str, ...] = ()
    active_since: dt.date | None = None


def _partner(row: dict[str, str]) -> Partner:
    axes = tuple(a for a in (row.get("axes") or "").split(";") if a)
    since = row.get("active_since") or None
    return Partner(
        partner_id=row["partner_id"],
        name=row["name"],
        region=row["region"],
        province=row["province"],
        kind=row.get("kind") or "other",
        axes=axes,
        active_since=dt.date.fromisoformat(since) if since else None,
    )


def parse_directory(text: str) -> list[Partner]:
    """A directory file: CSV with partner_id, name, kind, region, province, axes separated
    by ``;``, active_since (the last three optional)."""
    partners = [_partner(row) for row in csv.DictReader(io.StringIO(text))]
    if not partners:
        raise ValueError("the partner directory is empty")
    for partner in partners:
        if partner.kind not in KINDS or not set(partner.axes) <= set(AXES):
            raise ValueError(f"partner {partner.partner_id}: unknown kind or axis")
    return partners
