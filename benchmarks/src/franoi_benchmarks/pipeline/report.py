"""The pipeline benchmark's report: every figure next to its raw baseline, with the ratio."""

from __future__ import annotations

from typing import Any


def _row(label: str, s: dict[str, float]) -> str:
    if not s.get("n"):
        return f"  {label:<52} (no samples)"
    cells = "".join(f"{s[k]:>9.1f}" for k in ("p50", "p95", "p99", "max"))
    return f"  {label:<52}{cells}   n={int(s['n'])}"


def cpu_line(during: str, usage: dict[str, float]) -> str:
    """Each part's share of one core during a phase (the machine's own share apart)."""
    parts = (f"{n} {v}" for n, v in usage.items() if n != "machine_busy_percent_of_all_cpus")
    return f"  CPU during {during} (% of one core): " + ", ".join(parts)


def side_by_side(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each pipeline figure next to its raw baseline of the same run, with the ratio."""
    rows: list[dict[str, Any]] = []

    def add(what: str, baseline: str, b: float, pipeline: str, v: float, target: str) -> None:
        ratio = v / b if b else float("nan")
        rows.append(
            {
                "what": what,
                "baseline": baseline,
                "baseline_value": b,
                "pipeline": pipeline,
                "pipeline_value": v,
                "ratio": round(ratio, 3),
                "target": target,
            }
        )

    commands = report.get("commands")
    if commands:
        raw, housing, bare = commands["raw-db"], commands["housing-p03"], commands["bare"]
        add(
            "command: server CPU per request (ms)",
            "FastAPI + asyncpg, row + outbox row in one transaction",
            raw["server_cpu_ms_per_request"],
            "housing POST /v1/requests (relay in-process)",
            housing["server_cpu_ms_per_request"],
            "<= 2",
        )
        add(
            "commands/s",
            "same",
            raw["requests_per_s"],
            "same",
            housing["requests_per_s"],
            "",
        )
        add(
            "  (for scale) bare FastAPI endpoint, CPU per request (ms)",
            "bare FastAPI endpoint",
            bare["server_cpu_ms_per_request"],
            "housing",
            housing["server_cpu_ms_per_request"],
            "",
        )
    raw_kafka, raw_upsert = report.get("raw_kafka"), report.get("raw_upsert")
    backlog, replay = report.get("backlog"), report.get("replay")
    if raw_kafka and backlog:
        add(
            "relay drain of a standing backlog (events/s)",
            "raw aiokafka produce, acks=all, idempotent, linger 5 ms",
            raw_kafka["produce_per_s"],
            "relay",
            backlog["relay_events_per_s"],
            ">= 0.5",
        )
    if raw_upsert and backlog:
        add(
            "live apply of a standing backlog (events/s)",
            "executemany upsert, 500 rows per transaction",
            raw_upsert["rows_per_s"],
            "projection consumer",
            backlog["projection_events_per_s"],
            "",
        )
    if raw_upsert and replay:
        add(
            "rebuild into an empty read model (events/s)",
            "executemany upsert, 500 rows per transaction",
            raw_upsert["rows_per_s"],
            "replay, fresh group",
            replay["rebuild"]["events_per_s"],
            ">= 0.1",
        )
    if raw_kafka and replay:
        add(
            "rebuild (events/s) against raw consume",
            "raw aiokafka consume, getmany(max_records=500)",
            raw_kafka["consume_per_s"],
            "replay, fresh group",
            replay["rebuild"]["events_per_s"],
            "",
        )
        add(
            "redelivery, every event a duplicate (events/s)",
            "raw aiokafka consume",
            raw_kafka["consume_per_s"],
            "replay into the same read model",
            replay["redelivery"]["events_per_s"],
            "",
        )
    return rows


def render_side_by_side(report: dict[str, Any]) -> list[str]:
    rows = side_by_side(report)
    if not rows:
        return []
    lines = [
        "",
        "Side by side with the raw baselines of this run",
        f"  {'what':<58}{'baseline':>12}{'pipeline':>12}{'ratio':>9}  target",
    ]
    for row in rows:
        lines.append(
            f"  {row['what']:<58}{row['baseline_value']:>12.3f}{row['pipeline_value']:>12.3f}"
            f"{row['ratio']:>9.3f}  {row['target']}"
        )
    burst = report.get("burst")
    if burst:
        lag = burst["projection_behind_relay_ms"]
        lines.append(
            f"  live burst: projection behind the relay (ms)  p50 {lag.get('p50', 0):.1f}"
            f"  p99 {lag.get('p99', 0):.1f}  max {lag.get('max', 0):.1f}   target: max <= 1000"
        )
    commands = report.get("commands")
    if commands:
        lines.append(
            "  commands: "
            + "; ".join(
                f"{kind} {commands[kind]['requests_per_s']:.0f}/s,"
                f" {commands[kind]['server_cpu_ms_per_request']:.3f} ms CPU"
                for kind in ("bare", "raw-db", "housing-p03")
            )
            + f" ({commands['concurrency']} clients; medians of {commands['rounds']} rounds)"
        )
        by_round = zip(
            commands["raw-db"]["server_cpu_ms_per_request_by_round"],
            commands["housing-p03"]["server_cpu_ms_per_request_by_round"],
            strict=True,
        )
        lines.append(
            "  command CPU by round (raw-db / housing = ratio): "
            + "; ".join(f"{b:.3f} / {h:.3f} = {h / b:.2f}" for b, h in by_round)
        )
    raw = report.get("raw_kafka")
    if raw:
        lines.append(
            f"  raw Kafka: {raw['messages']} messages of {raw['message_bytes']} bytes;"
            f" produce {raw['produce_per_s']:.0f}/s, consume {raw['consume_per_s']:.0f}/s"
        )
    return lines


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    lat = report["latency"]
    burst = report["burst"]
    stages = lat["stages_ms"]
    lines = [
        "",
        "Fra Noi pipeline benchmark",
        f"  {report['command']}",
        f"  broker {env['broker']}, idempotent producer {env['idempotent_producer']}",
        f"  PostgreSQL {env['postgresql']} {env['postgresql_settings']}",
        f"  services {report['services']}; {env['cpus']} CPUs, {env['memory_gib']} GiB,"
        f" Python {env['python']}, load average at start {env['load_average_at_start']}",
        *render_side_by_side(report),
        "",
        f"Latency, one placement at a time (n={lat['placements']})"
        + " " * 14
        + f"{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)",
        _row("commit → projection commit (from outbox insert)", lat["commit_to_projection_ms"]),
        _row("  lower bound: HTTP 201 → projection commit", lat["response_to_projection_ms"]),
        _row("API → API (201 → read API shows it, 2 ms polls)", lat["api_to_api_ms"]),
        _row("HTTP command (request → 201)", lat["http_command_ms"]),
        _row("  stage: outbox insert → relay send (CreateTime)", stages["insert_to_relay_send"]),
        _row("  stage: relay send → acked, marked sent", stages["relay_send_to_marked_sent"]),
        _row("  stage: relay send → projection commit", stages["relay_send_to_projection_commit"]),
        "",
        f"Burst: {burst['commands']} commands (units, unit updates, requests),"
        f" {burst['concurrency']} concurrent clients, {burst['events']} events",
        f"  API accepted                 {burst['api_commands_per_s']:>9.1f} commands/s"
        f"   ({burst['api_seconds']:.2f} s, {burst['errors']} errors)",
        _row("HTTP command under load", burst["http_command_ms"]),
        f"  outbox drained after         {burst['outbox_drained_after_s']:>9.2f} s"
        f"   relay {burst['relay_events_per_s']:.1f} events/s",
        f"  projection caught up after   {burst['projection_done_after_s']:>9.2f} s"
        f"   end to end {burst['end_to_end_events_per_s']:.1f} events/s",
        f"  max outbox backlog           {burst['max_outbox_backlog']:>9d} events",
        f"  max projection lag           {burst['max_projection_lag_events']:>9d} events",
        _row("commit → projection under load", burst["commit_to_projection_ms"]),
        _row("projection commit behind the relay's mark", burst["projection_behind_relay_ms"]),
        f"  checks: every event applied once {burst['all_events_applied_once']},"
        f" unit beds match {burst['unit_beds_match']}, dead letters {burst['dead_letters']}",
        cpu_line("the burst", burst["cpu_percent_of_one_core"])
        + f"; machine busy {burst['cpu_percent_of_one_core']['machine_busy_percent_of_all_cpus']}%"
        " of all CPUs",
    ]
    if "backlog" in report:
        b = report["backlog"]
        lines += [
            "",
            f"Standing backlog: {b['events']} events accepted with the relay stopped,"
            " then the relay started on its own"
            + (
                " (the projection paused until the outbox was drained)"
                if b["projection_paused_while_relay_drains"]
                else ""
            ),
            f"  outbox drained after         {b['outbox_drained_after_s']:>9.2f} s"
            f"   relay {b['relay_events_per_s']:.1f} events/s (from its first send,"
            f" {b['relay_first_send_after_s']:.2f} s after start)",
            f"  projection caught up after   {b['projection_done_after_s']:>9.2f} s"
            f"   projection {b['projection_events_per_s']:.1f} events/s"
            " (first to last applied)",
            f"  checks: every event applied once {b['all_events_applied_once']}",
            cpu_line("the drain", b["cpu_percent_of_one_core"]),
        ]
    if "replay" in report:
        per_poll = report["replay"].get("rebuild_records_per_poll", 500)
        lines += [
            "",
            "Replay of the topics into a fresh consumer group"
            f" (the rebuild as `franoi-projection rebuild` does it: {per_poll} records per"
            " poll, the journeys recomputed once at the end, counted; redelivery as the live"
            " consumer, 500)",
        ]
        for key, label in (
            ("rebuild", "into an empty read model (rebuild)"),
            ("redelivery", "into the same read model (duplicates)"),
        ):
            r = report["replay"][key]
            lines.append(
                f"  {label:<40} {r['events_per_s']:>9.1f} events/s"
                f"   ({r['events']} events in {r['seconds']:.2f} s,"
                f" first after {r['first_event_after_s']:.2f} s;"
                f" applied {r['applied']}, skipped {r['duplicates_skipped']})"
            )
    return "\n".join(lines) + "\n"
