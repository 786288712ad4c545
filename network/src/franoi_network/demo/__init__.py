"""The demo: a realistic multi-year history of the network, recorded through the partner
APIs and the real pipeline (never written into read models).

:mod:`.plan` turns a seed, a scale and the partners (their axes, from the projection's
directory) into calls dated as the work happened, and tallies what they should add up to;
:mod:`.record` sends them, partners side by side, each partner's in date order;
:mod:`.cli` is ``franoi-demo``, which records into any running network, and the local
network runner (``franoi-devnet``) uses the same generator.
"""

from franoi_network.demo.plan import Call, DemoPlan, PartnerProfile, plan_network
from franoi_network.demo.record import DemoReport, NetworkTarget, record

__all__ = [
    "Call",
    "DemoPlan",
    "DemoReport",
    "NetworkTarget",
    "PartnerProfile",
    "plan_network",
    "record",
]
