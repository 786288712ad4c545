"""How housing events change the network read models, as SQL statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. Upserts make every change
safe in any order the contract allows: one aggregate's events arrive in order
(same Kafka key), different aggregates in any order.
"""

from __future__ import annotations

from franoi_common.projector import Projection, Statement
from franoi_contracts import housing as ev

from franoi_projection.projectors.statements import update

REQUESTS = "housing_requests"

HOUSING: Projection = {
    ev.UnitRegistered: [
        Statement(
            "INSERT INTO housing_units (partner_id, unit_id, municipality_code, beds,"
            " monthly_rent_eur, rent_regime, provider, available_from)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (partner_id, unit_id) DO UPDATE SET municipality_code = $3, beds = $4,"
            " monthly_rent_eur = $5, rent_regime = $6, provider = $7, available_from = $8",
            lambda p, e: (
                p,
                e.unit_id,
                e.municipality_code,
                e.beds,
                e.monthly_rent_eur,
                e.rent_regime.value,
                e.provider.value,
                e.available_from,
            ),
        )
    ],
    ev.UnitUpdated: [update("housing_units", "unit_id", "beds", "monthly_rent_eur", "rent_regime")],
    ev.UnitWithdrawn: [update("housing_units", "unit_id", "withdrawn_on")],
    # Agreements are not part of the network's housing figures yet.
    ev.AgreementSigned: [],
    ev.AgreementEnded: [],
    ev.RequestSubmitted: [
        Statement(
            "INSERT INTO housing_requests (partner_id, request_id, person_ref, household_size,"
            " need, submitted_on, sex, age_band, protection_status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.request_id,
                e.person_ref,
                e.household_size,
                e.need.value,
                e.submitted_on,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.RequestSatisfied: [
        update(REQUESTS, "request_id", "closed_on", constants="status = 'satisfied'")
    ],
    ev.RequestUnsatisfied: [
        update(REQUESTS, "request_id", "closed_on", constants="status = 'unsatisfied'")
    ],
    ev.RequestWithdrawn: [
        update(REQUESTS, "request_id", "closed_on", constants="status = 'withdrawn'")
    ],
    ev.PlacementStarted: [
        Statement(
            "INSERT INTO housing_placements (partner_id, placement_id, unit_id, request_id,"
            " person_ref, household_size, started_on, planned_end_on, sex, age_band,"
            " protection_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT DO NOTHING",
            lambda p, e: (
                p,
                e.placement_id,
                e.unit_id,
                e.request_id,
                e.person_ref,
                e.household_size,
                e.started_on,
                e.planned_end_on,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
            ),
        )
    ],
    ev.PlacementExtended: [update("housing_placements", "placement_id", "planned_end_on")],
    ev.PlacementEnded: [update("housing_placements", "placement_id", "ended_on", "exit_outcome")],
}
