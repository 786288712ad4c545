"""A database error never carries a row's values further: not in its text, a log line or
a span (real PostgreSQL)."""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
import pytest
from franoi_common.db import create_pool
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pythonjsonlogger.json import JsonFormatter

NAME = "Mario Rossi"
REF = "ab" * 32


async def test_errors_keep_row_values_out_of_text_logs_and_spans(
    databases: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from franoi_common import db

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer, db._tracer = db._tracer, provider.get_tracer("test")
    pool = await create_pool(await databases.create("db_errors"))
    errors: list[asyncpg.PostgresError] = []
    try:
        async with pool.acquire() as conn:
            with provider.get_tracer("test").start_as_current_span("work"):
                await conn.execute(
                    "CREATE TABLE persons (person_ref text PRIMARY KEY, name text"
                    " CHECK (length(name) < 5), born date)"
                )
                await conn.execute("INSERT INTO persons (person_ref) VALUES ($1)", REF)
                attempts = [
                    ("INSERT INTO persons (person_ref) VALUES ($1)", REF),  # unique key
                    ("INSERT INTO persons (person_ref, name) VALUES ('x', $1)", NAME),  # check
                    ("SELECT $1::text::date", NAME),  # a data error quotes its input
                ]
                for sql, arg in attempts:
                    with pytest.raises(asyncpg.PostgresError) as caught:
                        await conn.execute(sql, arg)
                    errors.append(caught.value)
    finally:
        db._tracer = tracer
        await pool.close()
    assert [type(e) for e in errors] == [
        asyncpg.UniqueViolationError,
        asyncpg.CheckViolationError,
        asyncpg.InvalidDatetimeFormatError,
    ]
    assert errors[0].constraint_name == "persons_pkey"  # what operators need stays
    formatter = JsonFormatter("{levelname}{message}", style="{")
    log = logging.getLogger("test_db_errors")
    for error in errors:
        try:
            raise RuntimeError("while recording") from error
        except RuntimeError:
            log.exception("unexpected error")
    lines = [formatter.format(r) for r in caplog.records]
    finished = exporter.get_finished_spans()
    failed = [s for s in finished if s.status.status_code.name == "ERROR"]
    assert [s.name for s in failed] == ["INSERT", "INSERT", "SELECT"]
    spans = json.dumps([json.loads(s.to_json()) for s in finished])
    for text in (*map(str, errors), *lines, spans):
        assert NAME not in text and REF not in text and "Mario" not in text, text
    assert all("SQLSTATE" in str(e) or "violates" in str(e) for e in errors)


async def test_statements_are_spans_inside_a_span_and_none_outside(databases: Any) -> None:
    """Inside a request's or a message's span each statement is a CLIENT child span with the
    SQL text and never its parameters; outside any span (the relay's claims and marks, a
    poll) a statement starts no trace of its own."""
    from franoi_common import db

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer, db._tracer = db._tracer, provider.get_tracer("test")
    pool = await create_pool(await databases.create("db_spans"))
    try:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT $1::text", NAME)
            assert exporter.get_finished_spans() == ()
            with provider.get_tracer("test").start_as_current_span("command") as command:
                await conn.fetchval("SELECT $1::text", NAME)
                await conn.execute("SELECT 1")
            await conn.fetchrow("SELECT 2")
    finally:
        db._tracer = tracer
        await pool.close()
    finished = exporter.get_finished_spans()
    statements = [s for s in finished if s.name != "command"]
    assert [s.name for s in statements] == ["SELECT", "SELECT"]
    for span in statements:
        assert span.parent is not None
        assert span.parent.span_id == command.get_span_context().span_id
        assert span.attributes is not None
        assert span.attributes["db.system"] == "postgresql"
        assert NAME not in json.dumps(dict(span.attributes))
    assert statements[0].attributes is not None
    assert statements[0].attributes["db.statement"] == "SELECT $1::text"
