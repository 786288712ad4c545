"""The command side every partner service shares: services, unit of work, create and change.

A handler is one unit of work: the state change and its outbox rows commit
together or not at all (:class:`CommandUnit`). It answers the aggregate it created or
changed, and the API answers from that (no second transaction to read it back). Two
shapes cover most commands:

- **create** with an optional client-chosen id (:func:`new`): :meth:`CommandUnit.replay`
  first, so an identical retry answers the existing resource and changes nothing, and the
  same id with a different request is refused (409); :meth:`CommandUnit.add` then stores
  the aggregate with the request's fingerprint. The row and its events are written by one
  statement; without a client-chosen id there is nothing to replay, and when the aggregate
  is one row that statement is the whole transaction (one round trip).
  :func:`create` builds the aggregate with its domain factory, from the command's fields
  of the names of the factory's parameters (:func:`arguments`).
- **change** (:func:`change`): locks one aggregate (moving its version on, and refusing
  the change when the request's ``If-Match`` names an older one:
  :mod:`franoi_common.versions`), lets the domain act, saves it and appends its events.
  An action that records no event (a retried transition with the same data) saves and
  publishes nothing. A handler that does only that is the domain action itself, under
  :func:`changes`.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import re
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from pydantic import BaseModel, SecretStr

from franoi_common.db import UnitOfWork
from franoi_common.errors import AlreadyExists, DomainError, NotFound
from franoi_common.outbox import Outbox
from franoi_common.persons import PersonInput, Pseudonymiser
from franoi_common.repository import Repository
from franoi_common.versions import bump

A = TypeVar("A")
C = TypeVar("C", bound=BaseModel)
R = TypeVar("R", bound=Repository)


@dataclass
class PartnerServices:
    """What a partner service's handlers need, built once by its bootstrap."""

    pool: asyncpg.Pool
    outbox: Outbox
    pseudonym_key: bytes
    repository: type[Repository]
    names: Mapping[type[Any], str] = field(default_factory=dict)
    """Aggregate class → its name in messages, when not its class name's words (a
    ``HousingUnit`` is a "housing unit" without saying so)."""
    constraint_errors: Mapping[str, Callable[[], DomainError]] = field(default_factory=dict)
    """Unique constraint name → the domain error it backs (e.g. one active placement)."""
    after_commit: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self._pseudonymiser = Pseudonymiser(self.pseudonym_key)

    def uow(self) -> CommandUnit:
        return CommandUnit(self)

    def repository_on(self, conn: asyncpg.Connection) -> Repository:
        """The service's repository on ``conn``."""
        return self.repository(conn)

    def person_ref_of(self, person: PersonInput) -> str:
        return self._pseudonymiser.person_ref_of(person)

    def fingerprint(self, command: BaseModel) -> str:
        """An HMAC of the whole request under the service's key: equal for identical
        requests, and revealing nothing of them (identifiers included)."""
        canonical = json.dumps(_plain(command.model_dump()), sort_keys=True, default=str)
        return hmac.new(self.pseudonym_key, canonical.encode(), hashlib.sha256).hexdigest()

    def name_of(self, cls: type[Any]) -> str:
        """How messages name an aggregate of ``cls``: ``names``' name, or its class name's
        words in lower case."""
        return self.names.get(cls) or _WORD_START.sub(" ", cls.__name__).lower()


