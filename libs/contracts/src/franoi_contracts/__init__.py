"""The network's published event contract.

One module per domain; each event type is a pydantic model registered with
:class:`franoi_contracts.base.DomainEvent` (the base and the vocabulary the domains
share); :mod:`franoi_contracts.wire` says how an event travels (topics, CloudEvents
headers, the aggregate's sequence). JSON Schemas and the AsyncAPI document under
``docs/events/`` are generated from these models (``python -m franoi_contracts.catalogue``).
It needs pydantic and nothing of the platform: an integrator installs it alone.
"""

from franoi_contracts import cases, employment, events, hosting, housing, referrals

DOMAINS = {
    "cases": cases,
    "employment": employment,
    "events": events,
    "hosting": hosting,
    "housing": housing,
    "referrals": referrals,
}
