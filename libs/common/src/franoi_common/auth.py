"""Bearer JWT authentication: who is calling, for which partner, with which roles.

Tokens carry ``sub``, ``partner_id`` (a partner's id, or ``consortium``) and
``roles``. The algorithm is pinned by configuration (a token's own ``alg``
header is never trusted), and issuer, audience and expiry are checked.

Roles:
- ``social_worker``: records and reads the partner's own cases.
- ``partner_admin``: as social_worker, plus the partner's configuration.
- ``consortium_analyst``: reads the network views (projection).
- ``integrator``: reads the published contract (no personal data anywhere).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hmac
import logging
import math
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from franoi_common.settings import PARTNER_ID_PATTERN, AuthSettings

SESSION_KEY = "signin"
"""Where a web app's session cookie keeps the key to the provider's tokens."""
SESSION_CSRF = "csrf_header"
"""Where a web app's session keeps the token its pages send back in :data:`CSRF_HEADER`."""
CSRF_HEADER = "X-CSRF-Token"
"""A page's request that changes something through the session carries the session's
token in this header: another site can neither read the token nor set the header."""

CONSORTIUM = "consortium"
log = logging.getLogger(__name__)


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    PARTNER_ADMIN = "partner_admin"
    CONSORTIUM_ANALYST = "consortium_analyst"
    INTEGRATOR = "integrator"


@dataclass(frozen=True)
class Principal:
    subject: str
    partner_id: str
    roles: frozenset[Role]


class SigningKeys:
    """The identity provider's published signing keys: read through OpenID Connect discovery
    from its JWKS, kept, and fetched again when they grow old or when a token names a key not
    seen yet (a rotation) — at most once per ``jwks_min_refresh_s``, so that tokens with made-up
    key ids cost nothing to the provider."""

    def __init__(self, settings: AuthSettings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._client = client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf
        self._tried_at = -math.inf
        self._jwks_uri: str | None = None
        self._lock = asyncio.Lock()

    def cached(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)

    async def key(self, kid: str) -> jwt.PyJWK:
        """The key ``kid``; raises 401 if the provider does not publish it, 503 if the
        provider cannot be reached and the key is not known yet."""
        known = self._keys.get(kid)
        if known is not None and not self._old():
            return known
        async with self._lock:
            known = self._keys.get(kid)
            if known is not None and not self._old():
                return known  # fetched meanwhile
            if time.monotonic() - self._tried_at >= self._settings.jwks_min_refresh_s:
                self._tried_at = time.monotonic()
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError) as exc:
                    log.warning("signing keys unavailable", extra={"error": type(exc).__name__})
                    if known is None:
                        raise HTTPException(
                            status.HTTP_503_SERVICE_UNAVAILABLE,
                            detail="the identity provider's signing keys cannot be read now",
                            headers={"Retry-After": "5"},
                        ) from exc
                    return known
                known = self._keys.get(kid)
        if known is None:
            raise _unauthorized("invalid token: signed with a key the issuer does not publish")
        return known

    def _old(self) -> bool:
        return time.monotonic() - self._fetched_at >= self._settings.jwks_max_age_s

    async def _fetch(self) -> None:
        client = self._client or httpx.AsyncClient(timeout=5.0)
        try:
            if self._jwks_uri is None:
                url = self._settings.discovery_url or (
                    self._settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
                )
                answer = await client.get(url)
                answer.raise_for_status()
                document = answer.json()
                if document.get("issuer") != self._settings.issuer:
                    raise ValueError("the discovery document names another issuer")
                self._jwks_uri = self._settings.jwks_url or str(document["jwks_uri"])
            answer = await client.get(self._jwks_uri)
            answer.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(answer.json())
        finally:
            if self._client is None:
                await client.aclose()
        allowed = set(self._settings.oidc_algorithms)
        self._keys = {
            str(k.key_id): k
            for k in keys.keys
            if k.key_id and k.public_key_use in (None, "sig") and k.algorithm_name in allowed
        }
        self._fetched_at = time.monotonic()


