"""Small-cell suppression: no count from 1 to 4 is published, and no suppressed cell can be
recovered from the published cells and the total (tried by brute force, as an attacker)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence

import pytest
from franoi_projection.domain.suppression import (
    THRESHOLD,
    Mark,
    feasible,
    possible_values,
    suppress_group,
    suppress_hierarchy,
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


# ------------------------------------------------------------------ across answers


def _tree(shape: Sequence[int]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Partners p<r><i> in regions r<r> of the network: the leaves and the groups."""
    leaves, groups, regions = [], [], []
    for r, size in enumerate(shape):
        partners = [f"p{r}{i}" for i in range(size)]
        leaves += partners
        regions.append(f"r{r}")
        groups.append((f"r{r}", partners))
    return leaves, [("net", regions), *groups]


def _sums(
    leaf_values: Mapping[str, int], groups: Sequence[tuple[str, Sequence[str]]]
) -> dict[str, int]:
    values = dict(leaf_values)
    for parent, children in reversed(groups):  # regions before the network
        values[parent] = sum(values[c] for c in children)
    return values


def _consistent(value: int, mark: Mark, published: int) -> bool:
    if mark is Mark.PUBLISHED:
        return value == published
    if mark is Mark.PRIMARY:
        return 0 < value < THRESHOLD
    return value >= THRESHOLD


@pytest.mark.parametrize(("shape", "top", "instances"), [((2, 2), 12, 40), ((3, 1, 1), 9, 12)])
def test_no_combination_of_answers_recovers_a_suppressed_figure(
    shape: Sequence[int], top: int, instances: int
) -> None:
    """The attacker asks the network, every region and every partner separately, then
    tries every possible set of partner counts against all those answers: each suppressed
    figure keeps at least two possible values. Without the hierarchy (each answer
    suppressed on its own) the same attacker recovers figures — checked too."""
    leaves, groups = _tree(shape)
    rng = random.Random(sum(shape) * 100 + top)
    recovered_alone = 0
    every = [
        _sums(dict(zip(leaves, counts, strict=True)), groups)
        for counts in itertools.product(range(top + 1), repeat=len(leaves))
    ]
    for _ in range(instances):
        truth = _sums(
            {leaf: rng.choice([0, 1, 2, 3, 4, rng.randint(5, top)]) for leaf in leaves}, groups
        )
        for marks, hierarchy in (
            (suppress_hierarchy(truth, groups), True),
            ({n: suppress_value(v) for n, v in truth.items()}, False),
        ):
            possible: dict[str, set[int]] = {n: set() for n in truth}
            for candidate in every:
                if all(_consistent(candidate[n], marks[n], truth[n]) for n in truth):
                    for n, v in candidate.items():
                        possible[n].add(v)
            pinned = [
                n for n, m in marks.items() if m is not Mark.PUBLISHED and len(possible[n]) < 2
            ]
            if hierarchy:
                assert truth == {n: truth[n] for n in possible if truth[n] in possible[n]}
                assert pinned == [], (truth, marks)
            else:
                recovered_alone += len(pinned)
    assert recovered_alone > 0


def test_the_hierarchy_publishes_what_is_safe() -> None:
    """Nothing is hidden without need: no small figure, nothing suppressed."""
    _, groups = _tree((2, 2))
    truth = _sums({"p00": 7, "p01": 9, "p10": 0, "p11": 12}, groups)
    assert set(suppress_hierarchy(truth, groups).values()) == {Mark.PUBLISHED}
    # One small partner: a sibling (here the only non-zero one) or the region goes too.
    truth = _sums({"p00": 3, "p01": 9, "p10": 6, "p11": 12}, groups)
    marks = suppress_hierarchy(truth, groups)
    assert marks["p00"] is Mark.PRIMARY
    assert marks["net"] is Mark.PUBLISHED or marks["r0"] is not Mark.PUBLISHED
    bounds = feasible(truth, marks, groups)
    assert bounds["p00"][0] < bounds["p00"][1]
