"""PostgreSQL persistence of the employment aggregates, always scoped by partner.

The generic add / update / get / list come from :class:`franoi_common.repository.Repository`;
this adds what employment needs beyond them: a group activity's registered
attendees and a skills profile's versions (rows of their own tables), a
person's open internships, and the person's first recorded contact with the desk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
from franoi_common.repository import Repository, Table
from franoi_contracts.employment import DrivingLicence, EducationLevel, ItalianLevel

from franoi_employment.domain.model import Assessment, Consultation, GroupActivity, SkillsProfile
from franoi_employment.domain.work import (
    CompanyAgreement,
    Enrolment,
    Hire,
    Internship,
)


class EmploymentRepository(Repository):
    tables = {
        CompanyAgreement: Table("company_agreements", "company_agreement_id"),
        Consultation: Table("consultations", "consultation_id"),
        GroupActivity: Table(
            "group_activities",
            "group_activity_id",
            frozenset({"events", "registered_attendees"}),
        ),
        SkillsProfile: Table(
            "skills_profiles", "skills_profile_id", frozenset({"events", "assessments"})
        ),
        Enrolment: Table("enrolments", "enrolment_id"),
        Internship: Table("internships", "internship_id"),
        Hire: Table("hires", "hire_id"),
    }

    # --- aggregates with rows in a second table ------------------------------------------

    async def load_parts(self, partner_id: str, aggregate: Any) -> None:
        if isinstance(aggregate, GroupActivity):
            aggregate.registered_attendees = tuple(
                await self.attendees(partner_id, aggregate.group_activity_id)
            )
        elif isinstance(aggregate, SkillsProfile):
            aggregate.assessments = await self.assessments(aggregate.skills_profile_id)

    @classmethod
    def one_row(cls, kind: type[Any]) -> bool:
        return kind not in (GroupActivity, SkillsProfile)

    async def add(self, partner_id: str, aggregate: Any, **local: Any) -> None:
        await super().add(partner_id, aggregate, **local)
        await self._save_children(partner_id, aggregate)

    async def update(self, partner_id: str, aggregate: Any) -> None:
        await super().update(partner_id, aggregate)
        await self._save_children(partner_id, aggregate)

    async def _save_children(self, partner_id: str, aggregate: Any) -> None:
        if isinstance(aggregate, GroupActivity) and aggregate.registered_attendees:
            await self.conn.execute(
                "INSERT INTO group_activity_attendees (group_activity_id, partner_id, person_ref)"
                " SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
                aggregate.group_activity_id,
                partner_id,
                list(aggregate.registered_attendees),
            )
        elif isinstance(aggregate, SkillsProfile):
            await self.conn.executemany(
                "INSERT INTO skills_assessments (skills_profile_id, version, assessed_on,"
                " education_level, italian_level, italian_assessed_on, other_languages,"
                " prior_sectors, driving_licence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT DO NOTHING",
                [
                    (
                        aggregate.skills_profile_id,
                        version,
                        a.assessed_on,
                        a.education_level.value,
                        a.italian_level.value,
                        a.italian_assessed_on,
                        list(a.other_languages),
                        list(a.prior_sectors),
                        a.driving_licence.value,
                    )
                    for version, a in enumerate(aggregate.assessments, start=1)
                ],
            )

    async def attendees(self, partner_id: str, group_activity_id: UUID) -> list[str]:
        found = await self.attendees_of(partner_id, [group_activity_id])
        return found.get(group_activity_id, [])

    async def attendees_of(
        self, partner_id: str, group_activity_ids: list[UUID]
    ) -> dict[UUID, list[str]]:
        rows = await self.conn.fetch(
            "SELECT group_activity_id, person_ref FROM group_activity_attendees"
            " WHERE partner_id = $1 AND group_activity_id = ANY($2::uuid[])"
            " ORDER BY person_ref",
            partner_id,
            group_activity_ids,
        )
        found: dict[UUID, list[str]] = {}
        for row in rows:
            found.setdefault(row["group_activity_id"], []).append(row["person_ref"])
        return found

    async def assessment_rows(self, skills_profile_ids: list[UUID]) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                "SELECT * FROM skills_assessments WHERE skills_profile_id = ANY($1::uuid[])"
                " ORDER BY skills_profile_id, version",
                skills_profile_ids,
            )
        )

    async def assessments(self, skills_profile_id: UUID) -> list[Assessment]:
        return [
            Assessment(
                assessed_on=r["assessed_on"],
                education_level=EducationLevel(r["education_level"]),
                italian_level=ItalianLevel(r["italian_level"]),
                italian_assessed_on=r["italian_assessed_on"],
                other_languages=tuple(r["other_languages"]),
                prior_sectors=tuple(r["prior_sectors"]),
                driving_licence=DrivingLicence(r["driving_licence"]),
            )
            for r in await self.assessment_rows([skills_profile_id])
        ]

    # --- what the rules need to know about a person --------------------------------------

    async def first_contact_on(self, partner_id: str, person_ref: str) -> dt.date | None:
        """The person's first recorded contact with the desk: the earliest consultation,
        enrolment start, internship start or skills assessment (``None``: no contact)."""
        found = await self.conn.fetchval(
            "SELECT least("
            " (SELECT min(held_on) FROM consultations WHERE partner_id = $1 AND person_ref = $2),"
            " (SELECT min(starts_on) FROM enrolments WHERE partner_id = $1 AND person_ref = $2),"
            " (SELECT min(started_on) FROM internships"
            "   WHERE partner_id = $1 AND person_ref = $2),"
            " (SELECT min(a.assessed_on) FROM skills_assessments a"
            "   JOIN skills_profiles p USING (skills_profile_id)"
            "   WHERE p.partner_id = $1 AND p.person_ref = $2))",
            partner_id,
            person_ref,
        )
        return found if isinstance(found, dt.date) else None

    async def group_activities_attended(
        self, partner_id: str, person_ref: str
    ) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                "SELECT g.* FROM group_activities g JOIN group_activity_attendees a"
                " USING (group_activity_id)"
                " WHERE a.partner_id = $1 AND g.partner_id = $1 AND a.person_ref = $2"
                " ORDER BY g.held_on, g.group_activity_id",
                partner_id,
                person_ref,
            )
        )
