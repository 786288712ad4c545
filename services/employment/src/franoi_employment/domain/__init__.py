"""The pure employment domain: aggregates and their rules (:mod:`.model`).

The events the aggregates record are the published contract, in
:mod:`franoi_contracts.employment`. No I/O here: the service layer loads and saves
aggregates and moves their events to the outbox.
"""