_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class CommandUnit(UnitOfWork):
    """One command's transaction, with the service's repository and outbox."""

    repo: Repository

    def __init__(self, services: PartnerServices) -> None:
        super().__init__(services.pool, after_commit=services.after_commit)
        self.services = services
        self.seen: list[Any] = []
        """The aggregates this unit loaded (:meth:`must_get`), to save those that changed."""

    async def __aenter__(self) -> CommandUnit:
        await super().__aenter__()
        self.repo = self.services.repository_on(self.conn)
        return self

    def repository(self, kind: type[R]) -> R:
        """This unit's repository as the service's own class (for its own queries)."""
        assert isinstance(self.repo, kind), type(self.repo)
        return self.repo

    async def publish(self, partner_id: str, *aggregates: Any) -> None:
        """Move the aggregates' recorded events to the outbox, in this transaction (an
        aggregate given as None is skipped)."""
        found = [aggregate for aggregate in aggregates if aggregate is not None]
        events = [event for aggregate in found for event in aggregate.events]
        await self.services.outbox.append(self.conn, partner_id, events)
        for aggregate in found:
            aggregate.events.clear()

    async def save(self, partner_id: str, *aggregates: Any) -> None:
        """Save changed aggregates and move their events to the outbox, in this transaction;
        an aggregate that recorded nothing (a repeated transition), or given as None, is
        left as it is. A change refused by a unique constraint that backs a rule of the
        domain (one accepted match per person...) raises that rule's error."""
        changed = [a for a in aggregates if a is not None and a.events]
        for aggregate in changed:
            try:
                await self.repo.update(partner_id, aggregate)
            except asyncpg.UniqueViolationError as exc:
                error = self.services.constraint_errors.get(exc.constraint_name or "")
                if error is None:
                    raise
                raise error() from exc
        await self.publish(partner_id, *changed)

    async def must_get(
        self, cls: type[A], partner_id: str, aggregate_id: UUID, *, for_update: bool = True
    ) -> A:
        found = await self.repo.get(cls, partner_id, aggregate_id, for_update=for_update)
        if found is None:
            raise NotFound(f"{self.services.name_of(cls)} {aggregate_id} not found")
        if for_update:  # about to change: its version moves on (refused if If-Match differs)
            await bump(self.conn, aggregate_id)
        self.seen.append(found)
        return found

    async def must_get_optional(
        self, cls: type[A], partner_id: str, aggregate_id: UUID | None, *, for_update: bool = True
    ) -> A | None:
        """The aggregate a command names optionally (a placement's request...): None when it
        names none, as :meth:`must_get` otherwise."""
        if aggregate_id is None:
            return None
        return await self.must_get(cls, partner_id, aggregate_id, for_update=for_update)

    async def replayed(
        self, cls: type[Any], partner_id: str, resource_id: UUID | None, command: BaseModel
    ) -> bool:
        """True when this exact request already created ``resource_id``; raises
        :class:`AlreadyExists` when that id was created by a different request."""
        if resource_id is None:
            return False
        stored = await self.conn.fetchval(
            "SELECT fingerprint FROM command_fingerprints"
            " WHERE partner_id = $1 AND resource = $2 AND resource_id = $3",
            partner_id,
            self.repo.table(cls).name,
            resource_id,
        )
        if stored is None:
            return False
        if stored == self.services.fingerprint(command):
            return True
        raise AlreadyExists(
            f"{self.services.name_of(cls)} {resource_id} already exists with different"
            " content; use a new id, or read it with GET"
        )

    async def replay(
        self, cls: type[A], partner_id: str, resource_id: UUID | None, command: BaseModel
    ) -> A | None:
        """The aggregate this exact request already created (read in this transaction), or
        None; raises :class:`AlreadyExists` when that id was created by a different request."""
        if resource_id is None or not await self.replayed(cls, partner_id, resource_id, command):
            return None
        return await self.must_get(cls, partner_id, resource_id, for_update=False)

    async def add(
        self,
        partner_id: str,
        aggregate: Any,
        *,
        command: BaseModel | None = None,
        publish: bool = False,
        **local: Any,
    ) -> asyncpg.Record | None:
        """Insert a new aggregate (and, for a client-chosen id, the request's fingerprint);
        the row as inserted when the repository gives it (:meth:`Repository.add`).

        ``publish``: also move the aggregate's recorded events to the outbox (as
        :meth:`publish`), in the same statement as the aggregate's row where the repository
        writes it as one row (:meth:`Repository.one_row`; one round trip less)."""
        table = self.repo.table(type(aggregate))
        # No savepoint: a duplicate raises out of the unit of work, which rolls back whole
        # (a savepoint cost two round trips on every create).
        try:
            if publish and self.repo.one_row(type(aggregate)):
                statement, args = self.services.outbox.with_insert(
                    *self.repo.insert(partner_id, aggregate, **local),
                    partner_id,
                    aggregate.events,
                )
                row: asyncpg.Record | None = await self.conn.fetchrow(statement, *args)
                aggregate.events.clear()
            else:
                row = await self.repo.add(partner_id, aggregate, **local)
            if command is not None:
                await self.conn.execute(
                    "INSERT INTO command_fingerprints"
                    " (partner_id, resource, resource_id, fingerprint) VALUES ($1, $2, $3, $4)",
                    partner_id,
                    table.name,
                    getattr(aggregate, table.key),
                    self.services.fingerprint(command),
                )
        except asyncpg.UniqueViolationError as exc:
            raise _refused(self.services, type(aggregate), exc) from exc
        if publish:
            await self.publish(partner_id, aggregate)  # what is left: none if written above
        return row


