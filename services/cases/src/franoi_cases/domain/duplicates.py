"""Possible duplicates of a person being registered: which of the partner's records, and why.

Pure domain code. The service finds the candidates in the partner's register (the same
document identifier; a similar name, :mod:`franoi_cases.domain.names`, with a birth date
near enough) and answers each with its reasons. A registration that asked to be checked
is refused while any exists (409 ``possible_duplicate``) unless it gives a reason
(:meth:`franoi_cases.domain.model.Person.register`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum

from franoi_cases.domain.names import WordMatch, score

MAX_CANDIDATES = 20
"""The most candidates an answer shows (the best first; the total counts them all)."""


class DuplicateReason(StrEnum):
    """Why a record of the partner may be the person being registered."""

    SAME_DOCUMENT = "same_document"
    SIMILAR_NAME_SAME_BIRTH_DATE = "similar_name_same_birth_date"
    SIMILAR_NAME_CLOSE_BIRTH_YEAR = "similar_name_close_birth_year"
    """The names match and the years of birth are at most one apart."""


def duplicate_reasons(
    born_on: dt.date, candidate_born_on: dt.date, *, same_document: bool, similar_name: bool
) -> list[DuplicateReason]:
    """Why a record born on ``candidate_born_on`` may be a person born on ``born_on``
    (empty: it is not a candidate). ``similar_name``: every word of the shorter of the two
    names matches a word of the other (:mod:`franoi_cases.domain.names`)."""
    reasons = [DuplicateReason.SAME_DOCUMENT] if same_document else []
    if similar_name and candidate_born_on == born_on:
        reasons.append(DuplicateReason.SIMILAR_NAME_SAME_BIRTH_DATE)
    elif similar_name and abs(candidate_born_on.year - born_on.year) <= 1:
        reasons.append(DuplicateReason.SIMILAR_NAME_CLOSE_BIRTH_YEAR)
    return reasons


def similar_name(
    term_matches: Sequence[Mapping[str, WordMatch]], words: Sequence[str]
) -> tuple[bool, float]:
    """Whether a record's name (its ``words``) is similar to the name being registered,
    and its score (:func:`franoi_cases.domain.names.score`).

    ``term_matches[i]`` holds the words of the partner's names that the i-th word of the
    registered name matches, and how. The names are similar when every word of one of
    them matches a word of the other: a record missing a middle name, or holding one
    more, is still a candidate; given and family names may be swapped."""
    best = [
        max((matches[w] for w in words if w in matches), key=lambda m: m.value, default=None)
        for matches in term_matches
    ]
    every_term = bool(term_matches) and all(m is not None for m in best)
    every_word = bool(words) and all(any(w in m for m in term_matches) for w in words)
    return every_term or every_word, score(best)
