"""CPU time from ``/proc``: of a process, of its children, of the whole machine."""

from __future__ import annotations

import math
import os
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()
    except OSError:
        return None


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = _stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == parent:
                found.append(int(entry))
    return found


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS, sum(values[:8]) / CLOCK_TICKS


def snapshot(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each group of processes, and by the machine."""
    taken = {name: sum(process_cpu_s(p) for p in pids) for name, pids in groups.items()}
    taken["machine"], taken["machine_total"] = machine_busy_s()
    return taken


def usage(before: dict[str, float], after: dict[str, float], wall_s: float) -> dict[str, Any]:
    """Share of one core used by each group over ``wall_s`` seconds (two :func:`snapshot`)."""
    usage: dict[str, Any] = {
        name: round((after.get(name, 0.0) - value) / wall_s * 100, 1)
        for name, value in before.items()
        if name not in ("machine", "machine_total")
    }
    busy = after["machine"] - before["machine"]
    ours = sum(
        after.get(n, 0.0) - v for n, v in before.items() if n not in ("machine", "machine_total")
    )
    usage["other processes"] = round(max(0.0, busy - ours) / wall_s * 100, 1)
    total = after["machine_total"] - before["machine_total"]
    usage["machine_busy_percent_of_all_cpus"] = round(busy / total * 100 if total else math.nan, 1)
    return usage
