"""Encryption at rest of document numbers and contacts, and their blind index.

One 32-byte secret from the settings; two keys derived from it with HKDF-SHA256:

* an AES-256-GCM key. Each value is sealed with a fresh 96-bit nonce and, as
  associated data, where it belongs (partner, person, field): a ciphertext
  copied to another row or column does not decrypt. Stored as
  ``version (1 byte) || nonce (12) || ciphertext+tag``.
* an HMAC-SHA256 key for the blind index: a keyed hash of a normalised
  document number (and the partner), so "who holds this permit number?" is an
  equality lookup that never needs the plaintext and reveals nothing without
  the key.

A database dump alone therefore shows neither a document number nor a contact.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12


class UndecryptableValue(Exception):
    """A stored value does not decrypt with this key where it was found."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class FieldCipher:
    """Seals and opens the personal fields the cases service keeps encrypted."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the cases encryption key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"franoi-cases field encryption v1"))
        self._index_key = _derive(master_key, b"franoi-cases blind index v1")

    @staticmethod
    def _context(partner_id: str, person_id: UUID, field: str) -> bytes:
        return f"{partner_id}/{person_id}/{field}".encode()

    def seal(self, value: str | None, partner_id: str, person_id: UUID, field: str) -> bytes | None:
        """The stored form of ``value`` (``None`` stays ``None``)."""
        if value is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        context = self._context(partner_id, person_id, field)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode(), context)

    def open(
        self, stored: bytes | None, partner_id: str, person_id: UUID, field: str
    ) -> str | None:
        """The value sealed by :meth:`seal` for this partner, person and field."""
        if stored is None:
            return None
        if stored[:1] != _VERSION or len(stored) < 1 + _NONCE_BYTES + 16:
            raise UndecryptableValue(f"{field}: unknown format")
        nonce, sealed = stored[1 : 1 + _NONCE_BYTES], stored[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, self._context(partner_id, person_id, field))
        except InvalidTag:
            raise UndecryptableValue(f"{field}: wrong key or not this record's value") from None
        return plain.decode()

    def blind_index(self, partner_id: str, normalised_identifier: str) -> str:
        """The keyed hash under which a (normalised) document number is looked up."""
        message = f"{partner_id}\x1f{normalised_identifier}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()
