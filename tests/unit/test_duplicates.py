"""Likely duplicates among proposal titles (edp.workshop.duplicates): what counts as the same theme, and
what is merely related and never grouped. Speed is measured in the bench (bench/console.py)."""

from __future__ import annotations

import pytest

from edp.workshop.duplicates import duplicate_groups, fold, same_theme, words


def grouped(*titles: str, apart=()) -> list[list[str]]:
    """The groups, as titles, for titles numbered from 1 in the order given."""
    numbered = dict(enumerate(titles, start=1))
    return [[numbered[i] for i in group] for group in duplicate_groups(numbered, apart=apart)]


def test_case_diacritics_spaces_and_punctuation_make_no_difference():
    titles = (
        "Hållbar turism i fjällen",
        "HÅLLBAR TURISM I FJÄLLEN",
        "hallbar turism i fjallen",
        "  Hållbar   turism i fjällen!  ",
        "Hållbar turism, i fjällen.",
    )
    assert grouped(*titles) == [list(titles)]


def test_word_order_and_small_words_make_no_difference():
    assert grouped("Lokal livsmedelsförädling i Jämtland", "I Jämtland: lokal livsmedelsförädling") == [
        ["Lokal livsmedelsförädling i Jämtland", "I Jämtland: lokal livsmedelsförädling"]
    ]
    assert grouped("Turism för unga", "Turism och unga", "Unga i turism") == [
        ["Turism för unga", "Turism och unga", "Unga i turism"]
    ]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Hållbar tursim", "Hållbar turism"),  # two letters swapped
        ("Hållbar trism", "Hållbar turism"),  # one dropped
        ("Hållbar turissm", "Hållbar turism"),  # one doubled
        ("Kompetensförsörning", "Kompetensförsörjning"),  # a long word: one missing
        ("Kompetensförsörnjig", "Kompetensförsörjning"),  # a long word: two slips
        ("Besöksnäring i Härjedalen", "Besöksnäringen i Härjedalen"),  # a long word: the definite form
        ("Lokala mat", "Lokal mat"),
        ("Besöks näring", "Besöksnäring"),  # a compound written apart
        ("Elektrifiering av tunga transporter", "Elektrifiering av tunga trnasporter"),
    ],
)
def test_small_typos_are_the_same_theme(typed, meant):
    assert grouped(meant, typed) == [[meant, typed]]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Digitalisering i vården", "Digitalisering i skolan"),  # one word replaced
        ("Elektrifiering av tunga transporter", "Elektrifiering av lätta transporter"),
        ("Hållbar turism", "Hållbar turism i fjällen"),  # a word added: a narrower theme
        ("Kulturarv som besöksnäring", "Kulturarv som besöksnäring i fjällen"),
        ("Hållbar turism", "Hållbart skogsbruk"),  # one word shared
        ("Vindkraft", "Vattenkraft"),
        ("Solenergi", "Vindenergi"),
        ("Export av trä", "Import av trä"),
        ("Bygg i Jämtland", "Bygd i Jämtland"),  # short words must be equal
        ("Mat", "Mål"),
    ],
)
def test_merely_related_themes_are_never_grouped(one, other):
    assert grouped(one, other) == []
    assert not same_theme(words(one), words(other))


def test_the_same_place_written_without_its_ring_is_the_same_theme():
    """Folding is deliberate: on a phone without Swedish letters "Åre" is typed "Are"."""
    assert grouped("Turism i Åre", "Turism i Are") == [["Turism i Åre", "Turism i Are"]]
    assert fold("Åre Öst Ärla") == "are ost arla"


def test_two_different_typos_of_a_title_are_grouped_around_its_spelling():
    titles = ("Digital rennäring", "Diigital rennäring", "digital rennäring", "Digittal rennaring", "Digital rnnäring")
    assert not same_theme(words(titles[1]), words(titles[3]))  # two slips apart from each other ...
    assert grouped(*titles) == [list(titles)]  # ... but each one slip from the title most people wrote


def test_a_chain_of_near_misses_does_not_join_its_ends():
    """A is like B, B like C and C like D, but neither A like C nor B like D: A and D are never
    in one group (a group is what is like its centre)."""
    a, b, c, d = "Kompetensförsörjning", "Kmopetensförsörjnign", "Kmoeptensförsörjngin", "Kmoeptnesförsröjngin"
    chain = [words(x) for x in (a, b, c, d)]
    assert all(same_theme(x, y) for x, y in zip(chain, chain[1:], strict=False))
    assert not same_theme(chain[0], chain[2]) and not same_theme(chain[1], chain[3])
    groups = grouped(a, b, c, d)
    assert groups and not [g for g in groups if a in g and d in g]


def test_groups_come_largest_first_and_each_in_the_order_proposed():
    titles = {
        7: "Grön vätgas",
        3: "Fiskodling i fjällen",
        5: "grön vätgas",
        1: "Rennäring och turism",
        9: "GRÖN VÄTGAS",
        4: "fiskodling i fjallen",
    }
    assert duplicate_groups(titles) == [(5, 7, 9), (3, 4)]


def test_themes_kept_apart_are_never_grouped_again():
    titles = ("Lokal mat", "lokal mat", "Lokala mat")
    assert grouped(*titles) == [list(titles)]
    assert grouped(*titles, apart=[(1, 3)]) == [["Lokal mat", "lokal mat"]]
    assert grouped(*titles, apart=[(1, 2), (2, 3)]) == [["Lokal mat", "Lokala mat"]]


def test_a_flood_of_copies_gives_one_group_per_title():
    """The red team's join flood: 15 joins proposing the same 20 themes each."""
    themes = [f"Tema nummer {i} om {topic}" for i, topic in enumerate(("turism", "skog", "energi", "mat") * 5)]
    titles = {n: themes[n % 20] for n in range(300)}
    groups = duplicate_groups(titles)
    assert len(groups) == 20 and all(len(g) == 15 for g in groups)
    assert all(len({titles[i] for i in g}) == 1 for g in groups)


def test_titles_without_words_are_left_out_and_stop_words_alone_still_count():
    assert grouped("", "!!!", "Och", "och") == [["Och", "och"]]
    assert words("Turism i fjällen") == ("turism", "fjallen")
    assert words("I och på") == ("i", "och", "pa")
