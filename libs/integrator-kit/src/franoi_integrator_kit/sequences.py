"""Which events were handled already: the last sequence handled per aggregate.

Delivery is at least once. A partner's relay that stops between the broker's
acknowledgement and its own bookkeeping sends its last batch again, so the same event
can come twice, even after newer events of its aggregate. Every event carries its
aggregate's sequence (``ce_sequence``: 1, 2, 3... without gaps), so an event whose
sequence is not above the last one handled for its aggregate is a repeat (equal) or a
stale redelivery (lower), never news.

A store remembers that last sequence per (``ce_source``, aggregate id). Two come with the
kit: :class:`MemoryStore` (tests, or a subscriber whose handler is idempotent anyway) and
:class:`SqliteStore` (a local file); any object with the two methods of
:class:`SequenceStore` will do, e.g. a table in the integrator's own database written in
the same transaction as the handler's changes.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Outcome(StrEnum):
    """What the kit did with an event."""

    NEW = "new"
    """Handed to the handler: its sequence is above the last one handled."""
    DUPLICATE = "duplicate"
    """Dropped: the same sequence as the last one handled (a repeat)."""
    STALE = "stale"
    """Dropped: a lower sequence (an older event sent again after newer ones)."""
    UNNUMBERED = "unnumbered"
    """Handed to the handler: written before the network numbered its events, so nothing
    tells a repeat from news."""
    INVALID = "invalid"
    """Not an event of the contract: skipped (see ``on_invalid``)."""


def judge(sequence: int | None, last: int | None) -> Outcome:
    """The outcome of an event of sequence ``sequence`` after ``last`` was handled."""
    if sequence is None:
        return Outcome.UNNUMBERED
    if last is None or sequence > last:
        return Outcome.NEW
    return Outcome.DUPLICATE if sequence == last else Outcome.STALE


class SequenceStore(Protocol):
    """The last sequence handled per aggregate."""

    async def last(self, source: str, aggregate_id: str) -> int | None:
        """The last sequence handled for the aggregate; None if none yet."""
        ...

    async def remember(self, source: str, aggregate_id: str, sequence: int) -> None:
        """Record that the event of ``sequence`` was handled (never lowers what is kept)."""
        ...


class MemoryStore:
    """In memory: forgotten when the process ends."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], int] = {}

    async def last(self, source: str, aggregate_id: str) -> int | None:
        return self._last.get((source, aggregate_id))

    async def remember(self, source: str, aggregate_id: str, sequence: int) -> None:
        key = (source, aggregate_id)
        self._last[key] = max(sequence, self._last.get(key, 0))


class SqliteStore:
    """In a SQLite file, kept across restarts (each remember is committed at once; a local
    file answers in microseconds, so the calls are made on the event loop)."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS handled ("
            " source text NOT NULL, aggregate_id text NOT NULL, sequence integer NOT NULL,"
            " PRIMARY KEY (source, aggregate_id))"
        )
        self._db.commit()

    async def last(self, source: str, aggregate_id: str) -> int | None:
        row = self._db.execute(
            "SELECT sequence FROM handled WHERE source = ? AND aggregate_id = ?",
            (source, aggregate_id),
        ).fetchone()
        return None if row is None else int(row[0])

    async def remember(self, source: str, aggregate_id: str, sequence: int) -> None:
        self._db.execute(
            "INSERT INTO handled (source, aggregate_id, sequence) VALUES (?, ?, ?)"
            " ON CONFLICT (source, aggregate_id)"
            " DO UPDATE SET sequence = max(sequence, excluded.sequence)",
            (source, aggregate_id, sequence),
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()
