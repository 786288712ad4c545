"""The pure events domain: hubs, lab series, community events, access batches
(:mod:`.model`).

The events the aggregates record are the published contract, in
:mod:`franoi_contracts.events`. No I/O here: the service layer loads and saves
aggregates and moves their events to the outbox.
"""
