"""Tracing and structured logs, set up in one place for every service.

Traces: OpenTelemetry SDK, exported over OTLP/HTTP when an endpoint is set;
FastAPI is instrumented by the HTTP module, PostgreSQL statements by the pool's
connection class (``franoi_common.db``); Kafka publish/consume spans are made
by the outbox relay and the consumer and linked through the W3C
``traceparent`` header. Logs: one JSON object per line carrying the trace id.
Nothing here may log a person's identifier: log ids, types and counts only.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter

_configured = False


class _TraceContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        return True


def setup_logging(service_name: str, level: str = "INFO") -> None:
    """JSON lines on stderr with service, trace and span ids."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service_name},
        )
    )
    handler.addFilter(_TraceContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))


def setup_tracing(service_name: str, otlp_endpoint: str | None) -> None:
    """Install the tracer provider once per process (sampling as the standard
    ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` variables say; default: every
    trace)."""
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


# The W3C ``traceparent`` of version 00 (other versions go through the propagator).
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_W3C_FIELDS = frozenset({"traceparent", "tracestate", "baggage"})


_checked: tuple[object, bool] = (None, False)


def w3c_propagators() -> bool:
    """True when the configured propagators are the default ones (W3C trace context and
    baggage): then the fast paths here write and read exactly what they would."""
    global _checked
    textmap = propagate.get_global_textmap()
    if _checked[0] is not textmap:
        _checked = (textmap, textmap.fields == _W3C_FIELDS)
    return _checked[1]


def message_trace_headers(span: trace.Span) -> list[tuple[str, bytes]]:
    """A message's trace headers for ``span`` (what the configured propagators inject; the
    W3C ``traceparent`` and ``tracestate`` written directly for the default ones)."""
    span_context = span.get_span_context()
    if not w3c_propagators():
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        return [(name, value.encode()) for name, value in carrier.items()]
    if not span_context.is_valid:
        return []
    headers = [
        (
            "traceparent",
            f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
            f"-{span_context.trace_flags:02x}".encode(),
        )
    ]
    if span_context.trace_state:
        headers.append(("tracestate", span_context.trace_state.to_header().encode()))
    return headers


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, for an outbox row or a message."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> otel_context.Context:
    """The context a message's trace headers carry (what the configured propagators extract;
    a W3C ``traceparent`` alone is read directly, without the generic propagator machinery:
    the relay and the consumer do this for every event)."""
    if len(headers) == 1 and "traceparent" in headers:
        fast = context_from_traceparent(headers["traceparent"])
        if fast is not None:
            return fast
    return propagate.extract(dict(headers))


def context_from_traceparent(traceparent: str) -> otel_context.Context | None:
    """The context of a W3C ``traceparent`` (version 00) when the default propagators are
    configured; None otherwise (then use :func:`context_from_headers`)."""
    if not w3c_propagators():
        return None
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None:
        return None
    trace_id, span_id = int(match[1], 16), int(match[2], 16)
    if not (trace_id and span_id):
        return None
    span_context = trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(int(match[3], 16))
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context), otel_context.Context())
