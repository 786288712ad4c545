"""How community events (the events domain) change the network read models, as SQL
statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. Inserts are upserts keyed by
the aggregate (an access batch by its client-chosen id, so a batch delivered
twice — even under two event ids — is counted once); updates touch only the
aggregate's own row. One aggregate's events arrive in order (same Kafka key),
different aggregates in any order.
"""

from __future__ import annotations

from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts import events as ev

from franoi_projection.projectors.statements import update


def _count_columns(event: ev.AccessBatchRecorded) -> tuple[list[str], list[bool], list[int]]:
    totals = sorted(event.totals().items(), key=lambda item: (item[0][0].value, item[0][1]))
    return (
        [topic.value for (topic, _), _ in totals],
        [referred for (_, referred), _ in totals],
        [count for _, count in totals],
    )


def _access_count_args(partner_id: str, event: ev.AccessBatchRecorded) -> tuple[Any, ...]:
    topics, referred, counts = _count_columns(event)
    return (
        partner_id,
        event.access_batch_id,
        event.hub_id,
        event.accessed_on,
        topics,
        referred,
        counts,
    )


def _access_person_args(partner_id: str, event: ev.AccessBatchRecorded) -> tuple[Any, ...]:
    return (
        partner_id,
        event.access_batch_id,
        event.hub_id,
        event.accessed_on,
        [p.person_ref for p in event.known_persons],
        [p.topic.value for p in event.known_persons],
        [p.referred for p in event.known_persons],
    )


EVENTS: Projection = {
    ev.HubOpened: [
        Statement(
            "INSERT INTO events_hubs (partner_id, hub_id, municipality_code, kind, opened_on)"
            " VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (partner_id, hub_id) DO UPDATE SET municipality_code = $3, kind = $4,"
            " opened_on = $5",
            lambda p, e: (p, e.hub_id, e.municipality_code, e.kind.value, e.opened_on),
        )
    ],
    ev.HubClosed: [update("events_hubs", "hub_id", "closed_on")],
    ev.LabSeriesStarted: [
        Statement(
            "INSERT INTO events_lab_series (partner_id, lab_series_id, kind, hub_id,"
            " municipality_code, started_on) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (partner_id, lab_series_id) DO NOTHING",
            lambda p, e: (
                p,
                e.lab_series_id,
                e.kind.value,
                e.hub_id,
                e.municipality_code,
                e.started_on,
            ),
        )
    ],
    ev.LabSeriesClosed: [
        update(
            "events_lab_series",
            "lab_series_id",
            "closed_on",
            "sessions_held",
            "distinct_participants",
            "distinct_beneficiaries",
            "distinct_volunteers",
        )
    ],
    ev.CommunityEventScheduled: [
        Statement(
            "INSERT INTO events_community_events (partner_id, community_event_id, kind, hub_id,"
            " municipality_code, lab_series_id, starts_on, duration_minutes,"
            " co_organising_associations, co_organising_public_bodies, co_organising_companies,"
            " co_organising_others) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (partner_id, community_event_id) DO NOTHING",
            lambda p, e: (
                p,
                e.community_event_id,
                e.kind.value,
                e.hub_id,
                e.municipality_code,
                e.lab_series_id,
                e.starts_on,
                e.duration_minutes,
                e.co_organising_associations,
                e.co_organising_public_bodies,
                e.co_organising_companies,
                e.co_organising_others,
            ),
        )
    ],
    ev.CommunityEventHeld: [
        update(
            "events_community_events",
            "community_event_id",
            "held_on",
            "participants",
            "beneficiaries",
            "volunteers",
            constants="status = 'held'",
        )
    ],
    ev.CommunityEventCancelled: [
        update(
            "events_community_events",
            "community_event_id",
            "cancelled_on",
            constants="status = 'cancelled'",
            cancellation_reason="reason",
        )
    ],
    ev.AccessBatchRecorded: [
        Statement(
            "INSERT INTO events_access_counts (partner_id, access_batch_id, hub_id, accessed_on,"
            " topic, referred, accesses)"
            " SELECT $1, $2, $3, $4, c.topic, c.referred, c.accesses"
            " FROM unnest($5::text[], $6::boolean[], $7::integer[]) AS c(topic, referred, accesses)"
            " ON CONFLICT (partner_id, access_batch_id, topic, referred) DO NOTHING",
            _access_count_args,
        ),
        Statement(
            "INSERT INTO events_access_persons (partner_id, access_batch_id, hub_id, accessed_on,"
            " person_ref, topic, referred)"
            " SELECT $1, $2, $3, $4, k.person_ref, k.topic, k.referred"
            " FROM unnest($5::text[], $6::text[], $7::boolean[]) AS k(person_ref, topic, referred)"
            " ON CONFLICT (partner_id, access_batch_id, person_ref, topic) DO NOTHING",
            _access_person_args,
        ),
    ],
}
