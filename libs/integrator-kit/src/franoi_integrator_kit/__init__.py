"""The integrator kit: subscribe to the Fra Noi network's events with FastStream.

Typed events from the contract models, the integrator's own consumer group and offsets,
each event handed over once and in order (repeats and stale redeliveries dropped by the
aggregate's sequence). See ``README.md`` and :mod:`franoi_integrator_kit.example`.
"""

from franoi_integrator_kit.reading import NotAnEvent, Received, read
from franoi_integrator_kit.sequences import (
    MemoryStore,
    Outcome,
    SequenceStore,
    SqliteStore,
    judge,
)
from franoi_integrator_kit.subscription import Handler, NetworkReader, subscribe

__all__ = [
    "Handler",
    "MemoryStore",
    "NetworkReader",
    "NotAnEvent",
    "Outcome",
    "Received",
    "SequenceStore",
    "SqliteStore",
    "judge",
    "read",
    "subscribe",
]
