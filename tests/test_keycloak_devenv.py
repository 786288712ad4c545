"""A real Keycloak with the network's realm (``deploy/keycloak/franoi-realm.json``), started by
:class:`franoi_devenv.keycloak.LocalKeycloak`: discovery, the integrator's client-credentials
token, a social worker signing in to the desk (authorization code with PKCE), the development
users, the published keys and a signing-key rotation.

Skipped only without a Java 21+ or Maven (and no cached distribution); with
``FRANOI_TEST_REQUIRE_KEYCLOAK=1`` that is a failure instead.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from franoi_devenv.keycloak import LocalKeycloak

#: The ``aud`` every token for the network's services carries (deploy/keycloak/README.md).
AUDIENCE = "franoi-network"
DEV_PASSWORD = "franoi-dev-password"
CALLBACK = "http://127.0.0.1:8123/auth/callback"

#: username -> (client it signs in through, partner claim, role)
USERS = {
    "p01-worker": ("franoi-desk", "p01", "social_worker"),
    "p01-admin": ("franoi-desk", "p01", "partner_admin"),
    "p02-worker": ("franoi-desk", "p02", "social_worker"),
    "analyst": ("franoi-dashboard", "consortium", "consortium_analyst"),
}


@pytest.fixture(scope="module")
def secrets_by_client(keycloak: LocalKeycloak) -> dict[str, str]:
    """The development client secrets, read from the realm file the server imported."""
    return {c["clientId"]: c["secret"] for c in keycloak.realm_document()["clients"]}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=30.0, follow_redirects=False) as client:
        yield client


def verified(keycloak: LocalKeycloak, token: str, audience: str = AUDIENCE) -> dict[str, Any]:
    """The claims of *token*, its signature checked against the realm's JWKS."""
    key = jwt.PyJWKClient(keycloak.jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=keycloak.issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return claims


def integrator_token(keycloak: LocalKeycloak, http: httpx.Client, secret: str) -> str:
    response = http.post(
        keycloak.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "franoi-integrator",
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(
    keycloak: LocalKeycloak, http: httpx.Client, client_id: str, **params: str
) -> httpx.Response:
    query = {
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        **params,
    }
    query = {k: v for k, v in query.items() if v}
    return http.get(f"{keycloak.issuer}/protocol/openid-connect/auth", params=query)


def sign_in(
    keycloak: LocalKeycloak, http: httpx.Client, client_id: str, secret: str, username: str
) -> dict[str, Any]:
    """The whole browser sign-in of the desk, without a browser: the login form, the
    credentials, the redirect back with a code, the code (and PKCE verifier) for tokens."""
    verifier, challenge = pkce_pair()
    page = authorize(
        keycloak, http, client_id, code_challenge=challenge, code_challenge_method="S256"
    )
    assert page.status_code == 200, page.text[:500]
    form = re.search(r"<form[^>]*\bid=\"kc-form-login\"[^>]*>", page.text)
    assert form is not None, page.text[:2000]
    action = re.search(r'\baction="([^"]+)"', form.group(0))
    assert action is not None
    # Keycloak's session cookies are marked Secure: browsers send them to a loopback address
    # over plain HTTP (a secure context), httpx's cookie jar does not, so they go by hand.
    cookies = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar)
    answer = http.post(
        html.unescape(action.group(1)),
        data={"username": username, "password": DEV_PASSWORD, "credentialId": ""},
        headers={"Cookie": cookies},
    )
    assert answer.status_code == 302, answer.text[:2000]
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = http.post(
        keycloak.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    body: dict[str, Any] = tokens.json()
    return body


def test_discovery_document_names_the_issuer(keycloak: LocalKeycloak, http: httpx.Client) -> None:
    document = http.get(keycloak.discovery_url).json()
    assert document["issuer"] == keycloak.issuer
    assert document["issuer"].startswith("http://127.0.0.1:")
    assert document["jwks_uri"] == keycloak.jwks_url
    assert document["token_endpoint"] == keycloak.token_url
    assert "S256" in document["code_challenge_methods_supported"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    ready = http.get(f"{keycloak.management_url}/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "UP"


def test_jwks_publishes_an_rs256_signing_key(keycloak: LocalKeycloak, http: httpx.Client) -> None:
    keys = http.get(keycloak.jwks_url).json()["keys"]
    signing = [k for k in keys if k.get("use") == "sig" and k.get("alg") == "RS256"]
    assert signing, keys
    assert all(k["kty"] == "RSA" and k["kid"] for k in signing)


def test_integrator_client_credentials_token(
    keycloak: LocalKeycloak, http: httpx.Client, secrets_by_client: dict[str, str]
) -> None:
    token = integrator_token(keycloak, http, secrets_by_client["franoi-integrator"])
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = verified(keycloak, token)
    assert "integrator" in claims["roles"]
    assert claims["partner"] == "consortium"
    assert claims["aud"] == AUDIENCE or AUDIENCE in claims["aud"]
    assert claims["azp"] == "franoi-integrator"
    assert claims["exp"] > time.time()


def test_integrator_with_a_wrong_secret_gets_no_token(
    keycloak: LocalKeycloak, http: httpx.Client
) -> None:
    response = http.post(
        keycloak.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "franoi-integrator",
            "client_secret": "not-the-secret",
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized_client"


def test_development_users_exist_with_partner_and_role(keycloak: LocalKeycloak) -> None:
    for username, (_client, partner, role) in USERS.items():
        found = keycloak.admin("GET", f"/users?username={username}&exact=true").json()
        assert len(found) == 1, (username, found)
        user = found[0]
        assert user["enabled"]
        assert user["attributes"]["partner"] == [partner]
        mapped = keycloak.admin("GET", f"/users/{user['id']}/role-mappings/realm").json()
        assert role in {r["name"] for r in mapped}, (username, mapped)


@pytest.mark.parametrize("username", sorted(USERS))
def test_sign_in_with_pkce_carries_partner_roles_and_audience(
    keycloak: LocalKeycloak,
    http: httpx.Client,
    secrets_by_client: dict[str, str],
    username: str,
) -> None:
    client_id, partner, role = USERS[username]
    tokens = sign_in(keycloak, http, client_id, secrets_by_client[client_id], username)
    access = verified(keycloak, tokens["access_token"])
    assert access["partner"] == partner
    assert role in access["roles"]
    assert not {"social_worker", "partner_admin", "consortium_analyst", "integrator"} - {
        role
    } & set(access["roles"])
    assert access["azp"] == client_id
    assert access["preferred_username"] == username
    identity = verified(keycloak, tokens["id_token"], audience=client_id)
    assert identity["partner"] == partner
    assert role in identity["roles"]


def test_sign_out_returns_to_the_workstation_only(
    keycloak: LocalKeycloak, http: httpx.Client, secrets_by_client: dict[str, str]
) -> None:
    secret = secrets_by_client["franoi-desk"]
    tokens = sign_in(keycloak, http, "franoi-desk", secret, "p01-worker")
    logout = f"{keycloak.issuer}/protocol/openid-connect/logout"
    foreign = http.get(
        logout,
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://desk.example.org/signed-out",
        },
    )
    assert foreign.status_code == 400
    back = "http://127.0.0.1:8123/signed-out"
    answer = http.get(
        logout, params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": back}
    )
    assert answer.status_code == 302
    assert answer.headers["location"] == back
    introspected = http.post(
        f"{keycloak.issuer}/protocol/openid-connect/token/introspect",
        data={"token": tokens["access_token"], "client_id": "franoi-desk", "client_secret": secret},
    )
    assert introspected.json()["active"] is False


def test_desk_requires_pkce(keycloak: LocalKeycloak, http: httpx.Client) -> None:
    answer = authorize(keycloak, http, "franoi-desk")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["invalid_request"]
    assert "code_challenge" in query["error_description"][0]


def test_desk_redirects_only_to_the_workstation(
    keycloak: LocalKeycloak, http: httpx.Client
) -> None:
    _verifier, challenge = pkce_pair()
    for allowed in ("http://127.0.0.1:8123/auth/callback", "http://localhost:9000/x"):
        page = authorize(
            keycloak,
            http,
            "franoi-desk",
            redirect_uri=allowed,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        assert page.status_code == 200, (allowed, page.text[:300])
    for refused in ("http://desk.example.org/auth/callback", "http://127.0.0.1.example.org/x"):
        page = authorize(
            keycloak,
            http,
            "franoi-desk",
            redirect_uri=refused,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        assert page.status_code == 400, (refused, page.status_code)


def test_desk_has_no_password_grant(
    keycloak: LocalKeycloak, http: httpx.Client, secrets_by_client: dict[str, str]
) -> None:
    response = http.post(
        keycloak.token_url,
        data={
            "grant_type": "password",
            "client_id": "franoi-desk",
            "client_secret": secrets_by_client["franoi-desk"],
            "username": "p01-worker",
            "password": DEV_PASSWORD,
        },
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "unauthorized_client"


def test_signing_key_rotation(
    keycloak: LocalKeycloak, http: httpx.Client, secrets_by_client: dict[str, str]
) -> None:
    secret = secrets_by_client["franoi-integrator"]
    before = integrator_token(keycloak, http, secret)
    old_kid = jwt.get_unverified_header(before)["kid"]

    new_kid = keycloak.rotate_signing_key()
    assert new_kid != old_kid

    after = integrator_token(keycloak, http, secret)
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    published = {k["kid"] for k in http.get(keycloak.jwks_url).json()["keys"]}
    assert {old_kid, new_kid} <= published
    assert "integrator" in verified(keycloak, after)["roles"]
    # A token signed before the rotation still verifies: the old key stays published.
    assert "integrator" in verified(keycloak, before)["roles"]
