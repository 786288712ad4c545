"""One trace from the social worker's request to the projection's transaction,
carried through the outbox row (the event's creation span) and the Kafka
``traceparent`` header; the relay's batch span links to it; JSON logs carry the
trace id."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

from franoi_common.telemetry import setup_logging
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from tests.support import (
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)


async def test_request_publish_and_consume_share_one_trace(
    spans, databases, kafka_bootstrap, kafka_idempotent
) -> None:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING, partner_service_settings(await databases.create("housing"), kafka, ["p17"])
    )
    projection = RunningService(
        PROJECTION, projection_settings(await databases.create("projection"), kafka, ["p17"])
    )
    async with running(housing, projection):
        spans.clear()
        response = await housing.client.post(
            "/v1/units",
            json={
                "municipality_code": "L736",
                "beds": 2,
                "monthly_rent_eur": 0,
                "rent_regime": "free",
                "provider": "partner_owned",
                "available_from": dt.date.today().isoformat(),
            },
            headers=auth_header("p17"),
        )
        assert response.status_code == 201, response.text
        consumer = projection.wiring.state["consumer"]

        def server_trace() -> int | None:
            for s in spans.get_finished_spans():
                if s.kind is SpanKind.SERVER and "POST" in s.name:
                    return s.context.trace_id
            return None

        async def consumed() -> bool:
            # The topic may hold earlier runs' events (a shared broker): look for this one's.
            return any(
                s.kind is SpanKind.CONSUMER and s.context.trace_id == server_trace()
                for s in spans.get_finished_spans()
            )

        await eventually(consumed)
        finished = spans.get_finished_spans()
        server = [s for s in finished if s.kind is SpanKind.SERVER and "POST" in s.name]
        trace_id = server[0].context.trace_id
        producer = [s for s in finished if s.kind is SpanKind.PRODUCER]
        consumer_spans = [
            s for s in finished if s.kind is SpanKind.CONSUMER and s.context.trace_id == trace_id
        ]
        assert server and producer and consumer_spans, [s.name for s in finished]
        assert producer[0].context.trace_id == trace_id
        assert consumer_spans[0].parent is not None
        assert consumer_spans[0].parent.span_id == producer[0].context.span_id
        # the event's creation: written by the command, a child of its server span
        assert producer[0].name == "franoi.p17.housing.v1 create"
        assert producer[0].parent is not None
        assert producer[0].parent.span_id == server[0].context.span_id
        # the relay's batch: one CLIENT span, linked to the creation context of its messages
        sends = [
            s
            for s in finished
            if s.kind is SpanKind.CLIENT
            and s.name == "franoi.p17.housing.v1 send"
            and any(link.context.span_id == producer[0].context.span_id for link in s.links)
        ]
        assert len(sends) == 1, [s.name for s in finished]
        assert sends[0].attributes is not None
        assert sends[0].attributes["messaging.batch.message_count"] >= 1
        # the database work of both services is traced too (asyncpg instrumentation)
        assert consumer.processed >= 1


def test_json_logs_carry_the_trace_id(spans) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        setup_logging("test-service", "INFO")
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        with trace.get_tracer("test").start_as_current_span("work") as span:
            logging.getLogger("franoi.test").info("placement started", extra={"count": 1})
            expected = format(span.get_span_context().trace_id, "032x")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["trace_id"] == expected
    assert record["service"] == "test-service"
    assert record["message"] == "placement started"
    assert record["count"] == 1


async def test_one_server_span_per_request_naming_the_route_never_the_path_or_query(
    spans, databases, kafka_bootstrap, kafka_idempotent
) -> None:
    """The service's own SERVER span is the only one (FastAPI's native telemetry is off: it
    would add a second server span and operation spans, recording the path and the query
    string, which may hold a person's id or a name)."""
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING, partner_service_settings(await databases.create("housing"), kafka, ["p17"])
    )
    unit = "6f1c2a3b-0000-4000-8000-00000000abcd"
    async with running(housing):
        spans.clear()
        response = await housing.client.get(
            f"/v1/units/{unit}", params={"note": "Amina Yusuf"}, headers=auth_header("p17")
        )
        assert response.status_code == 404, response.text
        finished = spans.get_finished_spans()
    server = [s for s in finished if s.kind is SpanKind.SERVER]
    assert [s.name for s in server] == ["GET /v1/units/{unit_id}"], [s.name for s in finished]
    assert not [s.name for s in finished if s.name.startswith("fastapi")], [
        s.name for s in finished
    ]
    for s in finished:
        for key, value in (s.attributes or {}).items():
            text = str(value)
            assert unit not in text and "Amina" not in text, (s.name, key, text)
