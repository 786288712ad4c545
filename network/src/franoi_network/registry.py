"""Every service of the network, in one place: the API documents, the fuzz test and the
local runner read this list, so a new service joins them by being added here."""

from __future__ import annotations

from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.service import ServiceDefinition
from franoi_desk.bootstrap import DEFINITION as DESK
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

PARTNER_SERVICES: tuple[ServiceDefinition, ...] = (CASES, HOUSING, EMPLOYMENT, HOSTING, EVENTS)
"""A partner's domain services (one instance per partner, or shared by several)."""

__all__ = ["CASES", "CONSORTIUM_SERVICES", "DESK", "HOUSING", "PARTNER_SERVICES", "SERVICES"]

CONSORTIUM_SERVICES: tuple[ServiceDefinition, ...] = (PROJECTION,)

SERVICES: tuple[ServiceDefinition, ...] = PARTNER_SERVICES + CONSORTIUM_SERVICES
"""Every service with an HTTP API (the desk is pages for people, on these APIs: ``DESK``)."""