class TokenVerifier:
    """Checks bearer tokens. A token found valid is remembered (at most ``cache_size``,
    least recently used dropped) until its expiry, so a client sending the same token with
    every request pays the signature check once; expiry is still checked on every use."""

    def __init__(
        self,
        settings: AuthSettings,
        cache_size: int = 1024,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._settings = settings
        self._cache_size = cache_size
        self._valid: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._keys = SigningKeys(settings, http_client) if settings.oidc else None

    async def averify(self, token: str) -> Principal:
        """The caller's identity, reading the provider's keys when needed (see :meth:`verify`)."""
        if self._keys is not None and self._remembered(token) is None:
            await self._keys.key(_key_id(token))
        return self.verify(token)

    def verify(self, token: str) -> Principal:
        """The caller's identity; raises HTTP 401 with the reason if the token is not valid,
        403 if it is valid but names no partner or roles."""
        known = self._remembered(token)
        if known is not None:
            return known
        principal, expires = self._check(token)
        self._valid[token] = (principal, expires)
        if len(self._valid) > self._cache_size:
            self._valid.popitem(last=False)
        return principal

    def _remembered(self, token: str) -> Principal | None:
        known = self._valid.get(token)
        if known is None:
            return None
        principal, expires = known
        if time.time() <= expires + self._settings.leeway_seconds:
            self._valid.move_to_end(token)
            return principal
        del self._valid[token]
        return None

    def _signing_key(self, token: str) -> tuple[Any, list[str]]:
        if self._keys is None:
            return self._settings.key.get_secret_value(), [self._settings.algorithm]
        key = self._keys.cached(_key_id(token))
        if key is None:
            raise _unauthorized("invalid token: signed with a key the issuer does not publish")
        return key, [str(key.algorithm_name)]

    def _check(self, token: str) -> tuple[Principal, float]:
        settings = self._settings
        try:
            key, algorithms = self._signing_key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid token: {exc}") from exc
        partner_id = _partner_of(_claim(claims, settings.partner_claim), settings.partner_prefix)
        if partner_id is None:
            raise _forbidden(
                f"the token names no partner: its {settings.partner_claim} claim is missing"
                " or not one partner id (p07) or 'consortium'"
            )
        roles = _claim(claims, settings.roles_claim)
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _forbidden(
                f"the token names no roles: its {settings.roles_claim} claim must be a list"
                " of strings"
            )
        prefix = settings.role_prefix
        names = {r.removeprefix(prefix) for r in roles if r.startswith(prefix)}
        known = {r for r in names if r in Role.__members__.values()}
        principal = Principal(str(claims["sub"]), partner_id, frozenset(Role(r) for r in known))
        return principal, float(claims["exp"])


def _key_id(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 256:
        raise _unauthorized("invalid token: no key id (kid) in its header")
    return kid


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _partner_of(value: Any, prefix: str) -> str | None:
    """One partner id (or ``consortium``) out of a claim: a string, or a list holding exactly
    one once ``prefix`` is taken off (a group claim)."""
    candidates = value if isinstance(value, list) else [value]
    found = {
        v.removeprefix(prefix) for v in candidates if isinstance(v, str) and v.startswith(prefix)
    }
    found = {v for v in found if v == CONSORTIUM or _is_partner_id(v)}
    return found.pop() if len(found) == 1 else None


def _is_partner_id(value: str) -> bool:
    import re

    return re.match(PARTNER_ID_PATTERN, value) is not None


def _forbidden(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=detail)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


_bearer = HTTPBearer(auto_error=False, description="JWT issued by the network's identity provider")


# The dependencies are coroutines: FastAPI runs a plain ``def`` dependency in a worker thread,
# a hand-off that costs more than the check itself.


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    if credentials is None or credentials.scheme.lower() != "bearer":
        token = await session_token(request)
        if token is None:
            raise _unauthorized("missing bearer token")
        return await verifier.averify(token)
    return await verifier.averify(credentials.credentials)


async def session_token(request: Request) -> str | None:
    """The access token of a person signed in to this app's pages with the identity provider
    (the dashboard): for a request that changes something, only with the session's token in
    :data:`CSRF_HEADER`, so that a page of another site cannot act through the cookie."""
    if "session" not in request.scope:
        return None
    if request.method not in ("GET", "HEAD"):
        expected = request.session.get(SESSION_CSRF)
        sent = request.headers.get(CSRF_HEADER, "")
        if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
            return None
    web_signin = getattr(request.app.state, "web_signin", None)
    key = request.session.get(SESSION_KEY)
    if web_signin is None or not isinstance(key, str):
        return None
    token: str | None = await web_signin.access_token(key)
    return token


def _check_roles(principal: Principal, roles: Collection[Role]) -> Principal:
    if not principal.roles.intersection(roles):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"requires one of the roles: {', '.join(sorted(roles))}",
        )
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits a caller holding any of ``roles``."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        return _check_roles(principal, roles)

    return dependency


def require_partner_member(
    partner_ids: Collection[str], *roles: Role
) -> Callable[[Principal], Awaitable[Principal]]:
    """A partner service admits only the staff of the partners it serves (403 for anyone else).

    Handlers then scope every query by ``principal.partner_id``.
    """
    wanted = roles or (Role.SOCIAL_WORKER, Role.PARTNER_ADMIN)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        _check_roles(principal, wanted)
        if principal.partner_id not in partner_ids:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail="this service belongs to another partner"
            )
        return principal

    return dependency


def mint_token(
    settings: AuthSettings,
    *,
    subject: str,
    partner_id: str,
    roles: Sequence[str],
    ttl: dt.timedelta = dt.timedelta(hours=8),
) -> str:
    """A signed token (development and tests; production tokens come from the identity provider)."""
    if ttl <= dt.timedelta(0):
        raise ValueError("a token needs a positive lifetime")
    if settings.algorithm != "HS256":
        raise ValueError("minting needs the HS256 shared secret; asymmetric keys sign elsewhere")
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject,
        "partner_id": partner_id,
        "roles": list(roles),
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, settings.key.get_secret_value(), algorithm="HS256")


def token_cli(argv: Sequence[str] | None = None) -> None:
    """``franoi-token --partner p07 --role social_worker``: print a development token."""
    parser = argparse.ArgumentParser(description="Mint a development JWT for the Fra Noi services")
    parser.add_argument("--partner", required=True, help="partner id (p01...) or 'consortium'")
    parser.add_argument(
        "--role", action="append", required=True, choices=[r.value for r in Role], dest="roles"
    )
    parser.add_argument("--subject", default="dev-user")
    parser.add_argument("--hours", type=float, default=8.0, help="lifetime (more than 0)")
    args = parser.parse_args(argv)
    if not 0 < args.hours <= 24 * 30:
        parser.error("--hours must be more than 0 (and at most 720)")
    if args.partner != CONSORTIUM and not _is_partner_id(args.partner):
        parser.error("--partner must look like p07, or be 'consortium'")
    settings = AuthSettings()
    token = mint_token(
        settings,
        subject=args.subject,
        partner_id=args.partner,
        roles=args.roles,
        ttl=dt.timedelta(hours=args.hours),
    )
    sys.stdout.write(token + "\n")
