"""Composition root of the employment service: settings in, wired parts out."""

from __future__ import annotations

from collections.abc import Sequence

from franoi_common.erasure import Action, ErasureRule
from franoi_common.partner_service import partner_service
from franoi_common.service import main as service_main

from franoi_employment.entrypoints.api import router
from franoi_employment.service_layer.handlers import employment_services

# What stays of an erased person: consultations, enrolments, internships and hires with
# their dates and coded values (counts need them), under a surrogate. The skills profile
# describes the person (education, languages): deleted.
ERASURE_RULES = [
    ErasureRule(
        "skills_assessments", Action.DELETE, through=("skills_profiles", "skills_profile_id")
    ),
    ErasureRule("skills_profiles", Action.DELETE),
]

DEFINITION = partner_service(
    "employment", "Fra Noi — employment service", employment_services, [router], ERASURE_RULES
)


def main(argv: Sequence[str] | None = None) -> None:
    service_main(DEFINITION, argv)
