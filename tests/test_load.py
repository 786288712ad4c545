"""The local network held under a mixed load, in short (``franoi-load`` runs it for ten
minutes): the partners' services write the demo again and again while a social worker reads
at the desk, the dashboard reads its views and follows its live stream. Nothing is refused,
every read answers, the stream goes on, the projection catches up, and no process's memory
grows past the bound (docs/reliability.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from franoi_network.load import run

SECONDS = 30.0


async def test_the_network_holds_a_mixed_load() -> None:
    report = await run(SECONDS, Path(tempfile.mkdtemp(prefix="franoi-load-")))

    assert report["writes"]["calls"] > 0 and report["writes"]["refused"] == 0, report["writes"]
    assert report["read failures"] == {}
    kinds = report["reads"]
    assert {kind.split()[0] for kind in kinds} == {"desk", "dashboard"}
    assert all(figures["n"] > 0 for figures in kinds.values())
    assert report["stream updates"] > 0
    assert report["caught up after the load s"] is not None
    assert {"services (python)", "postgresql", "apache kafka"} <= set(report["memory at end MiB"])
    assert all(report["memory within bound"].values()), report["memory at end MiB"]
