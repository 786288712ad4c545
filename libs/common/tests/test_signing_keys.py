"""Tokens checked against the identity provider's published keys (discovery + JWKS): the
rotation, the bound on refetching, and the tokens that must be refused. The provider is an
in-process HTTP app serving its documents; the real Keycloak runs in ``tests/test_oidc.py``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import HTTPException
from franoi_common.auth import Role, TokenVerifier
from franoi_common.settings import AuthSettings

ISSUER = "https://idp.example/realms/franoi"


class Provider:
    """Publishes a discovery document and a JWKS; signs tokens with its current key."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.current = ""
        self.jwks_reads = 0
        self.down = False
        self.rotate()

    def rotate(self, curve: bool = False) -> str:
        kid = f"key-{len(self.keys) + 1}"
        self.keys[kid] = (
            ec.generate_private_key(ec.SECP256R1())
            if curve
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        self.current = kid
        return kid

    def token(self, kid: str | None = None, **overrides: Any) -> str:
        kid = kid or self.current
        key = self.keys[kid]
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "sub": "worker-7",
            "iss": ISSUER,
            "aud": "franoi-network",
            "iat": now,
            "exp": now + dt.timedelta(minutes=5),
            "partner_id": "p07",
            "roles": ["social_worker"],
        }
        claims.update(overrides)
        alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the provider is down", request=request)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs"}
            )
        self.jwks_reads += 1
        published = []
        for kid, key in self.keys.items():
            algorithm: Any = (
                jwt.algorithms.ECAlgorithm
                if isinstance(key, ec.EllipticCurvePrivateKey)
                else jwt.algorithms.RSAAlgorithm
            )
            jwk = json.loads(algorithm.to_jwk(key.public_key()))
            jwk.update(kid=kid, use="sig", alg="ES256" if "crv" in jwk else "RS256")
            published.append(jwk)
        return httpx.Response(200, json={"keys": published})


def verifier(provider: Provider, **settings: Any) -> TokenVerifier:
    auth = AuthSettings(oidc=True, issuer=ISSUER, **settings)
    client = httpx.AsyncClient(transport=httpx.MockTransport(provider.handle))
    return TokenVerifier(auth, http_client=client)


def refused(check: TokenVerifier, token: str) -> HTTPException:
    with pytest.raises(HTTPException) as info:
        asyncio.run(check.averify(token))
    return info.value


def test_a_token_of_the_provider_is_accepted_and_its_keys_read_once() -> None:
    provider = Provider()
    check = verifier(provider)
    principal = asyncio.run(check.averify(provider.token()))
    assert (principal.subject, principal.partner_id) == ("worker-7", "p07")
    assert principal.roles == {Role.SOCIAL_WORKER}
    asyncio.run(check.averify(provider.token(sub="worker-8")))
    assert provider.jwks_reads == 1


def test_a_rotated_key_is_picked_up_without_a_restart() -> None:
    provider = Provider()
    check = verifier(provider, jwks_min_refresh_s=0)
    asyncio.run(check.averify(provider.token()))
    provider.rotate(curve=True)  # the new key is an ES256 one
    principal = asyncio.run(check.averify(provider.token(sub="after-rotation")))
    assert principal.subject == "after-rotation"
    assert provider.jwks_reads == 2


def test_made_up_key_ids_refetch_the_keys_at_most_once_per_interval() -> None:
    provider = Provider()
    check = verifier(provider, jwks_min_refresh_s=60)
    asyncio.run(check.averify(provider.token()))
    good = provider.token()
    _header, payload, signature = good.split(".")
    for n in range(20):
        forged_header = jwt.utils.base64url_encode(
            json.dumps({"alg": "RS256", "typ": "JWT", "kid": f"forged-{n}"}).encode()
        ).decode()
        error = refused(check, f"{forged_header}.{payload}.{signature}")
        assert error.status_code == 401
        assert "does not publish" in str(error.detail)
    assert provider.jwks_reads <= 2  # the first read, and at most one refetch


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.token(exp=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)), "expired"),
        (lambda p: p.token(iss="https://idp.example/realms/other"), "issuer"),
        (lambda p: p.token(aud="someone-else"), "audience"),
        (
            lambda p: jwt.encode(
                {"sub": "x", "iss": ISSUER}, None, algorithm="none", headers={"kid": p.current}
            ),
            "alg",
        ),
        (
            lambda p: jwt.encode(
                {"sub": "x", "iss": ISSUER, "aud": "franoi-network"},
                "a-shared-secret-that-is-long-enough-0123456789",
                algorithm="HS256",
                headers={"kid": p.current},
            ),
            "alg",
        ),
        (lambda p: jwt.encode({"sub": "x"}, "k" * 40, algorithm="HS256"), "kid"),
    ],
    ids=["expired", "other-realm", "other-audience", "alg-none", "hs256-with-a-real-kid", "no-kid"],
)
def test_tokens_the_provider_did_not_issue_are_refused(make: Any, reason: str) -> None:
    provider = Provider()
    error = refused(verifier(provider), make(provider))
    assert error.status_code == 401
    assert reason in str(error.detail).lower()


def test_a_token_signed_by_another_providers_key_is_refused() -> None:
    provider, other = Provider(), Provider()  # both name their first key "key-1"
    error = refused(verifier(provider), other.token())
    assert error.status_code == 401
    assert "signature" in str(error.detail).lower()


def test_an_unreachable_provider_is_503_until_its_keys_are_known_then_they_are_kept() -> None:
    provider = Provider()
    provider.down = True
    check = verifier(provider, jwks_min_refresh_s=0, jwks_max_age_s=10)
    error = refused(check, provider.token())
    assert error.status_code == 503
    assert error.headers == {"Retry-After": "5"}
    provider.down = False
    assert asyncio.run(check.averify(provider.token())).partner_id == "p07"
    provider.down = True  # known keys stay in use while the provider is away
    assert asyncio.run(check.averify(provider.token(sub="later"))).subject == "later"
