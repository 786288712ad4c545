"""How names are compared when a social worker looks for a person or registers one.

Pure functions, no I/O. A name is cut into **words** and each word reduced to its
**skeleton**, in which the spelling differences that transliteration produces are folded
away, so that the variants of one name meet:

* words: apostrophes join letters ("N'Diaye" is ``ndiaye``); accents and other combining
  marks go (NFKD); a few letters without a decomposition are spelled out (ø → o, æ → ae,
  ß → ss...); upper-case ASCII letters are lowered; every other character separates words.
  Only the Latin letters a to z make words: a name written in another script has no words
  here and is found by the "contains" match instead.
* skeleton of a word: ``ph`` → ``f``, ``kh`` → ``k``, ``gh`` → ``g``, ``dh`` → ``d``,
  ``th`` → ``t``, ``sh``/``ch``/``sch`` → ``s``, ``dj`` → ``j``, ``ck``, ``q`` and a hard
  ``c`` → ``k``, a soft ``c`` (before e, i, y) → ``s``, ``x`` → ``h`` (Somali spelling:
  Maxamed, Xasan), ``z`` → ``s``; at a word's start ``di`` before a vowel → ``j`` (Diallo,
  Jallow) and ``ou`` before a vowel → ``w`` (Ouattara, Wattara); a ``h`` or ``w`` ending a
  word after a vowel is dropped (Fatimah, Jalloh); every run of vowels (``y`` counts as
  one, except at a word's start before a vowel) becomes one ``a`` — transliterations
  disagree mostly on vowels (Mohamed, Muhammad; Yusuf, Youssef; Osman, Usman); doubled
  letters are single (Mohammed, Diallo).

"Mohamed", "Mohammed", "Muhammad" and "Mohammad" all give ``mahamad``.

A searched word matches a word of a name (:func:`match_word`) as the **same word**, the
**same skeleton** (another transliteration), a **similar** word (a typo: the word and its
skeleton each a few edits away, :func:`allowed_edits`) or, where asked, **part** of the
word. The database keeps the
words of each person's name and the skeleton of every word the partner's names use (the
migration ``003_name_search.sql`` mirrors :func:`name_words` and :func:`skeleton` in SQL
for the rows recorded before it, and a test holds the two equal).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

APOSTROPHES = "'\u2019\u02bc`\u00b4\u2018"
"""Marks inside a word that join its letters: apostrophes, typographic quotes, modifier
letter apostrophe, grave and acute accents standing alone."""
COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
"""The blocks of combining marks (what NFKD splits off accented letters)."""
SPELLED_OUT = str.maketrans(
    {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th"}
)
"""Latin letters NFKD leaves whole and that stand for two."""
LOWERED = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZøØłŁđĐðÐ\u0131", "abcdefghijklmnopqrstuvwxyzoollddddi"
)
"""ASCII upper case, and Latin letters NFKD leaves whole that stand for one (ø, ł, đ, ð,
and the dotless i)."""

_WORD = re.compile("[a-z]+")
_DIGRAPHS = (
    ("sch", "s"),
    ("sh", "s"),
    ("ch", "s"),
    ("ph", "f"),
    ("kh", "k"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("dj", "j"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "h"),
    ("z", "s"),
)
_INITIAL_DI = re.compile("^di(?=[aeiouy])")
_INITIAL_OU = re.compile("^ou(?=[aeiouy])")
_SOFT_C = re.compile("c(?=[eiy])")
_FINAL_H_OR_W = re.compile("(?<=[aeiouy])[hw]$")
_INITIAL_Y = re.compile("^y(?=[aeiou])")
_VOWELS = re.compile("[aeiouy]+")
_DOUBLED = re.compile(r"(.)\1+")

MIN_PART_LENGTH = 3
"""A searched word this long or longer may also match as part of a word."""


def name_words(text: str) -> list[str]:
    """The words of a name as matching sees them (see the module's rules)."""
    kept = text.translate(str.maketrans("", "", APOSTROPHES))
    folded = COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", kept))
    return _WORD.findall(folded.translate(SPELLED_OUT).translate(LOWERED))


def skeleton(word: str) -> str:
    """One word's skeleton (a word as :func:`name_words` gives it)."""
    w = _INITIAL_OU.sub("w", _INITIAL_DI.sub("j", word))
    for digraph, sound in _DIGRAPHS:
        w = w.replace(digraph, sound)
    w = _FINAL_H_OR_W.sub("", _SOFT_C.sub("s", w).replace("c", "k"))
    if _INITIAL_Y.match(w):
        w = "y" + _VOWELS.sub("a", w[1:])
    else:
        w = _VOWELS.sub("a", w)
    return _DOUBLED.sub(r"\1", w)


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``;
    with a ``limit``, any number above it may be answered as ``limit + 1`` (sooner)."""
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if limit is not None and min(current) > limit:
            return limit + 1  # every later row only grows from here
        before, previous = previous, current
    return previous[-1]


def allowed_edits(length: int) -> int:
    """How many edits still make two skeletons "similar", by the longer one's length: none
    up to 4 letters (Kone and Keita stay apart), one up to 7, two beyond."""
    if length <= 4:
        return 0
    return 1 if length <= 7 else 2


def similar_lengths(length: int) -> list[int]:
    """The lengths a skeleton may have to be "similar" to one of ``length`` letters (its
    own included: the same skeleton)."""
    return [
        other
        for other in range(max(1, length - 2), length + 3)
        if abs(length - other) <= allowed_edits(max(length, other))
    ]


class WordMatch(Enum):
    """How a searched word matches a word of a name, and what it weighs in the score."""

    SAME = 1.0
    """The same word."""
    SAME_SKELETON = 0.9
    """Another spelling of it: Mohamed, Muhammad."""
    SIMILAR = 0.7
    """A typo: the word and its skeleton each a few edits away (:func:`allowed_edits`)."""
    PART = 0.5
    """Part of the word (a searched word of three letters or more)."""


@dataclass(frozen=True)
class Term:
    """A searched word and its skeleton."""

    word: str
    skeleton: str

    @property
    def part_pattern(self) -> str | None:
        """The ``LIKE`` pattern finding words that contain this one, if long enough."""
        return f"%{self.word}%" if len(self.word) >= MIN_PART_LENGTH else None


def terms(text: str) -> list[Term]:
    """The distinct words of a searched name with their skeletons, in order."""
    return [Term(w, skeleton(w)) for w in dict.fromkeys(name_words(text))]


def search_terms(text: str) -> list[Term]:
    """The terms a similar search asks for: a single letter (an initial) restricts nothing."""
    return [term for term in terms(text) if len(term.word) > 1]


def match_word(
    term: Term, word: str, word_skeleton: str, *, parts: bool = True
) -> WordMatch | None:
    """How ``term`` matches a name's ``word`` (whose skeleton is ``word_skeleton``), or
    None; ``parts``: whether being part of the word counts."""
    if word == term.word:
        return WordMatch.SAME
    if word_skeleton == term.skeleton:
        return WordMatch.SAME_SKELETON
    edits = allowed_edits(max(len(word_skeleton), len(term.skeleton)))
    if edits and edit_distance(word_skeleton, term.skeleton, edits) <= edits:
        # a typo changes the word as typed too: Hodan is not a typo of Hassan
        typed = allowed_edits(max(len(word), len(term.word)))
        if edit_distance(word, term.word, typed) <= typed:
            return WordMatch.SIMILAR
    if parts and term.part_pattern is not None and term.word in word:
        return WordMatch.PART
    return None


def score(matches: Sequence[WordMatch | None]) -> float:
    """A name's score for a search: the mean weight of each searched word's best match
    (0 for a word it does not match), rounded to two decimals."""
    if not matches:
        return 0.0
    return round(sum(m.value for m in matches if m is not None) / len(matches), 2)
