"""The partner's own services, over HTTP, with the signed-in person's token: the desk keeps
nothing and decides nothing, so partner isolation, roles, validation and the access log stay
in the services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class ServiceProblem(Exception):
    """A service's RFC 9457 answer to a request (or the desk's own when it got none)."""

    status: int
    detail: str
    code: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Each invalid input: ``loc`` (e.g. ``["body", "born_on"]``) and ``msg``."""

    def field_errors(self, translate: Callable[[str], str] | None = None) -> dict[str, str]:
        """The message for each body field a 422 names (the first one per field): the
        catalogue's ``input.<type>`` in the page's language where it has one, else the
        service's own."""
        found: dict[str, str] = {}
        for error in self.errors:
            loc = [str(part) for part in error.get("loc", [])]
            if len(loc) >= 2 and loc[0] == "body":
                message = str(error.get("msg", ""))
                key = f"input.{error.get('type')}"
                if translate is not None and translate(key) != key:
                    message = translate(key)
                found.setdefault(loc[1], message)
        return found


class PartnerApi:
    """One HTTP client per partner service (connections are kept between requests)."""

    def __init__(self, urls: Mapping[str, str], timeout_s: float = 15.0) -> None:
        self._clients = {
            domain: httpx.AsyncClient(base_url=url, timeout=timeout_s)
            for domain, url in urls.items()
        }

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def get(
        self, domain: str, path: str, token: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        return await self._call(domain, "GET", path, token, params=params)

    async def post(self, domain: str, path: str, token: str, body: Mapping[str, Any]) -> Any:
        return await self.send(domain, "POST", path, token, body)

    async def send(
        self,
        domain: str,
        method: str,
        path: str,
        token: str,
        body: Mapping[str, Any] | None,
        if_match: str | None = None,
    ) -> Any:
        """Any write: ``method`` on ``path`` with the JSON ``body`` (None: no body); with
        ``if_match``, only on that version of the record (else a 412 problem)."""
        headers = {"If-Match": if_match} if if_match else {}
        if body is None:
            return await self._call(domain, method, path, token, headers)
        return await self._call(domain, method, path, token, headers, json=body)

    async def versioned(self, domain: str, path: str, token: str) -> tuple[Any, str | None]:
        """One record and its version (the service's ``ETag``), to change it on that version."""
        answer = await self._request(domain, "GET", path, token, {})
        return (answer.json() if answer.content else None), answer.headers.get("etag")

    async def download(
        self, domain: str, path: str, token: str, params: Mapping[str, Any]
    ) -> httpx.Response:
        """A file the service gives (its bytes and headers as they are)."""
        return await self._request(domain, "GET", path, token, {}, params=params)

    async def upload(
        self,
        domain: str,
        path: str,
        token: str,
        content: bytes,
        content_type: str,
        params: Mapping[str, Any],
    ) -> Any:
        """A file posted as the request's body (not a form): the service's JSON answer."""
        headers = {"Content-Type": content_type}
        return await self._call(
            domain, "POST", path, token, headers, content=content, params=params
        )

    async def document(self, domain: str) -> Any:
        """The service's OpenAPI document (public: it describes, it holds no data)."""
        answer = await self._clients[domain].get("/openapi.json")
        answer.raise_for_status()
        return answer.json()

    async def ready(self, domain: str) -> None:
        """Raises unless the service answers its readiness probe."""
        answer = await self._clients[domain].get("/readyz")
        if answer.status_code != 200:
            raise ConnectionError(f"{domain} is not ready ({answer.status_code})")

    async def _call(
        self,
        domain: str,
        method: str,
        path: str,
        token: str,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        answer = await self._request(domain, method, path, token, headers or {}, **kwargs)
        return answer.json() if answer.content else None

    async def _request(
        self,
        domain: str,
        method: str,
        path: str,
        token: str,
        headers: Mapping[str, str],
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            answer = await self._clients[domain].request(
                method, path, headers={"Authorization": f"Bearer {token}", **headers}, **kwargs
            )
        except httpx.TransportError as exc:
            raise ServiceProblem(503, f"{domain} unreachable", code="service_unreachable") from exc
        if answer.status_code >= 400:
            try:
                problem = answer.json()
            except ValueError:
                problem = {}
            raise ServiceProblem(
                answer.status_code,
                str(problem.get("detail") or answer.reason_phrase),
                problem.get("code"),
                list(problem.get("errors") or []),
            )
        return answer
