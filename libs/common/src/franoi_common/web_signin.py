"""Signing people in to a web app (the desk, the dashboard) with the organisation's identity
provider: OpenID Connect's authorization-code flow with PKCE, the app being a confidential
client on the server side.

The browser never holds a token: the provider's tokens stay in the server's memory
(:class:`TokenStore`), the signed session cookie carries only a random key to them. The
access token is refreshed shortly before it expires; signing out forgets the tokens and ends
the session at the provider too. The flow itself is Authlib's."""

from __future__ import annotations

import asyncio
import secrets
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from fastapi import HTTPException
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from franoi_common.auth import SESSION_KEY, Principal, TokenVerifier
from franoi_common.settings import Environment, SignInSettings

with warnings.catch_warnings():  # Authlib's notice that it prefers another HTTP client
    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import (  # type: ignore[import-untyped]
        OAuth,
        OAuthError,
    )

__all__ = [
    "SESSION_KEY",
    "NotAdmitted",
    "SignInFailed",
    "SignedIn",
    "TokenStore",
    "Tokens",
    "WebSignIn",
    "install_web_signin",
]

REFRESH_BEFORE_S = 30.0


class SignInFailed(Exception):
    """The provider's answer could not be used (a refused login, a replayed or stale callback):
    the person starts again."""


class NotAdmitted(Exception):
    """A person the provider signed in whom this app does not admit (another organisation,
    no role for it): their tokens are not kept."""


@dataclass(frozen=True)
class SignedIn:
    key: str
    """The key to the person's tokens kept here (what the session cookie carries)."""
    principal: Principal
    name: str
    """How the app greets them (the provider's name for them)."""


@dataclass
class Tokens:
    access_token: str
    expires_at: float
    refresh_token: str | None
    id_token: str | None


