"""How a person's erasure changes the network read models.

``it.franoi.cases.person.erased.v1`` records a tombstone (a one-way hash of the
partner and the ``person_ref``, never the reference itself) with a random
surrogate, and replaces the reference by that surrogate in every table of that
partner that holds one: the person's pseudonymous journey is gone, every count
(distinct persons, persons on two axes...) stays what it was. The trigger that
migration 008 puts on those tables swaps the surrogate in for any row written
later with the erased reference: a rebuild replays the topics in no cross-topic
order, so a housing event may arrive after the erasure.

With shredding, the event names the person's token: the reference the projection opened it
to (kept while the key was held) is erased with the token as its surrogate, which is what a
rebuild, which can no longer open the token, records (``franoi_erase_token``).
"""

from __future__ import annotations

from franoi_common.projector import Projection, Statement
from franoi_contracts import cases as ev

ERASURE: Projection = {
    ev.PersonErased: [
        Statement(
            "SELECT franoi_erase_token($1, $2, $3)",
            lambda p, e: (p, e.person_ref, e.erased_on),
        )
    ],
}
