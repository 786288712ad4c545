"""The pure cases domain: persons, individual plans and the access log's vocabulary
(:mod:`.model`).

The events the aggregates record are the published contract, in
:mod:`franoi_contracts.cases`. No I/O and no cryptography here: the service layer
loads and saves aggregates (the repository encrypts what must be encrypted) and
moves their events to the outbox.
"""
