"""Numbers are read the French way: groups spelled in words."""

from __future__ import annotations

import pytest

from ivr.flow.words import group_words, number_words, spoken_number


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("09 80 80 03 07", "zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro sept"),
        ("0 800 800 854", "zéro, huit cents, huit cents, huit cent cinquante-quatre"),
        ("06 08 28 25 89", "zéro six, zéro huit, vingt-huit, vingt-cinq, quatre-vingt-neuf"),
        ("02 31 86 38 28", "zéro deux, trente et un, quatre-vingt-six, trente-huit, vingt-huit"),
        ("0 826 000 401", "zéro, huit cent vingt-six, zéro zéro zéro, quatre cent un"),
        ("0 800 288 038", "zéro, huit cents, deux cent quatre-vingt-huit, zéro trente-huit"),
        ("15", "quinze"),
        ("112", "cent douze"),
        ("114", "cent quatorze"),
        ("31 14", "trente et un quatorze"),
    ],
)
def test_seed_and_emergency_numbers(written, spoken):
    assert spoken_number(written) == spoken
    assert not any(ch.isdigit() for ch in spoken)


def test_groups_are_kept():
    assert number_words("09 80 80 03 07") == ("zéro neuf", "quatre-vingts", "quatre-vingts", "zéro trois", "zéro sept")


@pytest.mark.parametrize(
    ("group", "words"),
    [("0", "zéro"), ("00", "zéro zéro"), ("71", "soixante et onze"), ("97", "quatre-vingt-dix-sept")],
)
def test_group_words(group, words):
    assert group_words(group) == words


def test_group_words_refuses_non_digits():
    with pytest.raises(ValueError, match="not a group of digits"):
        group_words("1a")
