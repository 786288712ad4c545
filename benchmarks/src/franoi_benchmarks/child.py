"""One server of a benchmark in its own process: ``python -m franoi_benchmarks.child KIND``.

``KIND`` is a service (its settings from ``FRANOI_*`` variables, as ``serve`` reads them;
logging and tracing as ``serve`` sets them up) or a raw baseline of the pipeline benchmark
(``bare``, ``raw-db``: no tracing). It serves until SIGTERM or SIGINT, or until its stdin
closes: the benchmark that started it has ended.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import uvloop
from franoi_common.telemetry import setup_logging, setup_tracing
from franoi_devenv.services import RunningApp, RunningService

from franoi_benchmarks.pipeline.commands import BASELINES, baseline_app
from franoi_benchmarks.serving import DEFINITIONS, SERVE_OPTIONS


def server(kind: str) -> RunningApp:
    if kind in BASELINES:  # the baselines are raw: no tracing
        setup_logging(f"bench-{kind}", os.environ.get("FRANOI_LOG_LEVEL", "WARNING"))
        app = baseline_app(kind, os.environ.get("FRANOI_DATABASE_URL", ""))
        return RunningApp(app, kind, int(os.environ["FRANOI_HTTP_PORT"]), **SERVE_OPTIONS)
    definition = DEFINITIONS[kind]
    settings = definition.settings_type()
    setup_logging(kind, settings.log_level)
    setup_tracing(kind, settings.otel_exporter_endpoint)
    return RunningService(definition, settings, settings.http_port, **SERVE_OPTIONS)


async def serve_until_told(app: RunningApp) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def parent_gone() -> None:
        if not os.read(0, 4096):  # EOF: the benchmark has gone
            loop.remove_reader(0)
            stop.set()

    loop.add_reader(0, parent_gone)
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()


def main(argv: list[str]) -> None:
    [kind] = argv
    if kind not in (*DEFINITIONS, *BASELINES):
        raise SystemExit(f"not a service or a baseline: {kind}")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve_until_told(server(kind)))


if __name__ == "__main__":
    main(sys.argv[1:])
