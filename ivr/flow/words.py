"""Turn a phone number into the words a French voice should say."""

from __future__ import annotations

from num2words import num2words

ZERO = num2words(0, lang="fr")


def group_words(group: str) -> str:
    """Say one group of digits: leading zeros one by one, then the rest as a number.

    "09" -> "zéro neuf", "80" -> "quatre-vingts", "800" -> "huit cents", "000" -> "zéro zéro zéro".
    """
    if not group.isdigit():
        raise ValueError(f"not a group of digits: {group!r}")
    rest = group.lstrip("0")
    words = [ZERO] * (len(group) - len(rest))
    if rest:
        words.append(num2words(int(rest), lang="fr"))
    return " ".join(words)


def number_words(written: str) -> tuple[str, ...]:
    """Say a number written in groups ("09 80 80 03 07"), one entry per group."""
    return tuple(group_words(group) for group in written.split())


def spoken_number(written: str) -> str:
    """Say a number as one phrase: commas (short pauses) between the groups of a long number,
    none in a short one ("trente et un quatorze")."""
    words = number_words(written)
    return (", " if len(words) > 2 else " ").join(words)
