"""Settings of the referral router (``FRANOI_*`` variables, read once in ``bootstrap``)."""

from __future__ import annotations

from franoi_common.settings import ServiceSettings
from pydantic import Field


class RouterSettings(ServiceSettings):
    """The consortium's referral router."""

    router_partners: str = Field(default="p01,p02,p03", pattern=r"^p[0-9]{2,3}(,p[0-9]{2,3})*$")
    """``FRANOI_ROUTER_PARTNERS``: the network's partners (comma-separated): the router
    forwards only between them, and its credentials write only their inbox topics."""
    consumer_group: str = "franoi-referral-router"
    topic_pattern: str = r"^franoi\.p[0-9]+\.referrals\.v1$"
    """Every partner's referrals topic."""
    dead_letter_topic: str = "franoi.consortium.router.deadletter.v1"
    relay_batch_size: int = Field(default=500, ge=1, le=10000)
    relay_poll_interval_s: float = Field(default=1.0, gt=0, le=60)

    @property
    def partner_ids(self) -> tuple[str, ...]:
        return tuple(self.router_partners.split(","))
