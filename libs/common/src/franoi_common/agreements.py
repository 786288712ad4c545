"""An agreement with a counterpart (an estate agency, a company...): one lifecycle for every
service that signs them (housing's agreements, employment's company agreements).

An agreement is signed on a day, may be valid until a later one and ends once, not before it
was signed; an end repeated with the same day (a client retrying "end this agreement")
records nothing. A service's agreement class is a ``@dataclass(eq=False)`` with its own
fields, among them ``signed_on``, ``valid_until`` and ``ended_on``; it names its checks and
the event of its end::

    @dataclass(eq=False)
    class CompanyAgreement(SignedAgreement):
        company_agreement_id: UUID
        ...
        CHECKS = checks
        ENDED = contract.CompanyAgreementEnded

Ending one is the same command (:class:`EndAgreement`, or a service's subclass of it that
names it in its API) and the same handler (:func:`ending`) in every service::

    end_agreement = ending(Agreement, EndAgreement)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from franoi_contracts.base import DomainEvent

from franoi_common.commands import PartnerServices, changes
from franoi_common.domain import Aggregate, Checks
from franoi_common.persons import Command, Day

G = TypeVar("G", bound="SignedAgreement")


class SignedAgreement(Aggregate):
    """What every agreement holds and does: its term, and its end."""

    signed_on: dt.date
    valid_until: dt.date | None
    ended_on: dt.date | None

    CHECKS: ClassVar[Checks]
    ENDED: ClassVar[type[DomainEvent]]

    @classmethod
    def check_term(cls, signed_on: dt.date, valid_until: dt.date | None) -> None:
        """Refuse an agreement that would expire before it was signed."""
        if valid_until is not None:
            cls.CHECKS.not_before(
                valid_until, signed_on, "an agreement cannot expire before signing"
            )

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    def end(self, on: dt.date) -> None:
        """End the agreement, once and not before it was signed; repeating the same end
        changes nothing."""
        if self.ended_on == on:
            return
        self.CHECKS.allowed(
            self.ended_on is None, f"the agreement already ended on {self.ended_on}"
        )
        self.CHECKS.not_before(on, self.signed_on, "an agreement cannot end before it was signed")
        self.ended_on = on
        self.record_event(self.ENDED)


# No docstring: a command's is its request body's description in the API documents.
class EndAgreement(Command):
    ended_on: Day


def ending(
    cls: type[G], command: type[EndAgreement] = EndAgreement
) -> Callable[[PartnerServices, str, UUID, Any], Awaitable[G]]:
    """The handler ``end_<agreement>`` (``end_company_agreement`` for a
    ``CompanyAgreement``) of ``command``: end an agreement of ``cls`` on its day."""

    def end(agreement: G, cmd: EndAgreement) -> None:
        agreement.end(cmd.ended_on)

    end.__name__ = end.__qualname__ = "end_" + _WORD_START.sub("_", cls.__name__).lower()
    return changes(cls, command)(end)


_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")
