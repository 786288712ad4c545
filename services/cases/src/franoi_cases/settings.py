"""Settings of the cases service (``FRANOI_*`` variables, read once in ``bootstrap``).

On top of a partner service's settings: the key that encrypts document numbers
and contacts at rest (refused at its development value in production), and where
the partner's other services are, for the person's file.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Self

from franoi_common.settings import Environment, PartnerServiceSettings
from pydantic import Field, HttpUrl, SecretStr, field_validator, model_validator

from franoi_cases.adapters.sealing import ReferralKeys, decode_private_key, decode_public_key

_DEV_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1jYXNlcy1rZXktMDEyMzQ="
"""base64 of ``development-only-cases-key-01234`` (32 bytes): never for real data."""

PEER_DOMAINS = ("housing", "employment", "hosting", "events")
"""The partner's services a person's file gathers records from."""


def decode_key(text: str) -> bytes:
    """A 32-byte key given as standard or URL-safe base64."""
    try:
        key = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_").encode())
    except (binascii.Error, ValueError) as error:
        raise ValueError("the key must be base64") from error
    if len(key) != 32:
        raise ValueError("the key must be 32 bytes (44 characters of base64)")
    return key


class CasesSettings(PartnerServiceSettings):
    """The cases service of one partner instance."""

    cases_encryption_key: SecretStr = SecretStr(_DEV_ENCRYPTION_KEY)
    """``FRANOI_CASES_ENCRYPTION_KEY``: 32 random bytes as base64
    (``python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"``).
    Encrypts document numbers and contacts (AES-256-GCM) and keys their blind index.
    Losing it loses those fields; changing it needs a re-encryption."""
    cases_peer_urls: dict[str, HttpUrl] = Field(default_factory=dict)
    """``FRANOI_CASES_PEER_URLS``: JSON mapping domain → base URL of the partner's other
    services, e.g. ``{"housing": "http://housing:8000"}``. A domain left out is reported
    as not configured in a person's file."""
    cases_peer_timeout_s: float = Field(default=5.0, gt=0, le=60)
    """How long a person's file waits for each of the other services."""

    cases_referral_private_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """``FRANOI_CASES_REFERRAL_PRIVATE_KEYS``: JSON mapping partner → its X25519 private key
    for referrals (32 bytes of base64; ``franoi-cases referral-key`` draws one and prints
    the public key to give the other partners). Opens what is referred to the partner."""
    cases_referral_public_keys: dict[str, str] = Field(default_factory=dict)
    """``FRANOI_CASES_REFERRAL_PUBLIC_KEYS``: JSON mapping partner → its public key: the
    partners this instance can refer persons to. Outside production, a partner left out
    has its development key (derived from a published seed: never for real data)."""

    @field_validator("cases_referral_private_keys", "cases_referral_public_keys")
    @classmethod
    def _keys_decode(cls, value: dict[str, Any]) -> dict[str, Any]:
        for partner, key in value.items():
            text = key.get_secret_value() if isinstance(key, SecretStr) else key
            try:
                decode_public_key(text)
            except ValueError as error:
                raise ValueError(f"referral key of {partner}: {error}") from None
        return value

    @field_validator("cases_encryption_key")
    @classmethod
    def _key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        decode_key(value.get_secret_value())
        return value

    @field_validator("cases_peer_urls")
    @classmethod
    def _known_domains(cls, value: dict[str, HttpUrl]) -> dict[str, HttpUrl]:
        unknown = set(value) - set(PEER_DOMAINS)
        if unknown:
            raise ValueError(f"unknown domains {sorted(unknown)}; known: {list(PEER_DOMAINS)}")
        return value

    @model_validator(mode="after")
    def _no_default_encryption_key_in_production(self) -> Self:
        if (
            self.env is Environment.PRODUCTION
            and self.cases_encryption_key.get_secret_value() == _DEV_ENCRYPTION_KEY
        ):
            raise ValueError("FRANOI_CASES_ENCRYPTION_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _own_referral_keys_in_production(self) -> Self:
        missing = [p for p in self.partner_ids if p not in self.cases_referral_private_keys]
        if self.env is Environment.PRODUCTION and missing:
            raise ValueError(f"FRANOI_CASES_REFERRAL_PRIVATE_KEYS must be set for {missing}")
        return self

    @property
    def referral_keys(self) -> ReferralKeys:
        """Outside production, partners without configured keys use development ones."""
        return ReferralKeys(
            {
                p: decode_private_key(k.get_secret_value())
                for p, k in self.cases_referral_private_keys.items()
            },
            {p: decode_public_key(k) for p, k in self.cases_referral_public_keys.items()},
            development=self.env is not Environment.PRODUCTION,
        )

    @property
    def encryption_key(self) -> bytes:
        return decode_key(self.cases_encryption_key.get_secret_value())

    @property
    def peer_urls(self) -> dict[str, str]:
        return {domain: str(url).rstrip("/") for domain, url in self.cases_peer_urls.items()}
