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
import datetime as dt
import sys
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from franoi_common.settings import PARTNER_ID_PATTERN, AuthSettings

CONSORTIUM = "consortium"


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


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings

    def verify(self, token: str) -> Principal:
        """The caller's identity; raises HTTP 401 with the reason if the token is not valid."""
        try:
            claims = jwt.decode(
                token,
                self._settings.key.get_secret_value(),
                algorithms=[self._settings.algorithm],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid token: {exc}") from exc
        partner_id = claims.get("partner_id")
        roles = claims.get("roles")
        if not isinstance(partner_id, str) or not (
            partner_id == CONSORTIUM or _is_partner_id(partner_id)
        ):
            raise _unauthorized("invalid token: partner_id claim missing or malformed")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _unauthorized("invalid token: roles claim must be a list of strings")
        known = {r for r in roles if r in Role.__members__.values()}
        return Principal(str(claims["sub"]), partner_id, frozenset(Role(r) for r in known))


def _is_partner_id(value: str) -> bool:
    import re

    return re.match(PARTNER_ID_PATTERN, value) is not None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


_bearer = HTTPBearer(auto_error=False, description="JWT issued by the network's identity provider")


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("missing bearer token")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits a caller holding any of ``roles``."""

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.roles.intersection(roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"requires one of the roles: {', '.join(sorted(roles))}",
            )
        return principal

    return dependency


def require_partner_member(
    partner_ids: Collection[str], *roles: Role
) -> Callable[[Principal], Principal]:
    """A partner service admits only the staff of the partners it serves (403 for anyone else).

    Handlers then scope every query by ``principal.partner_id``.
    """
    wanted = roles or (Role.SOCIAL_WORKER, Role.PARTNER_ADMIN)
    by_role = require_roles(*wanted)

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        by_role(principal)
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
