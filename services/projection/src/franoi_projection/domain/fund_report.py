"""The fund report's figures, from every partner's sums of the monthly counters (those an
approved version fixed, or the live ones): the key numbers and every network indicator for
the network, each region and each partner, added up exactly as the live views add them
(:func:`franoi_projection.domain.views.scope_totals`, :func:`views.key_numbers`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from franoi_projection.domain import views
from franoi_projection.domain.indicators import BY_ID, CATALOGUE, KEY_NUMBERS, Indicator, Text

NETWORK_INDICATORS: tuple[Indicator, ...] = tuple(i for i in CATALOGUE if i.network)
KEY_NUMBER_INDICATORS: tuple[Indicator, ...] = tuple(BY_ID[i] for i in KEY_NUMBERS)

SCOPE_LABELS = {
    "network": Text("Rete", "Network"),
    "region": Text("Regione", "Region"),
    "partner": Text("Partner", "Partner"),
}

Sums = Mapping[str, Mapping[str, tuple[int, int]]]


@dataclass(frozen=True)
class Scope:
    kind: str
    """network | region | partner"""
    key: str
    """The region's name or the partner's id; empty for the network."""


def scopes(regions: Mapping[str, str]) -> list[Scope]:
    """The network, then every region, then every partner, in order."""
    return [
        Scope("network", ""),
        *(Scope("region", r) for r in sorted(set(regions.values()))),
        *(Scope("partner", p) for p in sorted(regions)),
    ]


def figures(
    regions: Mapping[str, str],
    sums: Sums,
    indicators: Sequence[Indicator],
    lang: str,
    scope: Scope,
) -> list[dict[str, Any]]:
    """The rows of ``indicators`` for one scope (exact: a report to the fund is not
    suppressed), each a key-number row (:func:`views.key_numbers`)."""
    partner = scope.key if scope.kind == "partner" else None
    region = scope.key if scope.kind == "region" else None
    totals = views.scope_totals(regions, sums, partner, region)
    return views.key_numbers(indicators, totals, lang, suppressed=False)


def differences(
    regions: Mapping[str, str],
    fixed: Sums,
    live: Sums,
    indicators: Sequence[Indicator],
) -> dict[str, dict[str, float]]:
    """Per partner, the indicators whose live value is no longer the fixed one: live minus
    fixed (a rate: in its own unit, a fraction)."""
    out: dict[str, dict[str, float]] = {}
    for partner in sorted(set(regions) | set(live)):
        scope = Scope("partner", partner)
        before = figures(regions, fixed, indicators, "it", scope)
        now = figures({**regions, partner: regions.get(partner, "")}, live, indicators, "it", scope)
        changed = {
            b["indicator_id"]: (n["value"] or 0) - (b["value"] or 0)
            for b, n in zip(before, now, strict=True)
            if b["value"] != n["value"]
        }
        if changed:
            out[partner] = changed
    return out
