"""Finding persons by name in PostgreSQL: the partner's name vocabulary, the searches and
the rows a possible-duplicate check looks at. Part of :class:`CasesRepository`.

Each person's name is kept as its words (``persons.name_words``, GIN index with the
partner first); the partner's names as a vocabulary of words with their skeletons
(``name_vocabulary``, trigram indexes). A similar-name search:

1. finds, for each searched word, the vocabulary words with the same skeleton (another
   spelling), the words close to it by trigrams (a generous first cut,
   :data:`VOCABULARY_THRESHOLD`) whose skeleton has a length a few edits allow (a typo),
   and the words containing it (a part), and lets the domain decide which of them match
   and how (:func:`franoi_cases.domain.names.match_word`);
2. finds the partner's persons holding, for every searched word, one of the words it
   matched, and orders them by score (the mean weight of each word's best match), then
   by name.

The vocabulary changes with the names: a registration or a correction adds its words, and
a correction or an erasure removes the words no record holds any more. Both take the
partner's vocabulary lock as their last step, so a word a new record uses is never
removed by an erasure committing at the same time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from franoi_cases.domain.model import Person, search_words
from franoi_cases.domain.names import Term, WordMatch, match_word, similar_lengths, skeleton

VOCABULARY_THRESHOLD = 0.2
"""Trigram similarity of two words above which the domain looks at a vocabulary word for
a typo (its own rule decides): every word one edit away passes it, and about 19 in 20 of
the long words two edits away (measured over the names of the search benchmark)."""
_VOCABULARY_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtext('franoi_cases.name_vocabulary'), hashtext($1))"
)
_REMEMBER = (
    "INSERT INTO name_vocabulary (partner_id, word, skeleton)"
    " SELECT $1, w, s FROM unnest($2::text[], $3::text[]) AS t(w, s)"
    " ON CONFLICT DO NOTHING"
)
_FORGET = (
    "DELETE FROM name_vocabulary v WHERE v.partner_id = $1 AND v.word = ANY($2::text[])"
    " AND NOT EXISTS (SELECT 1 FROM persons p"
    "  WHERE p.partner_id = $1 AND p.name_words @> ARRAY[v.word])"
)


@dataclass(frozen=True)
class Found:
    """A page of aggregates (or log rows) and how many match in all; ``scores``: for a
    similar-name search, each item's score."""

    items: list[Any]
    total: int
    scores: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateRow:
    """A record a possible-duplicate check looks at."""

    person_id: UUID
    search_name: str
    name_words: tuple[str, ...]
    born_on: dt.date
    same_document: bool


def like_patterns(text: str) -> list[str]:
    """One ``LIKE`` pattern per word of the searched name (each must appear)."""
    words = search_words(text)
    escaped = (w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words)
    return [f"%{w}%" for w in escaped]


@dataclass(frozen=True)
class PersonQuery:
    """What a search of the partner's persons asks: every criterion given must match."""

    name: str | None = None
    """Parts of the name (a plain search)."""
    terms: Sequence[Term] | None = None
    """The name's words, each matched tolerant of typos (a similar search)."""
    born_on: dt.date | None = None
    document_index: str | None = None
    """The blind index of a document identifier."""
    person_refs: Sequence[str] | None = None
    """Only the persons with one of these references."""


