"""The network's published event contract.

One module per domain; each event type is a pydantic model registered with
:class:`franoi_common.events.DomainEvent`. JSON Schemas and the AsyncAPI
document under ``docs/events/`` are generated from these models
(``python -m franoi_contracts.catalogue``).
"""

from franoi_contracts import cases, employment, events, hosting, housing

DOMAINS = {
    "cases": cases,
    "employment": employment,
    "events": events,
    "hosting": hosting,
    "housing": housing,
}
