"""An integrator's subscriber in full: the network's housing events, each once, in order.

    FRANOI_KAFKA_BOOTSTRAP=localhost:9092 python -m franoi_integrator_kit.example

It keeps the placements under way per partner (started, not yet ended) and says so at
each change. Its consumer group (``FRANOI_GROUP_ID``, ``example-integrator``) holds its
offsets and ``FRANOI_SEQUENCES`` (``integrator-example.sqlite``) the sequences it
handled: stop it and start it again, and it goes on where it stopped, seeing nothing
twice. Against the network's brokers, give ``KafkaBroker`` your credentials
(``security=``, see FastStream's documentation).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from faststream import FastStream
from faststream.kafka import KafkaBroker
from franoi_contracts.housing import PlacementEnded, PlacementStarted

from franoi_integrator_kit import NetworkReader, Received, SequenceStore, SqliteStore, subscribe


class PlacementsUnderWay:
    """The handler: the placements under way per partner."""

    def __init__(self, quiet: bool = False) -> None:
        self.by_partner: dict[str, set[UUID]] = {}
        self.seen: list[Received] = []
        self._quiet = quiet

    async def __call__(self, received: Received) -> None:
        self.seen.append(received)
        placements = self.by_partner.setdefault(received.partner_id, set())
        match received.event:
            case PlacementStarted(placement_id=placement):
                placements.add(placement)
            case PlacementEnded(placement_id=placement):
                placements.discard(placement)
            case _:
                return
        if not self._quiet:
            print(
                f"{received.partner_id}: {len(placements)} placements under way"
                f" ({received.event_type} #{received.sequence} of {received.aggregate_id})"
            )


def build(
    bootstrap: str,
    handler: PlacementsUnderWay,
    *,
    group_id: str = "example-integrator",
    store: SequenceStore,
    partners: Iterable[str] | None = None,
    **broker_options: Any,
) -> tuple[KafkaBroker, NetworkReader]:
    """The broker with the example's subscriber on it, and the subscriber's reader."""
    broker = KafkaBroker(bootstrap, **broker_options)
    reader = subscribe(
        broker, handler, group_id=group_id, store=store, domains=["housing"], partners=partners
    )
    return broker, reader


def main() -> None:
    store = SqliteStore(os.environ.get("FRANOI_SEQUENCES", "integrator-example.sqlite"))
    broker, _ = build(
        os.environ.get("FRANOI_KAFKA_BOOTSTRAP", "localhost:9092"),
        PlacementsUnderWay(),
        group_id=os.environ.get("FRANOI_GROUP_ID", "example-integrator"),
        store=store,
    )
    try:
        asyncio.run(FastStream(broker).run())
    finally:
        store.close()


if __name__ == "__main__":
    main()