def _refused(s: PartnerServices, cls: type[Any], exc: asyncpg.UniqueViolationError) -> DomainError:
    """The domain error a unique constraint backs, or :class:`AlreadyExists`."""
    error = s.constraint_errors.get(exc.constraint_name or "")
    if error is not None:
        return error()
    return AlreadyExists(
        f"{s.name_of(cls)} already exists"
        " (possibly created by a concurrent request: read it with GET)"
    )


Lock = Callable[["CommandUnit", str, UUID], Awaitable[A]]
"""How a change locks its aggregate, ``await lock(unit, partner_id, aggregate_id)``, when
more than its own row must be locked first (a match's family, for its rooms)."""


async def change(
    s: PartnerServices,
    partner_id: str,
    cls: type[A],
    aggregate_id: UUID,
    action: Callable[[A], None],
    lock: Lock[A] | None = None,
) -> A:
    """Lock one aggregate (its row, or as ``lock`` does), let the domain act on it, save what
    changed and append its events."""
    async with s.uow() as uow:
        if lock is None:
            aggregate = await uow.must_get(cls, partner_id, aggregate_id)
        else:
            aggregate = await lock(uow, partner_id, aggregate_id)
        action(aggregate)
        await uow.save(partner_id, aggregate, *(a for a in uow.seen if a is not aggregate))
    return aggregate


Loading = Callable[["CommandUnit", UUID], Awaitable[A]]
Make = Callable[[UUID], A] | Loading[A]
"""How a create builds its aggregate from its id: by the domain alone, ``make(id)``, or
after loading what the rules need, ``await make(unit, id)``."""


def changes(
    cls: type[A], command: type[C] | None = None, lock: Lock[A] | None = None
) -> Callable[[Callable[[A, C], None]], Callable[[PartnerServices, str, UUID, C], Awaitable[A]]]:
    """The command handler of an action on one aggregate of ``cls``, from the domain action
    it runs: ``act(aggregate, command)``. The handler takes ``(services, partner_id,
    aggregate_id, command)``, runs ``act`` in :func:`change` (lock, save, append the events;
    ``lock``: see :func:`change`) and answers the aggregate. The command is the type ``act``
    declares, or ``command`` (a handler shared by services, each with its own command)::

        @changes(Placement)
        def end_placement(placement: Placement, cmd: EndPlacement) -> None:
            placement.end(cmd.ended_on, cmd.exit_outcome)
    """

    def handler_of(
        act: Callable[[A, C], None],
    ) -> Callable[[PartnerServices, str, UUID, C], Awaitable[A]]:
        body = command or typing.get_type_hints(act)[list(inspect.signature(act).parameters)[1]]

        async def handler(s: PartnerServices, partner_id: str, aggregate_id: UUID, cmd: C) -> A:
            return await change(
                s, partner_id, cls, aggregate_id, lambda found: act(found, cmd), lock
            )

        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(handler, name, getattr(act, name))
        handler.__annotations__ = {
            "s": PartnerServices,
            "partner_id": str,
            "aggregate_id": UUID,
            "cmd": body,
            "return": cls,
        }
        return handler

    return handler_of


