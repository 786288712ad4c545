"""The community side's records: hubs, labs, community events and walk-in accesses."""

from __future__ import annotations

import uuid

from franoi_contracts.events import AccessTopic, CommunityEventKind, HubKind

from franoi_benchmarks.desk.partner import PARTNER
from franoi_benchmarks.desk.records.draw import (
    MUNICIPALITIES,
    Records,
    Rows,
    values,
)


def events_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Hubs, lab series and community events; a day's walk-in accesses at a hub (counted
    by topic, and the persons known by name among them)."""
    rnd = r.rnd
    hubs = Rows(
        ("hub_id", "partner_id", "name", "municipality_code", "kind", "opening_hours",
         "opened_on", "created_at")
    )  # fmt: skip
    for i in range(n["hubs"]):
        opened = r.any_day(8)
        hubs.rows.append(
            (uuid.uuid4(), PARTNER, f"Spazio {i}", rnd.choice(MUNICIPALITIES),
             rnd.choice(values(HubKind)), "[]", opened, r.stamp(opened))
        )  # fmt: skip
    series = Rows(
        ("lab_series_id", "partner_id", "kind", "title", "hub_id", "municipality_code",
         "started_on", "created_at")
    )  # fmt: skip
    for i in range(n["lab_series"]):
        started = r.any_day()
        hub = rnd.choice(hubs.rows)
        series.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(("socialisation_lab", "community_lab")),
             f"Laboratorio {i}", hub[0], hub[3], started, r.stamp(started))
        )  # fmt: skip
    events = Rows(
        ("community_event_id", "partner_id", "kind", "title", "hub_id", "municipality_code",
         "starts_on", "duration_minutes", "status", "held_on", "participants",
         "beneficiaries", "volunteers", "created_at")
    )  # fmt: skip
    for i in range(n["community_events"]):
        starts = r.any_day()
        hub = rnd.choice(hubs.rows)
        held = rnd.random() < 0.9
        events.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(values(CommunityEventKind)), f"Evento {i}",
             hub[0], hub[3], starts, 120, "held" if held else "scheduled",
             starts if held else None, 40 if held else None, 25 if held else None,
             5 if held else None, r.stamp(starts))
        )  # fmt: skip
    batches = Rows(("access_batch_id", "partner_id", "hub_id", "accessed_on", "created_at"))
    for _ in range(n["access_batches"]):
        day = r.any_day()
        batches.rows.append((uuid.uuid4(), PARTNER, rnd.choice(hubs.rows)[0], day, r.stamp(day)))
    topics = values(AccessTopic)
    tallies = Rows(("access_batch_id", "topic", "referred", "accesses"))
    cells: set[tuple[uuid.UUID, str, bool]] = set()
    for _ in range(3 * n["access_counts"] if batches.rows else 0):
        if len(tallies.rows) == n["access_counts"]:
            break
        cell = (rnd.choice(batches.rows)[0], rnd.choice(topics), rnd.random() < 0.2)
        if cell not in cells:
            cells.add(cell)
            tallies.rows.append((*cell, rnd.randint(1, 12)))
    known = Rows(("access_batch_id", "partner_id", "person_ref", "topic", "referred"))
    lines: set[tuple[uuid.UUID, str, str]] = set()
    for _ in range(3 * n["access_known_persons"] if batches.rows else 0):
        if len(known.rows) == n["access_known_persons"]:
            break
        line = (rnd.choice(batches.rows)[0], r.pick().ref, rnd.choice(topics))
        if line not in lines:
            lines.add(line)
            known.rows.append((line[0], PARTNER, line[1], line[2], rnd.random() < 0.2))
    return {
        "hubs": hubs,
        "lab_series": series,
        "community_events": events,
        "access_batches": batches,
        "access_counts": tallies,
        "access_known_persons": known,
    }
