"""The desk's settings (``FRANOI_*``): which partner services it calls (and the network's
projection, for the coordinator's reporting), its session key, whether the development
sign-in exists."""

from __future__ import annotations

from typing import Self

from franoi_common.settings import Environment, PartnerInstanceSettings, SignInSettings
from pydantic import Field, SecretStr, model_validator

_DEV_SESSION_KEY = "development-only-desk-session-key-0123456789"

DOMAINS = ("cases", "housing", "employment", "hosting", "events")
"""The partner services the desk works on, by the name of their domain."""
NETWORK = "projection"
"""The consortium's service the desk calls (reporting periods)."""


class DeskSettings(PartnerInstanceSettings):
    """A partner instance's desk: it keeps nothing; it calls the partner's own services."""

    cases_url: str = "http://127.0.0.1:8001"
    housing_url: str = "http://127.0.0.1:8002"
    employment_url: str = "http://127.0.0.1:8003"
    hosting_url: str = "http://127.0.0.1:8004"
    events_url: str = "http://127.0.0.1:8005"
    projection_url: str = "http://127.0.0.1:8000"
    """The consortium's projection: the coordinator's reporting page reads and submits the
    partner's reporting periods there (``/v1/reporting``), with the coordinator's token."""
    session_key: SecretStr = SecretStr(_DEV_SESSION_KEY)
    """Signs the session cookie (HttpOnly, SameSite=strict, Secure in production)."""
    session_hours: int = Field(default=10, ge=1, le=24)
    """A signed-in session lasts a working day at most."""
    dev_sign_in: bool = True
    """The development sign-in page (choose partner and role): refused in production,
    where people sign in with the organisation's identity provider."""
    oidc: SignInSettings = Field(default_factory=SignInSettings)
    """The desk as a client of the organisation's identity provider (``FRANOI_OIDC_*``)."""

    def service_urls(self) -> dict[str, str]:
        """The base URL of every service the desk calls, by its name: the partner's
        (:data:`DOMAINS`) and the network's ``projection``."""
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in (*DOMAINS, NETWORK)}

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Self:
        if self.env is Environment.PRODUCTION:
            if self.session_key.get_secret_value() == _DEV_SESSION_KEY:
                raise ValueError("FRANOI_SESSION_KEY must be set in production")
            if self.dev_sign_in:
                raise ValueError("FRANOI_DEV_SIGN_IN must be false in production")
            if not self.oidc.enabled:
                raise ValueError(
                    "production signs people in with the identity provider:"
                    " set FRANOI_OIDC_ISSUER, FRANOI_OIDC_CLIENT_ID and FRANOI_OIDC_CLIENT_SECRET"
                )
        return self