class TokenStore:
    """The signed-in sessions' tokens, in memory, bounded (least recently used dropped)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._tokens: OrderedDict[str, Tokens] = OrderedDict()

    def put(self, tokens: Tokens) -> str:
        key = secrets.token_urlsafe(32)
        self._tokens[key] = tokens
        if len(self._tokens) > self._capacity:
            self._tokens.popitem(last=False)
        return key

    def get(self, key: str) -> Tokens | None:
        tokens = self._tokens.get(key)
        if tokens is not None:
            self._tokens.move_to_end(key)
        return tokens

    def replace(self, key: str, tokens: Tokens) -> None:
        if key in self._tokens:
            self._tokens[key] = tokens

    def keys(self) -> list[str]:
        return list(self._tokens)

    def drop(self, key: str) -> Tokens | None:
        return self._tokens.pop(key, None)

    def __len__(self) -> int:
        return len(self._tokens)


class WebSignIn:
    """One web app's sign-in with the provider."""

    def __init__(self, settings: SignInSettings, name: str) -> None:
        if not settings.enabled:
            raise ValueError("signing in with a provider needs FRANOI_OIDC_ISSUER and _CLIENT_ID")
        self.settings = settings
        self.store = TokenStore(settings.sessions_max)
        self._oauth = OAuth()
        self._client: Any = self._oauth.register(
            name=name,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            server_metadata_url=settings.metadata_url(),
            client_kwargs={"scope": settings.scope, "code_challenge_method": "S256"},
        )
        self._refreshing: dict[str, asyncio.Lock] = {}

    def address(self, request: Request, path: str) -> str:
        base = self.settings.public_url or str(request.base_url)
        return base.rstrip("/") + path

    async def begin(self, request: Request, callback_path: str) -> Any:
        """The redirect to the provider's login page (state, nonce and PKCE verifier kept in
        the session until the callback)."""
        return await self._client.authorize_redirect(request, self.address(request, callback_path))

    async def finish(
        self, request: Request, verifier: TokenVerifier, admits: Callable[[Principal], bool]
    ) -> SignedIn:
        """The provider's callback: the code exchanged for tokens, the ID token checked
        (signature, issuer, audience, nonce), the access token verified as the services
        verify it, and the person admitted by this app's rule. Raises :class:`SignInFailed`
        when the provider's answer cannot be used, :class:`NotAdmitted` (the tokens already
        forgotten) when the person is genuine but not for this app."""
        try:
            answer = await self._client.authorize_access_token(request)
        except (OAuthError, KeyError, ValueError) as exc:
            raise SignInFailed(str(exc)) from exc
        tokens = _tokens_of(answer)
        try:
            principal = await verifier.averify(tokens.access_token)
        except HTTPException as exc:
            raise NotAdmitted(str(exc.detail)) from exc
        if not admits(principal):
            raise NotAdmitted("not for this app")
        identity = dict(answer.get("userinfo") or {})
        name = identity.get("name") or identity.get("preferred_username") or principal.subject
        return SignedIn(self.store.put(tokens), principal, str(name)[:80])

    async def access_token(self, key: str) -> str | None:
        """A valid access token for the session, refreshed when it is about to expire; None
        when the session is gone or cannot be refreshed (the person signs in again)."""
        tokens = self.store.get(key)
        if tokens is None:
            return None
        if tokens.expires_at - REFRESH_BEFORE_S > time.time():
            return tokens.access_token
        lock = self._refreshing.setdefault(key, asyncio.Lock())
        async with lock:
            tokens = self.store.get(key)
            if tokens is None:
                return None
            if tokens.expires_at - REFRESH_BEFORE_S > time.time():
                return tokens.access_token  # refreshed meanwhile
            if tokens.refresh_token is None:
                self.store.drop(key)
                return None
            try:
                answer = await self._client.fetch_access_token(
                    grant_type="refresh_token", refresh_token=tokens.refresh_token
                )
            except (OAuthError, KeyError, ValueError, OSError) as exc:
                del exc  # the refresh token expired or was revoked: sign in again
                self.store.drop(key)
                return None
            finally:
                self._refreshing.pop(key, None)
            fresh = _tokens_of(answer, previous=tokens)
            self.store.replace(key, fresh)
            return fresh.access_token

    async def sign_out(self, request: Request, key: str | None, then_path: str) -> str:
        """Forget the session's tokens; the address that ends the session at the provider
        too and comes back to ``then_path``."""
        tokens = self.store.drop(key) if key else None
        back = self.address(request, then_path)
        try:
            metadata = await self._client.load_server_metadata()
        except Exception:  # the provider away: the app's own session is ended anyway
            return back
        end = metadata.get("end_session_endpoint")
        if not end:
            return back
        query = {"client_id": self.settings.client_id, "post_logout_redirect_uri": back}
        if tokens is not None and tokens.id_token:
            query["id_token_hint"] = tokens.id_token
        return f"{end}?{urlencode(query)}"


class WebAppSettings(Protocol):
    """What a web app's settings say of its sessions and its sign-in."""

    env: Environment
    oidc: SignInSettings
    session_key: SecretStr
    session_hours: int


def install_web_signin(app: Starlette, settings: WebAppSettings, *, name: str) -> WebSignIn | None:
    """The signed session cookie of a web app (HttpOnly, SameSite=lax: the provider's
    redirect back must carry the sign-in's state; every form of the app carries a CSRF token;
    Secure in production; a working day long at most), and its sign-in with the provider when
    one is configured (``app.state.web_signin``)."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_key.get_secret_value(),
        session_cookie=f"franoi_{name}",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.env is Environment.PRODUCTION,
    )
    web_signin = WebSignIn(settings.oidc, name) if settings.oidc.enabled else None
    app.state.web_signin = web_signin
    return web_signin


def _tokens_of(answer: dict[str, Any], previous: Tokens | None = None) -> Tokens:
    access = answer["access_token"]
    expires_at = answer.get("expires_at")
    if expires_at is None:
        expires_at = time.time() + float(answer.get("expires_in", 300))
    return Tokens(
        access_token=str(access),
        expires_at=float(expires_at),
        refresh_token=answer.get("refresh_token") or (previous.refresh_token if previous else None),
        id_token=answer.get("id_token") or (previous.id_token if previous else None),
    )
