"""The fault suite's short form (``franoi-faults --short``): both suites, each on a network of
its own (its own PostgreSQL servers and Apache Kafka, every part a process of its own),
with fewer scenarios and a few seconds each. Every promise must hold: nothing acknowledged
lost, nothing reordered, counts exact, every poison message dead-lettered with its reason,
no partition blocked, every part back by itself, the probes truthful, the rebuild equal to
the live read model. The full run is ``franoi-faults`` (docs/reliability.md).
"""

from __future__ import annotations

import pytest
from franoi_benchmarks.faults import SHORT_SECONDS, SUITES, short_scenarios
from franoi_benchmarks.faults.run import run_suite
from franoi_devenv import ApacheKafka


@pytest.mark.parametrize("suite", sorted(SUITES), ids=str)
async def test_every_promise_holds_under_faults(suite: str) -> None:
    if not ApacheKafka.is_available():
        pytest.fail("the fault suite needs Apache Kafka (java and its jars, or mvn)")
    topology, _ = SUITES[suite]
    scenarios = short_scenarios(suite)
    result = await run_suite(suite, topology, scenarios, SHORT_SECONDS)

    assert result.problems == [], result.as_dict()
    assert [s.name for s in result.scenarios] == [s.name for s in scenarios]
    for scenario in result.scenarios:
        assert sum(scenario.faults.values()) >= 1, f"{scenario.name}: no fault was injected"
        assert scenario.commands > 0, f"{scenario.name}: no command met the faults"
        assert scenario.probes_asked > 0
    last = result.scenarios[-1].figures
    assert last.poison_sent > 0 and last.poison_dead_lettered == last.poison_sent
    assert set(last.poison_reasons) == {
        "bad payload",
        "invalid data",
        "bad headers",
        "partner mismatch",
    }
    assert last.lost == last.reordered == last.count_mismatches == 0
    assert result.rebuild_differences == {}
    assert result.restarts, "no part was killed and brought back"
