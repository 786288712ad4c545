"""The desk's outbox benchmark (``franoi-bench outbox``) in a small run: 30 registrations
sent online, 30 recorded offline and delivered after reconnection, in a real Chromium, the
register and the desk served in this process. The benchmark itself fails when an entry is
lost or arrives twice; here, that both figures were measured and reported."""

from __future__ import annotations

import pytest
from franoi_benchmarks import outbox


async def test_entries_recorded_offline_are_delivered_and_timed(postgres_admin_url: str) -> None:
    args = outbox.parse_args(["--entries", "30", "--services", "in-process"])
    report = await outbox.run(args, admin_url=postgres_admin_url)

    assert report["entries"] == 30 and report["each_once"]
    assert 0 < report["online_s"] and 0 < report["offline_delivery_s"]
    assert report["ratio"] == pytest.approx(
        report["offline_delivery_s"] / report["online_s"], abs=0.05
    )
    assert "30 registrations" in outbox.render(report)