class NameIndex:
    """The name part of the cases repository."""

    conn: asyncpg.Connection

    def _person(self, row: asyncpg.Record) -> Person:
        raise NotImplementedError

    # --- the vocabulary ------------------------------------------------------------------

    async def remember_words(self, partner_id: str, words: Iterable[str]) -> None:
        """Add a record's words to the partner's vocabulary (last step of a transaction)."""
        await self._vocabulary(partner_id, words, _REMEMBER, with_skeletons=True)

    async def forget_unused_words(self, partner_id: str, words: Iterable[str]) -> None:
        """Remove from the partner's vocabulary those of ``words`` no record holds any more
        (last step of a transaction)."""
        await self._vocabulary(partner_id, words, _FORGET)

    async def _vocabulary(
        self, partner_id: str, words: Iterable[str], statement: str, *, with_skeletons: bool = False
    ) -> None:
        """Run ``statement`` on the partner's vocabulary for these words (``$2``, sorted,
        each once; ``$3`` their skeletons), under the vocabulary's lock; nothing when none."""
        distinct = sorted(set(words))
        if not distinct:
            return
        skeletons = [[skeleton(w) for w in distinct]] if with_skeletons else []
        await self.conn.execute(_VOCABULARY_LOCK, partner_id)
        await self.conn.execute(statement, partner_id, distinct, *skeletons)

    async def vocabulary_matches(
        self, partner_id: str, terms: Sequence[Term], *, parts: bool
    ) -> list[dict[str, WordMatch]]:
        """For each term, the words of the partner's names it matches, and how."""
        if not terms:
            return []
        # Local to the transaction: the first cut of the vocabulary for typos.
        await self.conn.execute(f"SET LOCAL pg_trgm.similarity_threshold = {VOCABULARY_THRESHOLD}")
        selects: list[str] = []
        args: list[Any] = [partner_id]
        for i, term in enumerate(terms):
            args += [term.skeleton, term.word, similar_lengths(len(term.skeleton))]
            n = len(args)
            near = (
                f"skeleton = ${n - 2} OR (word % ${n - 1} AND length(skeleton) = ANY(${n}::int[]))"
            )
            if parts and term.part_pattern is not None:
                args.append(term.part_pattern)
                near = f"{near} OR word LIKE ${len(args)}"
            selects.append(
                f"SELECT {i} AS term, word, skeleton FROM name_vocabulary"  # noqa: S608
                f" WHERE partner_id = $1 AND ({near})"
            )
        found: list[dict[str, WordMatch]] = [{} for _ in terms]
        for row in await self.conn.fetch(" UNION ALL ".join(selects), *args):
            term = terms[row["term"]]
            match = match_word(term, row["word"], row["skeleton"], parts=parts)
            if match is not None:
                found[row["term"]][row["word"]] = match
        return found

    # --- search ----------------------------------------------------------------------------

    async def search(self, partner_id: str, q: PersonQuery, limit: int, offset: int) -> Found:
        """Live (not merged) persons matching every criterion given. ``terms`` (a similar
        search): ordered by score, then name; else ``name`` is matched as parts of the
        name and the persons are ordered by name."""
        args: list[Any] = [partner_id]
        clauses = ["partner_id = $1", "merged_into IS NULL"]
        if q.born_on is not None:
            args.append(q.born_on)
            clauses.append(f"born_on = ${len(args)}")
        if q.document_index is not None:
            args.append(q.document_index)
            n = len(args)
            clauses.append(f"(tax_code_index = ${n} OR residence_permit_index = ${n})")
        if q.person_refs is not None:
            args.append(list(q.person_refs))
            clauses.append(f"person_ref = ANY(${len(args)}::text[])")
        score, order = "NULL::float8", "search_name, person_id"
        terms = q.terms
        if terms:
            matches = await self.vocabulary_matches(partner_id, terms, parts=True)
            if not all(matches):
                return Found([], 0, [])
            weights = []
            for words in matches:
                args.append(list(words))
                clauses.append(f"name_words && ${len(args)}::text[]")
                cases = []
                for kind in sorted(set(words.values()), key=lambda m: -m.value):
                    args.append([w for w, m in words.items() if m is kind])
                    cases.append(f"WHEN name_words && ${len(args)}::text[] THEN {kind.value}")
                weights.append(f"CASE {' '.join(cases)} ELSE 0 END")
            score = f"(({' + '.join(weights)}) / {len(matches)})::float8"
            order = "score DESC, search_name, person_id"
        elif q.name:
            for pattern in like_patterns(q.name):
                args.append(pattern)
                clauses.append(f"search_name LIKE ${len(args)}")
        where = " AND ".join(clauses)
        rows = await self.conn.fetch(
            f"WITH page AS (SELECT person_id, search_name, {score} AS score,"  # noqa: S608
            f" count(*) OVER () AS total FROM persons WHERE {where}"
            f" ORDER BY {order} LIMIT ${len(args) + 1} OFFSET ${len(args) + 2})"
            " SELECT p.*, page.score, page.total FROM page JOIN persons p USING (person_id)"
            f" ORDER BY {order.replace('search_name', 'page.search_name')}",
            *args,
            limit,
            offset,
        )
        if rows:
            total = rows[0]["total"]
        elif offset:
            total = await self.conn.fetchval(f"SELECT count(*) FROM persons WHERE {where}", *args)  # noqa: S608
        else:
            total = 0
        scores = [round(r["score"], 2) for r in rows] if terms else []
        return Found([self._person(r) for r in rows], total, scores)

    # --- possible duplicates ---------------------------------------------------------------

    async def candidate_rows(
        self,
        partner_id: str,
        words: Sequence[str],
        born_between: tuple[dt.date, dt.date],
        document_indexes: Sequence[str],
    ) -> list[CandidateRow]:
        """The partner's live records holding one of ``words`` and born between the two
        days, or holding one of the document identifiers (blind indexes)."""
        rows = await self.conn.fetch(
            "SELECT person_id, search_name, name_words, born_on,"
            " coalesce(tax_code_index = ANY($5::text[])"
            "  OR residence_permit_index = ANY($5::text[]), false) AS same_document"
            " FROM persons WHERE partner_id = $1 AND merged_into IS NULL"
            " AND ((name_words && $2::text[] AND born_on BETWEEN $3 AND $4)"
            "  OR tax_code_index = ANY($5::text[]) OR residence_permit_index = ANY($5::text[]))",
            partner_id,
            list(words),
            *born_between,
            list(document_indexes),
        )
        return [
            CandidateRow(
                r["person_id"],
                r["search_name"],
                tuple(r["name_words"]),
                r["born_on"],
                r["same_document"],
            )
            for r in rows
        ]

    async def persons_by_ids(self, partner_id: str, person_ids: Sequence[UUID]) -> list[Person]:
        """The partner's records with these ids, in the order given."""
        rows = await self.conn.fetch(
            "SELECT * FROM persons WHERE partner_id = $1 AND person_id = ANY($2::uuid[])",
            partner_id,
            list(person_ids),
        )
        by_id = {r["person_id"]: self._person(r) for r in rows}
        return [by_id[i] for i in person_ids if i in by_id]
