"""Settings read from the environment (prefix ``FRANOI_``).

Only a service's ``bootstrap`` module builds a settings object; everything
else receives the values it needs as arguments.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, Field, HttpUrl, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PARTNER_ID_PATTERN = r"^p[0-9]{2,3}$"
"""Partner ids are short and stable: ``p01`` ... ``p43`` (room for ``p999``)."""

_DEV_JWT_KEY = "development-only-jwt-key-change-me-0123456789"
_DEV_PSEUDONYM_KEY = "development-only-pseudonym-key-0123456789"
_DEV_SESSION_KEY = "development-only-session-key-0123456789abcdef"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class KafkaSettings(BaseSettings):
    """Connection to the network's Kafka cluster."""

    model_config = SettingsConfigDict(env_prefix="FRANOI_KAFKA_", extra="ignore")

    bootstrap: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    idempotent_producer: bool = True
    """Apache Kafka supports it; the memory-only development broker does not."""
    reports_group_offsets: bool = True
    """The broker answers the admin requests a consumer's lag needs (committed and end
    offsets); the memory-only development broker (Tansu) does not, so the lag is reported
    unknown without asking it."""
    create_topics: bool = False
    """Create the service's topics at start (development); production provisions them."""
    topic_partitions: int = Field(default=3, ge=1, le=64)
    metadata_max_age_ms: int = Field(default=5000, ge=100)
    session_timeout_ms: int = Field(default=10000, ge=1000)
    heartbeat_interval_ms: int = Field(default=3000, ge=100)

    def client_options(self) -> dict[str, object]:
        """Keyword arguments shared by every aiokafka client of a service."""
        options: dict[str, object] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
            "metadata_max_age_ms": self.metadata_max_age_ms,
        }
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.security_protocol in ("SSL", "SASL_SSL"):
            import ssl

            options["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile)
        return options


class AuthSettings(BaseSettings):
    """Bearer JWT validation. Algorithms are pinned; issuer and audience are checked.

    Two ways to know the signing keys: the identity provider's published keys
    (``FRANOI_JWT_ISSUER`` with ``FRANOI_JWT_OIDC=true``: OpenID Connect discovery and its
    JWKS, RS256/ES256, keys rotate without a restart), or one static key from the settings
    (``FRANOI_JWT_KEY``: development and tests)."""

    model_config = SettingsConfigDict(env_prefix="FRANOI_JWT_", extra="ignore")

    algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    """The static key's algorithm (unused with ``oidc``)."""
    key: SecretStr = SecretStr(_DEV_JWT_KEY)
    """HMAC secret for HS256, or the issuer's public key (PEM) for RS256/ES256."""
    issuer: str = "https://auth.franoi.example"
    """The ``iss`` every token must carry; with ``oidc``, the provider's issuer URL (for
    Keycloak ``https://<host>/realms/<realm>``)."""
    audience: str = "franoi-network"
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    oidc: bool = False
    """Verify against the issuer's published keys (discovery + JWKS) instead of ``key``."""
    discovery_url: str | None = None
    """Where to read the discovery document when the services reach the provider at another
    address than its issuer (inside a cluster); by default
    ``<issuer>/.well-known/openid-configuration``."""
    jwks_url: str | None = None
    """The JWKS address, when the one the discovery document names is not reachable from
    the services."""
    oidc_algorithms: list[Literal["RS256", "ES256", "RS384", "ES384", "PS256"]] = ["RS256", "ES256"]
    jwks_min_refresh_s: float = Field(default=30.0, ge=0, le=3600)
    """A token naming an unknown key refetches the keys at most this often (a forged ``kid``
    never makes the service hammer the provider)."""
    jwks_max_age_s: float = Field(default=3600.0, ge=10, le=86400)
    partner_claim: str = Field(default="partner_id", min_length=1, max_length=200)
    """The claim naming the partner (``p07``) or ``consortium``; a dotted path reads a nested
    claim; a list claim (a group claim) must hold exactly one partner once
    ``partner_prefix`` is taken off."""
    partner_prefix: str = ""
    """Taken off the partner claim's values, e.g. ``/partners/`` for group paths."""
    roles_claim: str = Field(default="roles", min_length=1, max_length=200)
    """The claim listing the roles; ``realm_access.roles`` reads Keycloak's realm roles."""
    role_prefix: str = ""
    """Taken off each role, e.g. ``franoi-`` for groups named ``franoi-social_worker``."""


class SignInSettings(BaseSettings):
    """The web app as a client of the identity provider (``FRANOI_OIDC_*``); no issuer: no
    sign-in with a provider (development sign-in only)."""

    model_config = SettingsConfigDict(env_prefix="FRANOI_OIDC_", extra="ignore")

    issuer: str | None = None
    """The provider's issuer URL (Keycloak: ``https://<host>/realms/<realm>``)."""
    discovery_url: str | None = None
    """Where the app reads the discovery document, if not ``<issuer>/.well-known/...``."""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    scope: str = "openid profile"
    public_url: str | None = None
    """The app's own address as people's browsers reach it (behind a proxy); by default the
    address of the request."""
    sessions_max: int = Field(default=5000, ge=10, le=1_000_000)
    """Signed-in sessions kept in this process's memory (the oldest are forgotten first)."""

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    def metadata_url(self) -> str:
        assert self.issuer is not None
        return self.discovery_url or (self.issuer.rstrip("/") + "/.well-known/openid-configuration")


class ServiceSettings(BaseSettings):
    """What every service needs: identity, database, broker, auth, telemetry."""

    model_config = SettingsConfigDict(env_prefix="FRANOI_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    service_name: str = "franoi"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/franoi"
    database_pool_max: int = Field(default=10, ge=1, le=200)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    otel_exporter_endpoint: str | None = None
    """OTLP/HTTP endpoint for traces (e.g. ``http://otel-collector:4318``); unset: no export."""
    worker_stall_s: float = Field(default=60.0, gt=0, le=3600)
    """A background worker (relay, consumer) whose loop completes no round for this long
    fails the process's liveness probe (``/healthz`` 503), so the orchestrator restarts it."""
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Self:
        if self.env is Environment.PRODUCTION:
            if not self.auth.oidc and self.auth.key.get_secret_value() == _DEV_JWT_KEY:
                raise ValueError("FRANOI_JWT_KEY (or FRANOI_JWT_OIDC) must be set in production")
        return self


class PartnerInstanceSettings(ServiceSettings):
    """A service of a partner instance: whom it serves."""

    partner_id: str = Field(default="p01", pattern=r"^p[0-9]{2,3}(,p[0-9]{2,3})*$")
    """The partner this instance serves, or several comma-separated (``p03,p11``) when
    partners share one instance; each partner's data stays separated by ``partner_id``."""

    @property
    def partner_ids(self) -> tuple[str, ...]:
        return tuple(self.partner_id.split(","))


class KeyStoreAccess(BaseModel):
    """Where a partner's key store answers (its cases service) and the secret it accepts."""

    url: HttpUrl
    secret: SecretStr = Field(min_length=16)


class PartnerServiceSettings(PartnerInstanceSettings):
    """A partner's domain service (housing, employment, hosting, events)."""

    pseudonym_key: SecretStr = SecretStr(_DEV_PSEUDONYM_KEY)
    """The network key under which person identifiers become ``person_ref`` pseudonyms."""
    relay_enabled: bool = True
    """Run the outbox relay inside the API process (set false to run ``relay`` on its own)."""
    relay_batch_size: int = Field(default=500, ge=1, le=10000)
    relay_poll_interval_s: float = Field(default=1.0, gt=0, le=60)
    shredding: bool = False
    """Publish every ``person_ref`` as its token in the partner's key store, so that an
    erasure makes the person's events on the topics unreadable at once (crypto-shredding,
    ``docs/privacy.md``). The cases service holds the store (with ``key_store_secret``);
    the partner's other services reach it at ``key_stores`` (``FRANOI_KEY_STORES``)."""
    key_stores: dict[str, KeyStoreAccess] = Field(default_factory=dict)
    """Each served partner's key store (``{"p07": {"url": ..., "secret": ...}}``), for a
    domain service with ``shredding``."""
    key_store_secret: SecretStr | None = Field(default=None, min_length=16)
    """The secret the key store (the cases service with ``shredding``) accepts from the
    partner's services and the consortium's projection."""

    @model_validator(mode="after")
    def _no_default_pseudonym_key_in_production(self) -> Self:
        if (
            self.env is Environment.PRODUCTION
            and self.pseudonym_key.get_secret_value() == _DEV_PSEUDONYM_KEY
        ):
            raise ValueError("FRANOI_PSEUDONYM_KEY must be set in production")
        if self.env is Environment.PRODUCTION and not self.shredding:
            raise ValueError(
                "FRANOI_SHREDDING must be true in production: an erasure must make the"
                " person's events on the topics unreadable (docs/privacy.md)"
            )
        return self


class ProjectionSettings(ServiceSettings):
    """The consortium's projection service."""

    consumer_enabled: bool = True
    """Run the Kafka consumer inside the API process (set false to run ``consume`` on its own)."""
    consumer_group: str = "franoi-projection"
    topic_pattern: str = r"franoi\.p[0-9]+\.(cases|housing|employment|hosting|events|referrals)\.v1"
    """Every partner's domain topics (each service publishes ``franoi.<partner>.<domain>.v1``)."""
    dead_letter_topic: str = "franoi.consortium.deadletter.v1"
    partner_directory: str | None = None
    """Path of a CSV (partner_id,name,region,province, optionally kind,axes,active_since)
    loaded at start; unset: the example."""
    generation_poll_s: float = Field(default=1.0, gt=0, le=60)
    """How often a serving process checks whether a rebuild switched the read models to a
    new generation (schema and consumer group)."""
    oidc: SignInSettings = Field(default_factory=SignInSettings)
    """The dashboard as a client of the consortium's identity provider (``FRANOI_OIDC_*``);
    unset, analysts paste a token in the dashboard (development)."""
    session_key: SecretStr = SecretStr(_DEV_SESSION_KEY)
    """Signs the dashboard's session cookie (used with ``oidc``)."""
    quality_check_interval_s: float = Field(default=3600.0, ge=60, le=604_800)
    """How old a partner's data-quality flags may grow before a serving process runs the
    network's checks again (``FRANOI_QUALITY_CHECK_INTERVAL_S``)."""
    session_hours: int = Field(default=10, ge=1, le=24)
    key_stores: dict[str, KeyStoreAccess] = Field(default_factory=dict)
    """Each shredding partner's key store (``{"p07": {"url": ..., "secret": ...}}``): the
    projection opens the partner's tokens there while the person is not erased. A partner
    not listed publishes its references as they are."""

    @model_validator(mode="after")
    def _pattern_compiles(self) -> Self:
        re.compile(self.topic_pattern)
        if (
            self.env is Environment.PRODUCTION
            and self.oidc.enabled
            and self.session_key.get_secret_value() == _DEV_SESSION_KEY
        ):
            raise ValueError("FRANOI_SESSION_KEY must be set in production")
        return self


def topic_for(partner_id: str, domain: str) -> str:
    """The topic a partner's domain service publishes to: ``franoi.<partner_id>.<domain>.v1``."""
    return f"franoi.{partner_id}.{domain}.v1"
