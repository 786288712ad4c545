"""The pure employment domain: its vocabulary (:mod:`.model`) and one module per aggregate.

The events the aggregates record are the published contract, in
:mod:`franoi_contracts.employment`. No I/O here: the service layer loads and saves
aggregates and moves their events to the outbox.
"""
