"""How housing events change the network read models, as SQL statements per event type.

Written with :class:`franoi_common.projector.Statement`, so the consumer can
apply one event or a batch of one type set-wise. Upserts make every change
safe in any order the contract allows: one aggregate's events arrive in order
(same Kafka key), different aggregates in any order.
"""

from __future__ import annotations

from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts import housing as ev

from franoi_projection.service_layer.counts import counted


def _close_request(status: str) -> Statement[Any]:
    return Statement(
        "UPDATE housing_requests SET status = $3, closed_on = $4"
        " WHERE partner_id = $1 AND request_id = $2",
        lambda p, e: (p, e.request_id, status, e.closed_on),
    )


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
    ev.UnitUpdated: [
        Statement(
            "UPDATE housing_units SET beds = $3, monthly_rent_eur = $4, rent_regime = $5"
            " WHERE partner_id = $1 AND unit_id = $2",
            lambda p, e: (p, e.unit_id, e.beds, e.monthly_rent_eur, e.rent_regime.value),
        )
    ],
    ev.UnitWithdrawn: [
        Statement(
            "UPDATE housing_units SET withdrawn_on = $3 WHERE partner_id = $1 AND unit_id = $2",
            lambda p, e: (p, e.unit_id, e.withdrawn_on),
        )
    ],
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
    ev.RequestSatisfied: [_close_request("satisfied")],
    ev.RequestUnsatisfied: [_close_request("unsatisfied")],
    ev.RequestWithdrawn: [_close_request("withdrawn")],
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
    ev.PlacementExtended: [
        Statement(
            "UPDATE housing_placements SET planned_end_on = $3"
            " WHERE partner_id = $1 AND placement_id = $2",
            lambda p, e: (p, e.placement_id, e.planned_end_on),
        )
    ],
    ev.PlacementEnded: [
        Statement(
            "UPDATE housing_placements SET ended_on = $3, exit_outcome = $4"
            " WHERE partner_id = $1 AND placement_id = $2",
            lambda p, e: (p, e.placement_id, e.ended_on, e.exit_outcome.value),
        )
    ],
}
HOUSING = counted(HOUSING)
"""...with the statements keeping the monthly indicator counts in step (see counts.py)."""
