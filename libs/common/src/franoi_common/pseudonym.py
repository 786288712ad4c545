"""``person_ref``: the keyed pseudonym under which a person appears outside its service.

HMAC-SHA256 of a normalised identifier (tax code, permit number, ...) under the
network key: the same person gets the same ref in every service and partner, so
journeys can be counted across axes without anyone learning who they are. The
identifier itself is never stored or published.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata


def normalise_identifier(identifier: str) -> str:
    """Case, spaces, dots and dashes do not change who a person is."""
    text = unicodedata.normalize("NFKC", identifier).upper()
    cleaned = "".join(ch for ch in text if ch.isalnum())
    if len(cleaned) < 6:
        raise ValueError("a person identifier has at least 6 letters or digits")
    return cleaned


def person_ref(identifier: str, key: bytes) -> str:
    """The pseudonym of the person with this identifier under the network key."""
    if len(key) < 16:
        raise ValueError("the pseudonym key must be at least 16 bytes")
    digest = hmac.new(key, normalise_identifier(identifier).encode(), hashlib.sha256)
    return digest.hexdigest()
