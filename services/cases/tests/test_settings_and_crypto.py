"""The cases service's settings and its field cipher (pure: no database, no network)."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from franoi_cases.adapters.crypto import FieldCipher, UndecryptableValue
from franoi_cases.settings import CasesSettings
from pydantic import ValidationError

KEY = os.urandom(32)
PERSON = uuid.uuid4()
PRODUCTION = {
    "env": "production",
    "auth": {"key": "a-real-jwt-key-for-production-0123456789"},
    "pseudonym_key": "a-real-pseudonym-key-for-production-0123",
    "shredding": True,
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FRANOI_"):
            monkeypatch.delenv(name)


def test_development_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="FRANOI_CASES_ENCRYPTION_KEY"):
        CasesSettings(**PRODUCTION)
    key = base64.b64encode(KEY).decode()
    with pytest.raises(ValidationError, match="FRANOI_CASES_REFERRAL_PRIVATE_KEYS"):
        CasesSettings(**PRODUCTION, cases_encryption_key=key)
    referral_key = base64.b64encode(b"r" * 32).decode()
    settings = CasesSettings(
        **PRODUCTION, cases_encryption_key=key, cases_referral_private_keys={"p01": referral_key}
    )
    assert settings.encryption_key == KEY
    # In production only the keys configured count: no development key for anyone.
    assert settings.referral_keys.can_seal_to("p01")
    assert not settings.referral_keys.can_seal_to("p02")


def test_key_and_peers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRANOI_CASES_ENCRYPTION_KEY", base64.urlsafe_b64encode(KEY).decode())
    monkeypatch.setenv(
        "FRANOI_CASES_PEER_URLS", '{"housing": "http://housing:8000/", "events": "http://ev"}'
    )
    settings = CasesSettings()
    assert settings.encryption_key == KEY
    assert settings.peer_urls == {"housing": "http://housing:8000", "events": "http://ev"}


@pytest.mark.parametrize(
    "changes",
    [
        {"cases_encryption_key": "not base64 at all!"},
        {"cases_encryption_key": base64.b64encode(b"too short").decode()},
        {"cases_peer_urls": {"payroll": "http://payroll"}},
        {"cases_peer_urls": {"housing": "not a url"}},
        {"cases_peer_timeout_s": 0},
    ],
)
def test_bad_settings_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CasesSettings(**changes)


def test_sealed_values_open_only_where_they_belong() -> None:
    cipher = FieldCipher(KEY)
    sealed = cipher.seal("KNKNGZ90A41Z335X", "p01", PERSON, "tax_code")
    assert sealed is not None and b"KNKNGZ" not in sealed
    assert cipher.open(sealed, "p01", PERSON, "tax_code") == "KNKNGZ90A41Z335X"
    assert cipher.seal("KNKNGZ90A41Z335X", "p01", PERSON, "tax_code") != sealed  # fresh nonce
    for partner, person, field in [
        ("p02", PERSON, "tax_code"),
        ("p01", uuid.uuid4(), "tax_code"),
        ("p01", PERSON, "residence_permit"),
    ]:
        with pytest.raises(UndecryptableValue):
            cipher.open(sealed, partner, person, field)
    with pytest.raises(UndecryptableValue):
        FieldCipher(os.urandom(32)).open(sealed, "p01", PERSON, "tax_code")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(UndecryptableValue):
        cipher.open(tampered, "p01", PERSON, "tax_code")
    with pytest.raises(UndecryptableValue):
        cipher.open(b"\x02" + sealed[1:], "p01", PERSON, "tax_code")
    assert cipher.seal(None, "p01", PERSON, "phone") is None
    assert cipher.open(None, "p01", PERSON, "phone") is None


def test_blind_index_is_keyed_per_partner_and_stable() -> None:
    cipher = FieldCipher(KEY)
    index = cipher.blind_index("p01", "KNKNGZ90A41Z335X")
    assert index == cipher.blind_index("p01", "KNKNGZ90A41Z335X")
    assert len(index) == 64 and "KNKNGZ" not in index
    assert index != cipher.blind_index("p02", "KNKNGZ90A41Z335X")
    assert index != FieldCipher(os.urandom(32)).blind_index("p01", "KNKNGZ90A41Z335X")


def test_cipher_needs_a_32_byte_key() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher(b"short")
