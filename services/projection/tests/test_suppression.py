"""Small-cell suppression: no count from 1 to 4 is published, and no suppressed cell can be
recovered from the published cells and the total (tried by brute force, as an attacker)."""

from __future__ import annotations

import itertools
import random

import pytest
from franoi_projection.domain.suppression import (
    THRESHOLD,
    Mark,
    possible_values,
    suppress_group,
    suppress_value,
)


def recoverable(values: list[int], marks: tuple[Mark, ...], total_mark: Mark) -> list[int]:
    """Indexes of suppressed cells whose value an attacker pins down by trying every
    assignment consistent with what is published (small groups only)."""
    if total_mark is not Mark.PUBLISHED:
        return []
    total = sum(values)
    published = [v for v, m in zip(values, marks, strict=True) if m is Mark.PUBLISHED]
    ceiling = min([v for v in published if v > 0], default=total)
    hidden = [i for i, m in enumerate(marks) if m is not Mark.PUBLISHED]
    ranges = [
        range(1, THRESHOLD) if marks[i] is Mark.PRIMARY else range(THRESHOLD, ceiling + 1)
        for i in hidden
    ]
    target = total - sum(published)
    seen: dict[int, set[int]] = {i: set() for i in hidden}
    for combo in itertools.product(*ranges):
        if sum(combo) == target:
            for i, v in zip(hidden, combo, strict=True):
                seen[i].add(v)
    return [i for i in hidden if len(seen[i]) < 2]


def test_counts_from_one_to_four_are_never_published() -> None:
    assert suppress_value(0) is Mark.PUBLISHED
    assert [suppress_value(v) for v in (1, 2, 3, 4)] == [Mark.PRIMARY] * 4
    assert suppress_value(5) is Mark.PUBLISHED


def test_a_single_small_cell_gets_a_complement() -> None:
    result = suppress_group([3, 10, 40], total=53)
    assert result.cells == (Mark.PRIMARY, Mark.COMPLEMENT, Mark.PUBLISHED)
    assert result.total is Mark.PUBLISHED


def test_complement_is_widened_until_the_small_cell_is_ambiguous() -> None:
    # 1 + 5: the reader knows the complement is >= 5, so 1 would be pinned down
    result = suppress_group([1, 5, 5, 9], total=20)
    assert recoverable([1, 5, 5, 9], result.cells, result.total) == []
    assert result.cells.count(Mark.COMPLEMENT) >= 2


def test_two_small_cells_that_would_be_determined_are_protected() -> None:
    # 4 + 4 with the rest published: the hidden sum 8 forces both to 4
    result = suppress_group([4, 4, 20], total=28)
    assert result.cells[2] is Mark.COMPLEMENT
    assert recoverable([4, 4, 20], result.cells, result.total) == []


def test_a_small_total_is_suppressed_and_zero_stays() -> None:
    result = suppress_group([0, 3, 0], total=3)
    assert result.total is Mark.PRIMARY
    assert result.cells == (Mark.PUBLISHED, Mark.PRIMARY, Mark.PUBLISHED)


def test_without_total_only_small_cells_are_hidden() -> None:
    result = suppress_group([3, 7, 2])
    assert result.cells == (Mark.PRIMARY, Mark.PUBLISHED, Mark.PRIMARY)


def test_when_nothing_can_complement_the_total_is_hidden() -> None:
    result = suppress_group([4, 4, 0], total=8)
    assert result.total is Mark.COMPLEMENT


def test_possible_values_is_the_attackers_interval() -> None:
    marks = (Mark.PRIMARY, Mark.COMPLEMENT, Mark.PUBLISHED)
    assert possible_values([3, 10, 40], marks, 53, 0) == (1, 4)


@pytest.mark.parametrize("seed", range(300))
def test_no_suppressed_cell_is_ever_recoverable(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(1, 5)
    values = [rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 30]) for _ in range(size)]
    result = suppress_group(values, total=sum(values))
    for value, mark in zip(values, result.cells, strict=True):
        assert not (0 < value < THRESHOLD and mark is Mark.PUBLISHED)
        assert not (value == 0 and mark is Mark.PRIMARY)
    if 0 < sum(values) < THRESHOLD:
        assert result.total is not Mark.PUBLISHED
    assert recoverable(values, result.cells, result.total) == [], (values, result)
