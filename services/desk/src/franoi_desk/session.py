"""Who is at the desk: the signed session cookie (HttpOnly, SameSite=lax, Secure in
production, signed with the desk's key), its CSRF token, and the one place that turns a
session into the bearer token the partner's services verify (:func:`bearer_token`).

Locally a development sign-in mints the token and the cookie carries it; with the
organisation's identity provider the tokens stay in the desk's memory
(:class:`~franoi_common.web_signin.WebSignIn`) and the cookie carries only a key to them."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from franoi_common.web_signin import SESSION_KEY, WebSignIn

SESSION_USER = "user"
SESSION_TOKEN = "token"  # noqa: S105 - the key under which the session keeps it
SESSION_CSRF = "csrf"
SESSION_LANG = "lang"
LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class Worker:
    """The person signed in at the desk (a social worker or the partner's coordinator)."""

    subject: str
    name: str
    partner_id: str
    roles: tuple[str, ...]

    @property
    def coordinator(self) -> bool:
        return "partner_admin" in self.roles

    def as_session(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "name": self.name,
            "partner_id": self.partner_id,
            "roles": list(self.roles),
        }


class NotSignedIn(Exception):
    """The request needs a signed-in person: the pages answer with the sign-in page."""


def sign_in(
    request: Request, worker: Worker, *, token: str | None = None, key: str | None = None
) -> None:
    """The session of ``worker``: with a development ``token``, or the ``key`` to the tokens
    the provider issued."""
    lang = request.session.get(SESSION_LANG)
    request.session.clear()
    if lang:
        request.session[SESSION_LANG] = lang
    request.session[SESSION_USER] = worker.as_session()
    if token is not None:
        request.session[SESSION_TOKEN] = token
    if key is not None:
        request.session[SESSION_KEY] = key
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> str | None:
    """Ends the session; returns the key to the provider's tokens, if any, to forget them."""
    lang = request.session.get(SESSION_LANG)
    key = request.session.get(SESSION_KEY)
    request.session.clear()
    if lang:
        request.session[SESSION_LANG] = lang
    return key if isinstance(key, str) else None


def signed_in(request: Request) -> Worker | None:
    user = request.session.get(SESSION_USER)
    if not isinstance(user, dict) or not (
        SESSION_TOKEN in request.session or SESSION_KEY in request.session
    ):
        return None
    return Worker(user["subject"], user["name"], user["partner_id"], tuple(user["roles"]))


def current_worker(request: Request) -> Worker:
    worker = signed_in(request)
    if worker is None:
        raise NotSignedIn()
    return worker


async def bearer_token(request: Request) -> str:
    """The token the partner's services verify, for this session (the provider's access
    token refreshed when it is about to expire)."""
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        return token
    key = request.session.get(SESSION_KEY)
    web_signin: WebSignIn | None = getattr(request.app.state, "web_signin", None)
    if isinstance(key, str) and web_signin is not None:
        token = await web_signin.access_token(key)
        if token is not None:
            return token
    sign_out(request)
    raise NotSignedIn()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (one is made for a visitor not signed in yet)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: object) -> None:
    """Every form carries the session's token; a request without it is refused (403)."""
    expected = request.session.get(SESSION_CSRF)
    if not (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected, submitted)
    ):
        raise HTTPException(403, detail="the form expired or came from elsewhere; try again")


def language(request: Request) -> str:
    lang = request.session.get(SESSION_LANG)
    return lang if lang in LANGUAGES else LANGUAGES[0]
