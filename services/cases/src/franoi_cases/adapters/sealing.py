"""Sealing what a referral carries to the receiving partner, and only to it.

Each partner has an X25519 key pair for referrals: its private key in its cases service's
settings, its public key in every other partner's (``FRANOI_CASES_REFERRAL_PRIVATE_KEYS``
and ``FRANOI_CASES_REFERRAL_PUBLIC_KEYS``). The referring partner seals the part of a
referral meant for the receiving partner (an "anonymous sealed box"): a fresh ephemeral
key pair, X25519 with the receiver's public key, HKDF-SHA256 to an AES-256-GCM key, and the
referral id and receiving partner as associated data, so a box copied into another
referral, or sent to another partner, does not open. Only the receiving partner's private
key opens it: not the referring partner after sealing, not the consortium's router that
carries it, not the projection or an integrator reading the topics.

Stored and published as base64url (no padding) of ``version (1) || ephemeral public key
(32) || nonce (12) || ciphertext and tag``.

In development and tests every partner's key pair derives from a fixed seed and the
partner id, so a local network needs no keys; production refuses that
(:class:`franoi_cases.settings.CasesSettings`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_INFO = b"franoi referral sealed part v1"
_DEV_SEED = b"development-only referral keys: never for real data"


class Unopenable(Exception):
    """The sealed part does not open with this partner's key for this referral."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise Unopenable("not base64url") from error


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def development_private_key(partner_id: str) -> X25519PrivateKey:
    """The development key pair of ``partner_id`` (derived from a published seed)."""
    secret = HKDF(hashes.SHA256(), _KEY_BYTES, salt=None, info=partner_id.encode()).derive(
        _DEV_SEED
    )
    return X25519PrivateKey.from_private_bytes(secret)


def decode_private_key(text: str) -> X25519PrivateKey:
    """A private key given as 32 bytes of base64 (standard or URL-safe)."""
    return X25519PrivateKey.from_private_bytes(_key_bytes(text))


def decode_public_key(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_key_bytes(text))


def _key_bytes(text: str) -> bytes:
    try:
        raw = _unb64(text.strip().rstrip("=").replace("+", "-").replace("/", "_"))
    except Unopenable as error:
        raise ValueError("a referral key is 32 bytes of base64") from error
    if len(raw) != _KEY_BYTES:
        raise ValueError("a referral key is 32 bytes of base64")
    return raw


def public_key_text(key: X25519PrivateKey) -> str:
    """The base64 public key another partner configures for this private key."""
    return base64.b64encode(_raw(key.public_key())).decode()


def _aead(shared: bytes, ephemeral: bytes, receiver: bytes) -> AESGCM:
    key = HKDF(hashes.SHA256(), _KEY_BYTES, salt=ephemeral + receiver, info=_INFO).derive(shared)
    return AESGCM(key)


def _context(referral_id: UUID, receiving_partner_id: str) -> bytes:
    return f"{referral_id}/{receiving_partner_id}".encode()


class ReferralKeys:
    """This instance's referral keys: its partners' private keys, the others' public ones."""

    def __init__(
        self,
        private: Mapping[str, X25519PrivateKey],
        public: Mapping[str, X25519PublicKey],
        *,
        development: bool = False,
    ) -> None:
        self._private = dict(private)
        self._public = dict(public)
        self._development = development

    def _public_of(self, partner_id: str) -> X25519PublicKey | None:
        if partner_id in self._public:
            return self._public[partner_id]
        if partner_id in self._private:
            return self._private[partner_id].public_key()
        if self._development:
            return development_private_key(partner_id).public_key()
        return None

    def _private_of(self, partner_id: str) -> X25519PrivateKey | None:
        if partner_id in self._private:
            return self._private[partner_id]
        if self._development:
            return development_private_key(partner_id)
        return None

    def can_seal_to(self, partner_id: str) -> bool:
        return self._public_of(partner_id) is not None

    def seal(self, content: Mapping[str, Any], referral_id: UUID, receiving_partner_id: str) -> str:
        """``content`` as JSON, sealed to ``receiving_partner_id``."""
        receiver = self._public_of(receiving_partner_id)
        if receiver is None:
            raise Unopenable(f"no referral key of partner {receiving_partner_id}")
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw, receiver_raw = _raw(ephemeral.public_key()), _raw(receiver)
        aead = _aead(ephemeral.exchange(receiver), ephemeral_raw, receiver_raw)
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(content, separators=(",", ":"), sort_keys=True).encode()
        sealed = aead.encrypt(nonce, plain, _context(referral_id, receiving_partner_id))
        return _b64(_VERSION + ephemeral_raw + nonce + sealed)

    def open(self, sealed: str, referral_id: UUID, receiving_partner_id: str) -> dict[str, Any]:
        """What :meth:`seal` sealed, opened with the receiving partner's private key."""
        key = self._private_of(receiving_partner_id)
        if key is None:
            raise Unopenable(f"partner {receiving_partner_id} has no referral key here")
        data = _unb64(sealed)
        head = 1 + _KEY_BYTES + _NONCE_BYTES
        if data[:1] != _VERSION or len(data) < head + 16:
            raise Unopenable("unknown format")
        ephemeral_raw = data[1 : 1 + _KEY_BYTES]
        nonce, body = data[1 + _KEY_BYTES : head], data[head:]
        try:
            ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
            aead = _aead(key.exchange(ephemeral), ephemeral_raw, _raw(key.public_key()))
            plain = aead.decrypt(nonce, body, _context(referral_id, receiving_partner_id))
        except (InvalidTag, ValueError):
            raise Unopenable("not sealed to this partner for this referral") from None
        opened: dict[str, Any] = json.loads(plain)
        return opened
