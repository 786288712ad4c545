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

from collections.abc import Sequence
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
