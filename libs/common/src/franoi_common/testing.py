"""What the services' domain tests share: a scenario's days, and its stand-in persons.

A test module names the days its scenario happens on once, in order::

    D0, D1, D2, D3 = days("2025-03-01", "2025-04-01", "2025-09-30", "2025-10-15")

and its people are the stand-ins below: pseudonyms of made-up names
(:func:`~franoi_common.persons.stand_in_ref`), never the network's pseudonym of anyone.
"""

from __future__ import annotations

import datetime as dt
import itertools

from franoi_common.persons import stand_in_ref

AMINA, BOBO, CHIDI = stand_in_ref("amina"), stand_in_ref("bobo"), stand_in_ref("chidi")
"""The ``person_ref`` of three stand-in persons."""


def days(*iso: str) -> tuple[dt.date, ...]:
    """The days of a test scenario, given as ISO dates in the order they happen; refused out
    of order, since the tests read each as after the one before (``D1`` after ``D0``)."""
    found = tuple(dt.date.fromisoformat(day) for day in iso)
    if any(later <= earlier for earlier, later in itertools.pairwise(found)):
        raise ValueError(f"a scenario's days are given in the order they happen: {iso}")
    return found
