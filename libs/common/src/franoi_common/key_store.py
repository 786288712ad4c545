"""The partner's key store over HTTP: its API (served by the cases service) and its
clients (the partner's other services seal through it, the consortium's projection opens
through it).

``POST /v1/person-keys/seal`` draws or finds the tokens of references (and names those the
partner erased); ``POST /v1/person-keys/open`` gives the references of tokens whose key is
still held. Both admit only the bearer of the store's secret (``FRANOI_KEY_STORE_SECRET``):
the partner's services and the consortium's projection, never a person's token, and only
for the partners the instance serves (another partner: 404). See
:mod:`franoi_common.shredding`.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from franoi_contracts.base import PersonRef
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from franoi_common.consumer import DatabaseUnavailable
from franoi_common.envelope import Envelope
from franoi_common.settings import PARTNER_ID_PATTERN, KeyStoreAccess
from franoi_common.shredding import KEPT_AS_IS, KeyStore, Sealing, refs_in, replace_refs

STORE = KeyStore()
REFS_PER_CALL = 5000
"""At most this many references or tokens per call (a relay's batch holds at most 10,000
events, most of them about a few persons)."""
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HeldKeys:
    """What the cases service wires when it holds its partners' key store."""

    pool: asyncpg.Pool
    secret: SecretStr


class SealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: str = Field(pattern=PARTNER_ID_PATTERN)
    refs: list[PersonRef] = Field(max_length=REFS_PER_CALL)


class SealOut(BaseModel):
    tokens: dict[str, str] = Field(description="person_ref → token, for every living person")
    erased: list[str] = Field(description="references the partner erased: no token, ever")


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: str = Field(pattern=PARTNER_ID_PATTERN)
    tokens: list[PersonRef] = Field(max_length=REFS_PER_CALL)


class OpenOut(BaseModel):
    refs: dict[str, str] = Field(
        description="token → person_ref, for the tokens whose key is held (an erased"
        " person's token is left out: nobody can open it any more)"
    )


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="KeyStoreSecret",
    description="The key store's secret (FRANOI_KEY_STORE_SECRET), not a person's token",
)


