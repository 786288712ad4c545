"""Who reads the network: consortium analysts see exact numbers, integrators suppressed
ones (:mod:`franoi_projection.domain.suppression`), the consortium's admins manage the
partner directory, and a partner's people read the directory (whom they may refer a person
to); anyone else is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from franoi_common.auth import CONSORTIUM, Principal, Role, current_principal


@dataclass(frozen=True)
class Viewer:
    suppressed: bool


def viewer_of(principal: Principal) -> Viewer:
    """Analysts of the consortium see exact numbers, integrators suppressed ones."""
    if principal.partner_id == CONSORTIUM and Role.CONSORTIUM_ANALYST in principal.roles:
        return Viewer(suppressed=False)
    if Role.INTEGRATOR in principal.roles:
        return Viewer(suppressed=True)
    raise HTTPException(403, detail="network views are for consortium analysts and integrators")


def _is_directory_admin(principal: Principal) -> bool:
    return principal.partner_id == CONSORTIUM and Role.PARTNER_ADMIN in principal.roles


def _viewer(principal: Annotated[Principal, Depends(current_principal)]) -> Viewer:
    return viewer_of(principal)


Who = Annotated[Viewer, Depends(_viewer)]
"""A reader of the network views."""


def analyst(who: Who) -> Viewer:
    """A consortium analyst: what only the consortium reads (operations, the journeys'
    summary, the partner-by-month views)."""
    if who.suppressed:
        raise HTTPException(403, detail="for consortium analysts")
    return who


def directory_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not _is_directory_admin(principal):
        raise HTTPException(403, detail="the directory is managed by the consortium's admins")
    return principal


PARTNER_PEOPLE = frozenset({Role.SOCIAL_WORKER, Role.PARTNER_ADMIN})


def _directory_reader(principal: Annotated[Principal, Depends(current_principal)]) -> Viewer:
    if _is_directory_admin(principal):
        return Viewer(suppressed=False)
    if principal.partner_id != CONSORTIUM and principal.roles & PARTNER_PEOPLE:
        return Viewer(suppressed=True)  # the directory has no counts to suppress
    return viewer_of(principal)


DirectoryReader = Annotated[Viewer, Depends(_directory_reader)]
"""The directory's readers: the viewers, the consortium's admins who manage it, and the
partners' social workers and coordinators (the desk offers the partners by name)."""


@dataclass(frozen=True)
class Reporter:
    """Who works on reporting periods: the consortium (its analysts and admins: every
    partner, approval and return) or a partner's coordinator (its admin: its own partner
    only, submission and explanations)."""

    subject: str
    partner_id: str | None
    """The coordinator's partner; None for the consortium."""

    @property
    def consortium(self) -> bool:
        return self.partner_id is None

    def may_see(self, partner_id: str) -> bool:
        return self.consortium or self.partner_id == partner_id


def _reporter(principal: Annotated[Principal, Depends(current_principal)]) -> Reporter:
    if principal.partner_id == CONSORTIUM and principal.roles & {
        Role.CONSORTIUM_ANALYST,
        Role.PARTNER_ADMIN,
    }:
        return Reporter(principal.subject, None)
    if principal.partner_id != CONSORTIUM and Role.PARTNER_ADMIN in principal.roles:
        return Reporter(principal.subject, principal.partner_id)
    raise HTTPException(
        403, detail="reporting is for the consortium and for each partner's coordinator"
    )


ReportingUser = Annotated[Reporter, Depends(_reporter)]
"""The consortium or a partner's coordinator."""
