"""The figures every benchmark reports: percentiles, summaries, timed calls, progress."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def progress(message: str) -> None:
    """What the run is doing (on stderr, so that stdout holds the report alone)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in [0, 1])."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    """n, min, p50, p95, p99, max and mean of a series of milliseconds."""
    if not values_ms:
        return {"n": 0}
    return {
        "n": len(values_ms),
        "min": round(min(values_ms), 2),
        "p50": round(percentile(values_ms, 0.50), 2),
        "p95": round(percentile(values_ms, 0.95), 2),
        "p99": round(percentile(values_ms, 0.99), 2),
        "max": round(max(values_ms), 2),
        "mean": round(sum(values_ms) / len(values_ms), 2),
    }


def figures(values_ms: Sequence[float], digits: int) -> dict[str, float]:
    """p50, p95, p99 and max of a series of milliseconds, rounded to ``digits``."""
    return {
        "p50_ms": round(percentile(values_ms, 0.5), digits),
        "p95_ms": round(percentile(values_ms, 0.95), digits),
        "p99_ms": round(percentile(values_ms, 0.99), digits),
        "max_ms": round(max(values_ms), digits),
    }


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """How long ``call`` took (ms), and what it returned."""
    start = time.perf_counter()
    result = await call()
    return (time.perf_counter() - start) * 1000, result


async def repeated(
    call: Callable[[], Awaitable[Any]], repeats: int, warmup: int = 5
) -> list[float]:
    """``call`` ``warmup`` times, then ``repeats`` times timed one after the other (ms)."""
    for _ in range(warmup):
        await call()
    return [(await timed(call))[0] for _ in range(repeats)]


def table(columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A text table: the headings, a rule, a line a row. A column's width is negative for
    text aligned left, positive for figures aligned right."""

    def line(cells: Sequence[Any]) -> str:
        return " ".join(
            f"{cell!s:<{-width}}" if width < 0 else f"{cell!s:>{width}}"
            for cell, (_, width) in zip(cells, columns, strict=True)
        ).rstrip()

    heading = line([title for title, _ in columns])
    return [heading, "-" * len(heading), *(line(row) for row in rows)]