async def new(
    s: PartnerServices,
    partner_id: str,
    cls: type[A],
    requested_id: UUID | None,
    command: BaseModel,
    make: Make[A],
    **local: Any,
) -> A:
    """Create one aggregate of ``cls`` from ``command``, safe to retry; the aggregate.

    The id is the client-chosen ``requested_id`` or a new one. When this exact request
    already created that id, nothing is recorded again and the stored aggregate is
    answered; otherwise ``make(id)`` lets the domain build the aggregate, which is inserted
    (with ``local`` columns kept only in this service) and whose events go to the outbox in
    the same transaction. A ``make`` that needs other aggregates is a coroutine function,
    ``make(unit, id)``: what it loads through the unit (:meth:`CommandUnit.must_get`) and
    the domain changed is saved after the new aggregate, with its events.
    """
    aggregate_id = requested_id or uuid.uuid4()
    loads = inspect.iscoroutinefunction(make)
    if requested_id is None and not loads and s.repository.one_row(cls):
        aggregate = typing.cast(Callable[[UUID], A], make)(aggregate_id)
        await _create_in_one_statement(s, partner_id, aggregate, **local)
        return aggregate
    async with s.uow() as uow:
        replayed = await uow.replay(cls, partner_id, requested_id, command)
        if replayed is not None:
            return replayed
        if loads:
            aggregate = await typing.cast(Loading[A], make)(uow, aggregate_id)
        else:
            aggregate = typing.cast(Callable[[UUID], A], make)(aggregate_id)
        # A fingerprint only for a client-chosen id: only such a request can be replayed.
        await uow.add(
            partner_id,
            aggregate,
            command=command if requested_id else None,
            publish=True,
            **local,
        )
        await uow.save(partner_id, *uow.seen)
    return aggregate  # only after the commit: a rolled-back create is never answered


def arguments(action: Callable[..., Any], command: BaseModel, **given: Any) -> dict[str, Any]:
    """The keyword arguments of a domain factory or action (``Agreement.sign``...) for a
    command: ``given``, and for each other parameter the command's field of its name, if it
    has one (the domain's names are the command's: each field is passed once, by name)."""
    fields = type(command).model_fields
    taken = {
        name: getattr(command, name)
        for name in inspect.signature(action).parameters
        if name in fields and name not in given
    }
    return taken | given


async def create(
    s: PartnerServices,
    partner_id: str,
    factory: Callable[..., A],
    command: BaseModel,
    **given: Any,
) -> A:
    """Create one aggregate with its domain factory, a classmethod (``Agreement.sign``),
    safe to retry (:func:`new`). The factory's first parameter is the new aggregate's id
    (the command's field of that name, when the client chose it); the others are the
    command's fields of their names, or ``given`` (:func:`arguments`)."""
    cls: type[A] = factory.__self__  # type: ignore[attr-defined]
    key = next(iter(inspect.signature(factory).parameters))

    def make(aggregate_id: UUID) -> A:
        return factory(**arguments(factory, command, **given, **{key: aggregate_id}))

    return await new(s, partner_id, cls, getattr(command, key), command, make)


async def _create_in_one_statement(
    s: PartnerServices, partner_id: str, aggregate: Any, **local: Any
) -> asyncpg.Record:
    """A create with nothing to replay (no client-chosen id, so no fingerprint) of an
    aggregate that is one row: the row and its events written by one statement, which
    PostgreSQL runs as one transaction (both or neither), so the command is one round trip
    instead of BEGIN, statement, COMMIT."""
    async with s.pool.acquire() as conn:
        statement, args = s.outbox.with_insert(
            *s.repository_on(conn).insert(partner_id, aggregate, **local),
            partner_id,
            aggregate.events,
        )
        try:
            row: asyncpg.Record = await conn.fetchrow(statement, *args)
        except asyncpg.UniqueViolationError as exc:
            raise _refused(s, type(aggregate), exc) from exc
    aggregate.events.clear()
    if s.after_commit is not None:
        s.after_commit()
    return row
