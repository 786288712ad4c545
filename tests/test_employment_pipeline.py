"""The employment pipeline end to end: employment API → outbox → Kafka → projection.

Real PostgreSQL, a real broker, the services' real apps on loopback ports. The
broker is shared by test runs, so each run dates its records in a month of its
own (chosen at random far in the future) and checks its own aggregates by id:
figures from an earlier run on the same topics cannot mix in.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
from franoi_common.pseudonym import person_ref
from franoi_contracts import employment as ev
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "events" / "schemas"
COARSE = {"sex": "female", "age_band": "18-24", "protection_status": "refugee"}


def a_month_of_our_own() -> tuple[int, int]:
    rng = random.SystemRandom()
    return rng.randint(2040, 2099), rng.randint(1, 11)


class Api:
    def __init__(self, service: RunningService, partner: str) -> None:
        self.service, self.headers = service, auth_header(partner)

    async def post(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = await self.service.client.post(path, json=body, headers=self.headers)
        assert response.status_code == status, f"{path}: {response.text}"
        answer: dict[str, Any] = response.json()
        return answer


async def monthly(projection: RunningService, partner: str, month: str) -> dict[str, Any]:
    response = await projection.client.get(
        "/v1/employment/monthly",
        params={"partner_id": partner, "from": month, "to": month},
        headers=ANALYST,
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


async def test_every_employment_event_reaches_the_projection(
    databases, kafka_bootstrap, kafka_idempotent
) -> None:
    partner = "p24"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    employment_url = await databases.create("employment")
    employment = RunningService(
        EMPLOYMENT, partner_service_settings(employment_url, kafka, [partner])
    )
    projection_url = await databases.create("projection")
    projection = RunningService(PROJECTION, projection_settings(projection_url, kafka, [partner]))
    year, month = a_month_of_our_own()

    def day(n: int) -> str:
        return dt.date(year, month, n).isoformat()

    async with running(employment, projection):
        api = Api(employment, partner)
        amina = {"person_identifier": "AMNPPL05A41Z336Q", **COARSE}
        bisi = {"person_identifier": "BSIPPL05A41Z336R", **COARSE}
        agreement = await api.post("/v1/company-agreements", {
            "company_name": "Cooperativa Pulizie Aurora", "sector": "N", "places_offered": 2,
            "signed_on": day(1),
        })  # fmt: skip
        aid = agreement["company_agreement_id"]
        await api.post("/v1/consultations", {
            **amina, "held_on": day(2), "topic": "orientation", "minutes": 60,
            "worker_role": "job_counsellor",
        })  # fmt: skip
        await api.post("/v1/consultations", {
            **bisi, "held_on": day(3), "topic": "savings_and_financial_education", "minutes": 30,
            "worker_role": "financial_educator",
        })  # fmt: skip
        assessment = {
            "assessed_on": day(2), "education_level": "lower_secondary", "italian_level": "a1",
            "italian_assessed_on": day(2), "other_languages": ["en"], "prior_sectors": [],
            "driving_licence": "none",
        }  # fmt: skip
        profile = await api.post(
            "/v1/skills-profiles", {"person_identifier": amina["person_identifier"], **assessment}
        )
        await api.post(
            f"/v1/skills-profiles/{profile['skills_profile_id']}/assessments",
            {**assessment, "assessed_on": day(5), "italian_level": "a2",
             "italian_assessed_on": day(5)},
            status=200,
        )  # fmt: skip
        group = await api.post(
            "/v1/group-activities", {"kind": "orientation_group", "scheduled_on": day(4)}
        )
        await api.post(
            f"/v1/group-activities/{group['group_activity_id']}/hold",
            {"held_on": day(4), "anonymous_attendees": 2,
             "registered_attendees": [{"person_identifier": amina["person_identifier"]}]},
            status=200,
        )  # fmt: skip
        school = await api.post(
            "/v1/group-activities", {"kind": "school_session", "scheduled_on": day(6)}
        )
        await api.post(
            f"/v1/group-activities/{school['group_activity_id']}/cancel",
            {"cancelled_on": day(5)},
            status=200,
        )
        course = {"course_title": "Pulizie professionali", "provider": "Ente Formazione",
                  "course_kind": "vocational", "hours": 40}  # fmt: skip
        done = await api.post(
            "/v1/enrolments", {**amina, **course, "starts_on": day(3), "ends_on": day(4)}
        )
        await api.post(
            f"/v1/enrolments/{done['enrolment_id']}/complete",
            {"completed_on": day(4)},
            status=200,
        )
        left = await api.post(
            "/v1/enrolments", {**bisi, **course, "starts_on": day(5), "ends_on": day(10)}
        )
        await api.post(
            f"/v1/enrolments/{left['enrolment_id']}/drop", {"dropped_on": day(6)}, status=200
        )
        internship = await api.post("/v1/internships", {
            **amina, "company_agreement_id": aid, "started_on": day(5),
            "planned_end_on": day(20), "monthly_stipend_eur": 400, "stipend_paid_by": "project",
        })  # fmt: skip
        iid = internship["internship_id"]
        await api.post(f"/v1/internships/{iid}/extend", {"planned_end_on": day(25)}, status=200)
        await api.post(f"/v1/internships/{iid}/end", {"ended_on": day(15)}, status=200)
        await api.post(
            f"/v1/internships/{iid}/outcome",
            {"outcome": "hired", "recorded_on": day(16)},
            status=200,
        )
        hire = await api.post("/v1/hires", {
            **amina, "internship_id": iid, "contract_type": "fixed_term", "weekly_hours": 25,
            "started_on": day(17), "ends_on": dt.date(year + 1, month, 16).isoformat(),
        })  # fmt: skip
        await api.post(
            f"/v1/hires/{hire['hire_id']}/end",
            {"ended_on": day(28), "reason": "other"},
            status=200,
        )
        await api.post("/v1/hires", {
            **bisi, "sector": "C", "contract_type": "permanent", "weekly_hours": 38,
            "started_on": day(20),
        })  # fmt: skip
        await api.post(f"/v1/company-agreements/{aid}/end", {"ended_on": day(28)}, status=200)

        label = f"{year:04d}-{month:02d}"
        expected = {
            "consultations": 2,
            "consultations_by_topic": {"orientation": 1, "savings_and_financial_education": 1},
            "persons_consulted": 2,
            "group_activities_held_by_kind": {"orientation_group": 1},
            "participants_by_kind": {"orientation_group": 3},
            "training_enrolments": 2, "training_completions": 1, "training_dropouts": 1,
            "internships_started": 1, "internships_ended_by_outcome": {"hired": 1},
            "hires": 2, "hires_by_contract_type": {"fixed_term": 1, "permanent": 1},
            "hires_after_internship": 1, "persons_hired": 2,
        }  # fmt: skip

        async def figures() -> dict[str, Any] | None:
            row = await monthly(projection, partner, label)
            got = {k: row[k] for k in expected}
            return got if got == expected else None

        await eventually(figures, timeout_s=60)

        # every event the service appended was published and applied exactly once
        emp = await asyncpg.connect(employment_url)
        proj = await asyncpg.connect(projection_url)
        try:
            published = await emp.fetch(
                "SELECT event_id, event_type, aggregate_id, data::text AS data, dataschema,"
                " sent_at FROM outbox"
            )
            assert {r["event_type"] for r in published} == {c.TYPE for c in ev.EMPLOYMENT_EVENTS}
            assert all(r["sent_at"] is not None for r in published)
            for r in published:  # exactly as the committed catalogue publishes them
                schema = json.loads((SCHEMAS / f"{r['event_type']}.json").read_text())
                assert r["dataschema"] == schema["$id"]
                data = json.loads(r["data"])
                jsonschema.validate(data, schema)
                assert data[schema["x-kafka-key"]] == r["aggregate_id"]

            async def all_applied() -> bool:
                applied = await proj.fetch(
                    "SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])",
                    [str(r["event_id"]) for r in published],
                )
                return len(applied) == len(published)

            await eventually(all_applied, timeout_s=30)
            dead = await proj.fetchval(
                "SELECT count(*) FROM dead_letters WHERE event_id = ANY($1::text[])",
                [str(r["event_id"]) for r in published],
            )
            assert dead == 0
            # what the monthly view does not show was applied too
            versions = await proj.fetch(
                "SELECT version, italian_level FROM employment_skills_assessments"
                " WHERE partner_id = $1 AND skills_profile_id = $2 ORDER BY version",
                partner,
                profile["skills_profile_id"],
            )
            assert [tuple(v) for v in versions] == [(1, "a1"), (2, "a2")]
            row = await proj.fetchrow(
                "SELECT planned_end_on, ended_on, outcome FROM employment_internships"
                " WHERE partner_id = $1 AND internship_id = $2",
                partner,
                internship["internship_id"],
            )
            assert tuple(row) == (
                dt.date(year, month, 25), dt.date(year, month, 15), "hired",
            )  # fmt: skip
            statuses = await proj.fetch(
                "SELECT kind, status FROM employment_group_activities WHERE partner_id = $1"
                " AND group_activity_id = ANY($2::uuid[]) ORDER BY kind",
                partner,
                [group["group_activity_id"], school["group_activity_id"]],
            )
            assert [tuple(s) for s in statuses] == [
                ("orientation_group", "held"), ("school_session", "cancelled"),
            ]  # fmt: skip
            ended = await proj.fetchval(
                "SELECT ended_on FROM employment_company_agreements"
                " WHERE partner_id = $1 AND company_agreement_id = $2",
                partner,
                aid,
            )
            assert ended == dt.date(year, month, 28)
            text = repr(await proj.fetch("SELECT * FROM employment_company_agreements"))
            assert "Aurora" not in text and "AMNPPL05A41Z336Q" not in repr(published)
        finally:
            await emp.close()
            await proj.close()


async def test_a_person_housed_and_hired_is_one_person_in_the_projection(
    databases, kafka_bootstrap, kafka_idempotent
) -> None:
    """Housing and employment pseudonymise the same identifier under the same network key:
    the projection can join the person's placement and hire without knowing who they are."""
    housing_partner, employment_partner = "p28", "p29"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING,
        partner_service_settings(await databases.create("housing"), kafka, [housing_partner]),
    )
    employment = RunningService(
        EMPLOYMENT,
        partner_service_settings(await databases.create("employment"), kafka, [employment_partner]),
    )
    projection_url = await databases.create("projection")
    projection = RunningService(
        PROJECTION,
        projection_settings(projection_url, kafka, [housing_partner, employment_partner]),
    )
    year, month = a_month_of_our_own()

    def day(n: int) -> str:
        return dt.date(year, month, n).isoformat()

    async with running(housing, employment, projection):
        homes = Api(housing, housing_partner)
        unit = await homes.post("/v1/units", {
            "municipality_code": "F205", "beds": 2, "monthly_rent_eur": 350,
            "rent_regime": "agreed", "provider": "private_owner", "available_from": day(1),
        })  # fmt: skip
        placement = await homes.post("/v1/placements", {
            "person_identifier": "KBAMSS92C10Z318U", **COARSE, "unit_id": unit["unit_id"],
            "household_size": 1, "started_on": day(2),
        })  # fmt: skip
        jobs = Api(employment, employment_partner)
        # the same permit number, as another worker typed it
        someone = {"person_identifier": "kbamss 92c10-z318u", **COARSE}
        await jobs.post("/v1/consultations", {
            **someone, "held_on": day(3), "topic": "job_search", "minutes": 40,
            "worker_role": "job_counsellor",
        })  # fmt: skip
        hire = await jobs.post("/v1/hires", {
            **someone, "sector": "I", "contract_type": "seasonal", "weekly_hours": 40,
            "started_on": day(10), "ends_on": day(28),
        })  # fmt: skip
        assert hire["person_ref"] == placement["person_ref"]
        key = employment.settings.pseudonym_key.get_secret_value().encode()
        assert hire["person_ref"] == person_ref("KBAMSS92C10Z318U", key)

        proj = await asyncpg.connect(projection_url)
        try:

            async def joined() -> Any:
                return await proj.fetchrow(
                    "SELECT p.person_ref, p.partner_id AS housed_by, h.partner_id AS hired_by"
                    " FROM housing_placements p JOIN employment_hires h USING (person_ref)"
                    " WHERE p.placement_id = $1 AND h.hire_id = $2",
                    placement["placement_id"],
                    hire["hire_id"],
                )

            row = await eventually(joined, timeout_s=60)
            assert tuple(row) == (hire["person_ref"], housing_partner, employment_partner)
        finally:
            await proj.close()
        figures = await monthly(projection, employment_partner, f"{year:04d}-{month:02d}")
        assert (figures["hires"], figures["persons_hired"]) == (1, 1)
        assert figures["hires_by_contract_type"] == {"seasonal": 1}
