"""Small-cell suppression for everything that leaves the consortium.

A count from 1 to :data:`THRESHOLD` - 1 is *primary* suppressed (shown "<5"); 0 is shown.
In a group of cells published with their total (a table's rows and its total line), a
suppressed cell could be recovered by subtracting the published cells from the total, so
*complementary* cells are suppressed too until no suppressed cell can be pinned down.

The check is exact, from what a reader knows: the total, the published cells, that a
primary cell is between 1 and 4, and that a complementary cell (shown "n.d.") is at least
5 and — the complements being chosen smallest first — at most the smallest published
non-zero cell. A suppressed cell is safe when at least two values remain possible for it.
The sum of a set of integer intervals is itself an interval, so the values a cell can take
are an interval computed without search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

THRESHOLD = 5
UNBOUNDED = 10**15


class Mark(StrEnum):
    PUBLISHED = "published"
    PRIMARY = "primary"
    """1..4: shown as "<5"."""
    COMPLEMENT = "complement"
    """Suppressed so that another cell cannot be recovered: shown as "n.d."."""


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


@dataclass(frozen=True)
class Suppressed:
    cells: tuple[Mark, ...]
    total: Mark


def _bounds(mark: Mark, ceiling: int) -> tuple[int, int]:
    if mark is Mark.PRIMARY:
        return 1, THRESHOLD - 1
    return THRESHOLD, ceiling


def possible_values(
    values: Sequence[int], marks: Sequence[Mark], total: int, index: int
) -> tuple[int, int]:
    """The interval of values cell ``index`` can take for a reader who sees the published
    cells, the total and the marks (``total`` is published)."""
    published_nonzero = [
        v for v, m in zip(values, marks, strict=True) if m is Mark.PUBLISHED and v > 0
    ]
    ceiling = min(published_nonzero, default=UNBOUNDED)
    hidden_sum = total - sum(v for v, m in zip(values, marks, strict=True) if m is Mark.PUBLISHED)
    low, high = _bounds(marks[index], ceiling)
    rest_low = rest_high = 0
    for i, mark in enumerate(marks):
        if i == index or mark is Mark.PUBLISHED:
            continue
        lo, hi = _bounds(mark, ceiling)
        rest_low += lo
        rest_high += hi
    return max(low, hidden_sum - rest_high), min(high, hidden_sum - rest_low)


def _exposed(values: Sequence[int], marks: Sequence[Mark], total: int) -> bool:
    for i, mark in enumerate(marks):
        if mark is Mark.PUBLISHED:
            continue
        low, high = possible_values(values, marks, total, i)
        if high - low < 1:
            return True
    return False


def suppress_group(values: Sequence[int], total: int | None = None) -> Suppressed:
    """Marks for a group of counts and, if the group is published with it, its total
    (``None``: no total line, e.g. a stock over months, which does not add up)."""
    marks = [Mark.PRIMARY if is_small(v) else Mark.PUBLISHED for v in values]
    if total is None:
        return Suppressed(tuple(marks), Mark.PUBLISHED)
    if is_small(total):
        # Every non-zero cell is then small too; nothing is published to subtract.
        return Suppressed(tuple(marks), Mark.PRIMARY)
    while any(m is not Mark.PUBLISHED for m in marks) and _exposed(values, marks, total):
        candidates = [
            i for i, (v, m) in enumerate(zip(values, marks, strict=True))
            if m is Mark.PUBLISHED and v > 0
        ]  # fmt: skip
        if not candidates:
            return Suppressed(tuple(marks), Mark.COMPLEMENT)
        smallest = min(candidates, key=lambda i: (values[i], i))
        marks[smallest] = Mark.COMPLEMENT
    return Suppressed(tuple(marks), Mark.PUBLISHED)


def suppress_value(value: int) -> Mark:
    """A single published count (a key number)."""
    return Mark.PRIMARY if is_small(value) else Mark.PUBLISHED


# ------------------------------------------------------------------ across answers

Node = str
Group = tuple[Node, Sequence[Node]]
"""A published figure and the figures it is the sum of (a region and its partners)."""


def _node_bounds(value: int, mark: Mark) -> tuple[int, int]:
    if mark is Mark.PUBLISHED:
        return value, value
    if mark is Mark.PRIMARY:
        return 1, THRESHOLD - 1
    return THRESHOLD, UNBOUNDED  # a complement is a published non-zero count, hence >= 5


def feasible(
    values: Mapping[Node, int], marks: Mapping[Node, Mark], groups: Sequence[Group]
) -> dict[Node, tuple[int, int]]:
    """The interval each figure can take for a reader who has every published answer of the
    hierarchy (each figure asked on its own, in any order) and knows that each parent is
    the sum of its children. The groups form a tree (a region is a child of the network and
    the parent of its partners), where narrowing every interval by every sum until nothing
    changes gives the exact ranges."""
    bounds = {n: _node_bounds(values[n], marks[n]) for n in values}
    changed = True
    while changed:
        changed = False
        for parent, children in groups:
            lows = [bounds[c][0] for c in children]
            highs = [bounds[c][1] for c in children]
            low, high = bounds[parent]
            narrowed = max(low, sum(lows)), min(high, sum(highs))
            if narrowed != bounds[parent]:
                bounds[parent], changed = narrowed, True
            low, high = bounds[parent]
            for i, child in enumerate(children):
                rest_low, rest_high = sum(lows) - lows[i], sum(highs) - highs[i]
                c_low, c_high = bounds[child]
                narrowed = max(c_low, low - rest_high), min(c_high, high - rest_low)
                if narrowed != bounds[child]:
                    bounds[child], changed = narrowed, True
    return bounds


def suppress_hierarchy(values: Mapping[Node, int], groups: Sequence[Group]) -> dict[Node, Mark]:
    """Marks for every figure of a hierarchy of sums (the network, its regions, their
    partners) so that *no combination of answers* pins down a suppressed figure: asking a
    region and then each of its partners separately tells a reader no more than one table
    with its total would. Complements are the smallest published non-zero figures next to
    an exposed one (its siblings, its parent, its children)."""
    marks = {n: Mark.PRIMARY if is_small(v) else Mark.PUBLISHED for n, v in values.items()}
    neighbours: dict[Node, set[Node]] = {n: set() for n in values}
    for parent, children in groups:
        for child in children:
            neighbours[child] |= {parent, *children}
            neighbours[parent].add(child)
    while True:
        bounds = feasible(values, marks, groups)
        exposed = [
            n for n, m in marks.items() if m is not Mark.PUBLISHED and bounds[n][0] == bounds[n][1]
        ]
        if not exposed:
            return marks
        candidates = {
            c
            for n in exposed
            for c in neighbours[n]
            if marks[c] is Mark.PUBLISHED and values[c] > 0
        }
        if not candidates:  # not seen with sums of counts; if it were, hide every count
            return {n: Mark.COMPLEMENT if values[n] > 0 else m for n, m in marks.items()}
        marks[min(candidates, key=lambda c: (values[c], c))] = Mark.COMPLEMENT
