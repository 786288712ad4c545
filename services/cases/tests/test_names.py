"""Names as search and the duplicate check compare them: words, skeletons, word matches (pure)."""

from __future__ import annotations

import pytest
from franoi_cases.domain.names import (
    Term,
    WordMatch,
    allowed_edits,
    edit_distance,
    match_word,
    name_words,
    score,
    search_terms,
    skeleton,
    terms,
)


def skeletons(name: str) -> list[str]:
    return [skeleton(w) for w in name_words(name)]


def match(searched: str, word: str, *, parts: bool = True) -> WordMatch | None:
    (term,) = terms(searched)
    (folded,) = name_words(word)
    return match_word(term, folded, skeleton(folded), parts=parts)


# --- words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Ngozi Okonkwò", ["ngozi", "okonkwo"]),
        ("  NGOZI   okonkwo ", ["ngozi", "okonkwo"]),
        ("N'Diaye", ["ndiaye"]),
        ("Ndiaye", ["ndiaye"]),
        ("N\u2019Diaye", ["ndiaye"]),
        ("Abdel-Rahman", ["abdel", "rahman"]),
        ("Aïssatou Sidibé", ["aissatou", "sidibe"]),
        ("Søren Łukasz Đorđe", ["soren", "lukasz", "dorde"]),
        ("STRAẞE Æsa Œuvre Þór", ["strasse", "aesa", "oeuvre", "thor"]),
        ("J. R. 2nd", ["j", "r", "nd"]),
        ("محمد", []),
        ("", []),
    ],
)
def test_name_words_fold_accents_case_and_apostrophes(name: str, words: list[str]) -> None:
    assert name_words(name) == words


# --- skeletons: the variants of a name meet ------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ["Mohamed", "Mohammed", "Muhammad", "Mohammad", "Muhamed", "Maxamed"],
        ["Yusuf", "Youssef", "Yousef", "Youcef"],
        ["Osman", "Usman", "Ousman"],
        ["Ibrahim", "Ebrahim", "Ibraheem"],
        ["Mariam", "Maryam", "Miriam", "Meryem"],
        ["Diallo", "Dialo", "Jallow", "Jalloh"],
        ["Fatimah", "Fatima", "Fatouma"],
        ["Aisha", "Aicha", "Aïcha", "Ayesha"],
        ["Mustapha", "Mustafa", "Moustafa"],
        ["Aboubacar", "Abubakar", "Abubacar"],
        ["Khadija", "Khadidja", "Kadija"],
        ["Tesfaye", "Tesfay"],
        ["Hussein", "Husain", "Hossein"],
        ["Ouattara", "Wattara"],
        ["Ngozi", "Ngosi"],
        ["Cissé", "Sisse"],
        ["Hassan", "Xasan"],
    ],
)
def test_transliterations_share_a_skeleton(variants: list[str]) -> None:
    assert len({skeleton(name_words(v)[0]) for v in variants}) == 1, [
        skeletons(v) for v in variants
    ]


@pytest.mark.parametrize(
    ("one", "other"),
    [("Kone", "Keita"), ("Ngozi", "Chidi"), ("Ahmed", "Hamid"), ("Yusuf", "Yunus"),
     ("Ibrahim", "Ismail"), ("Diallo", "Diop")],
)  # fmt: skip
def test_different_names_keep_different_skeletons(one: str, other: str) -> None:
    assert skeletons(one) != skeletons(other)


def test_skeleton_rules_one_by_one() -> None:
    assert skeleton("philip") == "falap"  # ph -> f, vowel runs -> a
    assert skeleton("khalid") == "kalad"  # kh -> k
    assert skeleton("cecilia") == "sasala"  # soft c -> s
    assert skeleton("carlo") == "karla"  # hard c -> k
    assert skeleton("yusuf") == "yasaf"  # a y starting a word before a vowel stays
    assert skeleton("yaya") == "ya"  # elsewhere it is a vowel
    assert skeleton("ayyub") == "ab"  # elsewhere y is a vowel, runs fold, doubles go
    assert skeleton("dialla") == "jala"  # di before a vowel at the start -> j
    assert skeleton("adia") == "ada"  # not at the start
    assert skeleton("abdallah") == "abdala"  # final h after a vowel goes
    assert skeleton("shah") == "sa"
    assert skeleton("xasan") == "hasan"  # Somali x
    assert skeleton("mohammed") == "mahamad"


# --- edits and word matches ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("abcd", "acbd", 1),
     ("mahmad", "mahamad", 1), ("akankwa", "akanka", 1), ("ca", "abc", 3)],
)  # fmt: skip
def test_edit_distance_counts_a_swap_of_neighbours_as_one(a: str, b: str, edits: int) -> None:
    assert edit_distance(a, b) == edits == edit_distance(b, a)


def test_longer_words_allow_more_edits() -> None:
    assert [allowed_edits(n) for n in (1, 4, 5, 7, 8, 15)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize(
    ("searched", "word", "expected"),
    [
        ("okonkwo", "Okonkwò", WordMatch.SAME),
        ("Muhammad", "Mohamed", WordMatch.SAME_SKELETON),
        ("Mohmaed", "Mohamed", WordMatch.SIMILAR),  # typo: letters swapped
        ("Okonkow", "Okonkwo", WordMatch.SIMILAR),
        ("Abdirahman", "Abdulrahman", WordMatch.SIMILAR),
        ("Mohamd", "Mohamed", WordMatch.SIMILAR),
        ("Hodan", "Hoda", WordMatch.SIMILAR),
        ("Hodan", "Hassan", None),  # skeletons one edit apart, the words are not
        ("Mohamd", "Muhammad", None),  # a typo of another spelling: too far as typed
        ("Fatma", "Fatima", WordMatch.SIMILAR),
        ("konk", "Okonkwo", WordMatch.PART),
        ("amina", "Aminata", WordMatch.PART),
        ("Kone", "Keita", None),  # short: no edit allowed
        ("Hassan", "Hamdan", None),
        ("Ngozi", "Chidi", None),
        ("ok", "Okonkwo", None),  # a part must be three letters or more
    ],
)
def test_how_a_searched_word_matches_a_word_of_a_name(
    searched: str, word: str, expected: WordMatch | None
) -> None:
    assert match(searched, word) is expected


def test_parts_count_only_where_asked() -> None:
    assert match("konk", "Okonkwo", parts=False) is None
    assert match("okonkwo", "okonkwo", parts=False) is WordMatch.SAME


def test_terms_are_the_distinct_words_with_their_skeletons() -> None:
    assert terms("Mohamed  MOHAMED Ali-Hassan") == [
        Term("mohamed", "mahamad"),
        Term("ali", "ala"),
        Term("hassan", "hasan"),
    ]
    assert terms("100%") == []
    assert [t.word for t in search_terms("M. Diallo")] == ["diallo"]  # an initial: no term
    assert search_terms("A B") == []
    assert Term("ab", "ab").part_pattern is None
    assert Term("abd", "abd").part_pattern == "%abd%"


def test_score_is_the_mean_weight_of_each_words_best_match() -> None:
    assert score([WordMatch.SAME, WordMatch.SAME]) == 1.0
    assert score([WordMatch.SAME, WordMatch.SAME_SKELETON]) == 0.95
    assert score([WordMatch.SIMILAR, None]) == 0.35
    assert score([WordMatch.PART, WordMatch.SIMILAR, WordMatch.SAME]) == 0.73
    assert score([]) == 0.0