async def _held(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> HeldKeys:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the key store's secret is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    held = getattr(request.app.state, "key_store", None)
    if not isinstance(held, HeldKeys):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this service holds no key store")
    given = credentials.credentials.encode()
    if not hmac.compare_digest(given, held.secret.get_secret_value().encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not the key store's secret",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return held


def _served(request: Request, partner_id: str) -> None:
    if partner_id not in request.app.state.partner_ids:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"partner {partner_id} not served here")


router = APIRouter(prefix="/v1/person-keys", tags=["key store"])


@router.post("/seal", response_model=SealOut)
async def seal(body: SealIn, request: Request, held: Annotated[HeldKeys, Depends(_held)]) -> Any:
    """The tokens of the partner's references (drawn at their first sealing); erased
    references get none."""
    _served(request, body.partner_id)
    async with held.pool.acquire() as conn, conn.transaction():
        sealing = await STORE.seal(conn, body.partner_id, body.refs)
    return SealOut(tokens=sealing.tokens, erased=sorted(sealing.erased))


@router.post("/open", response_model=OpenOut)
async def open_tokens(
    body: OpenIn, request: Request, held: Annotated[HeldKeys, Depends(_held)]
) -> Any:
    """The references of the partner's tokens whose key is still held."""
    _served(request, body.partner_id)
    async with held.pool.acquire() as conn:
        refs = await STORE.open(conn, body.partner_id, body.tokens)
    return OpenOut(refs=refs)


class KeyStoreUnavailable(DatabaseUnavailable):
    """The partner's key store did not answer (or refused the secret): a consumer waits and
    retries the batch, never dead-letters it; a relay retries its batch (the events wait
    in the outbox)."""


class RemoteKeyStore:
    """A partner's key store reached over HTTP: a domain service's sealer (it keeps a copy of
    the tokens it learns, for its erasure worker) and the projection's opener."""

    def __init__(self, access: KeyStoreAccess, client: httpx.AsyncClient | None = None) -> None:
        self._base = str(access.url).rstrip("/")
        self._headers = {"Authorization": f"Bearer {access.secret.get_secret_value()}"}
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT_S)

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(
                f"{self._base}{path}", json=body, headers=self._headers
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise KeyStoreUnavailable(f"{path}: {type(exc).__name__}") from exc
        answer: dict[str, Any] = response.json()
        return answer

    async def seal(
        self, conn: asyncpg.Connection, partner_id: str, refs: Collection[str]
    ) -> Sealing:
        tokens: dict[str, str] = {}
        erased: set[str] = set()
        for part in _parts(refs):
            body = {"partner_id": partner_id, "refs": part}
            sealed = SealOut.model_validate(await self._post("/v1/person-keys/seal", body))
            tokens.update(sealed.tokens)
            erased.update(sealed.erased)
        await STORE.remember(conn, partner_id, tokens)
        return Sealing(tokens, frozenset(erased))

    async def open(self, partner_id: str, tokens: Collection[str]) -> dict[str, str]:
        refs: dict[str, str] = {}
        for part in _parts(tokens):
            body = {"partner_id": partner_id, "tokens": part}
            refs.update(OpenOut.model_validate(await self._post("/v1/person-keys/open", body)).refs)
        return refs


def _parts(values: Collection[str]) -> list[list[str]]:
    """Distinct values in calls of at most :data:`REFS_PER_CALL`."""
    asked = sorted(set(values))
    return [asked[i : i + REFS_PER_CALL] for i in range(0, len(asked), REFS_PER_CALL)]


class _KeyStores:
    """Each partner's key store, reached over HTTP."""

    def __init__(self, key_stores: Mapping[str, KeyStoreAccess]) -> None:
        self._stores = {partner: RemoteKeyStore(access) for partner, access in key_stores.items()}

    async def close(self) -> None:
        for store in self._stores.values():
            await store.close()


class RemoteSealer(_KeyStores):
    """A domain service's sealer: each partner's references sealed at that partner's key
    store (an instance shared by several partners reaches several)."""

    async def seal(
        self, conn: asyncpg.Connection, partner_id: str, refs: Collection[str]
    ) -> Sealing:
        return await self._stores[partner_id].seal(conn, partner_id, refs)


class TokenOpener(_KeyStores):
    """A consumer's reading of shredded events (the projection's, an integrator's): each
    partner's tokens opened at the partner's key store, the pairs kept in the consumer's
    ``person_keys`` (its erasure finds the reference an erasure's token stands for there,
    and deletes it). A token the store cannot open (an erased person's) stays as it is: a
    stable pseudonym of nobody. A partner without a key store publishes its references as
    they are."""

    async def __call__(
        self, conn: asyncpg.Connection, envelopes: Sequence[Envelope]
    ) -> list[Envelope]:
        wanted: dict[str, set[str]] = {}
        for envelope in envelopes:
            if envelope.partnerid in self._stores and envelope.type not in KEPT_AS_IS:
                wanted.setdefault(envelope.partnerid, set()).update(refs_in(envelope.data))
        opened: dict[str, dict[str, str]] = {}
        for partner, tokens in sorted(wanted.items()):
            opened[partner] = await self._stores[partner].open(partner, tokens)
            await STORE.remember(conn, partner, {ref: t for t, ref in opened[partner].items()})
        return [
            dataclasses.replace(e, data=replace_refs(e.data, _opening(opened[e.partnerid])))
            if e.partnerid in opened and e.type not in KEPT_AS_IS
            else e
            for e in envelopes
        ]


def _opening(refs: Mapping[str, str]) -> Callable[[str], str]:
    def open_one(value: str) -> str:
        return refs.get(value, value)

    return open_one
