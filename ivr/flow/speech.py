"""What a caller says, understood as the keys they could have pressed.

Every menu, read-out and département question also listens (Twilio's speech recognition, fr-FR).
The words come from prompts/fr.yaml (`words`): the line's own (`operator` = 0, `distress` = 0,
`repeat` = *, `back` = #, in every prompt) and one list per menu choice, named like its label; a
choice's label is one of its words too. A key can be said ("un", "tapez deux", "étoile"). A
département is understood by its number, in digits or in words (text2num), or by its name
(data/councils.yaml).

Words of distress ("je n'en peux plus", "idées noires") come first: found anywhere in what was
said, however long, whatever else was said with them ("aide financière, je veux en finir"), they
mean 0, a person, and no need is read. A choice's list may not hold one (`ivr check`). Only who the
caller is still counts: at a menu whose choices say who the caller is, words of distress with one
such choice ("je suis pharmacienne et je veux mourir") press that choice, then 0: a person of the
line that serves them, at once; with none, or more than one, 0 (the line for every caller).

Who has no line of their own (`others`: every other profession, students, relatives) is understood
at those menus as 0, the line for every caller, and never yields to a choice said with it: "ma femme
est médecin" and "je suis la fille d'un pharmacien" are a relative, not the doctor or the pharmacist.

Matching is on whole words, without accents, case or hyphens; a longer phrase wins over the words
inside it ("aide financière" over "aide"); near misses are caught by rapidfuzz only when nothing
matched exactly. A phrase inside a longer one of another meaning does not win on that part: the
words around it near that phrase make it that phrase ("bouche du rhône" is 13, not "rhône", 69),
only close to it, unsure ("bouge du rhône"). At a département, a letter beside a number is read
("2A", "deux B": Corsica) and a city means its département (`cities:`). A correction keeps what
follows it ("quatorze, non pardon, quinze": 15). A word of the operator list said with one other
meaning yields to it ("c'est urgent, j'ai plus d'argent": the financial aid).

Negation: a phrase (a choice's words, a département's name or number, a key said) that starts in
the reach of a negation is not meant ("je ne suis pas médecin", "ce n'est pas une agression", "ni
médecin ni infirmière", "pas le quatorze"). The negations are "pas", "jamais", "ni", "aucun",
"aucune", and "plus" only after "ne" ("je ne suis plus interne"; "j'ai plus d'argent" is no
negation). One reaches the next three words, small words ("de", "l'", "du", "tout", "pour"...) not
counted, up to a new clause ("je", "c'est", "mais"): "je ne suis pas médecin, je suis infirmière" is
the other profession. A meaning negated is not taken from elsewhere in the words either ("pas
généraliste ou psychiatre": not a doctor), and words ending on a negation ("médecin ? non", "je
ne le suis plus") mean nothing sure; so a negation only ever drops a meaning, leaving the other
clear one or putting the caller through, never sending them elsewhere. A negation that is part of
a phrase keeps that phrase's meaning: the words of distress ("je n'en peux plus"), the operator's
"je ne sais pas", "Pas-de-Calais", "pas le moral", a lack that is the need ("je n'ai plus d'argent",
"je n'arrive plus à payer"). "non" marks a correction, not a negation, unless glued to a word
("non-médecin" is "pas médecin"); a correction followed by a negation is not read past: it is a
refusal ("quatorze, non, pas quatorze", "médecin, non, pas vraiment": nothing sure).

Whatever is not understood for sure (a low confidence, no match, two meanings, a meaning negated
and nothing else clear) is answered like silence: the caller is put through to a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rapidfuzz import fuzz, process
from text_to_num import alpha2digit

from ..errors import Problem
from .model import (
    BACK_KEY,
    KEY_PROMPTS,
    OPERATOR_KEY,
    READOUT_REPEAT_KEY,
    REPEAT_KEY,
    SYNTHETIC_SEP,
    Department,
    Menu,
    Node,
    Readout,
)

Keys = tuple[str, ...]  # the keys a caller could have pressed, in turn ("20", "1": Corse-du-Sud)
NOTHING: Keys = ()
# a longer phrase around a phrase: its words joined, how many, its keys, its words before and after it
Around = tuple[str, int, Keys, tuple[str, ...], tuple[str, ...]]
DISTRESS = "distress"  # the list of words of distress: 0 wherever they are said
OTHERS = "others"  # who has no line of their own: 0 at a menu whose choices say who calls, never yielding
LINE_WORDS = {"operator": OPERATOR_KEY, DISTRESS: OPERATOR_KEY, "repeat": REPEAT_KEY, "back": BACK_KEY}
UNDERSTOOD, NOT_UNDERSTOOD, UNSURE = "understood", "not understood", "unsure"
OUTCOMES = (UNDERSTOOD, NOT_UNDERSTOOD, UNSURE)
MAX_WORDS = 16  # a caller choosing says a few words; the rest is read for words of distress only
FUZZY_CUTOFF = 88  # rapidfuzz ratio (0-100) for a near miss ("calvado", "psychologues")
FUZZY_MIN_CHARS = 5  # shorter words and phrases match exactly only: "aube" is not "aude"
MAX_HINTS, MAX_HINT_CHARS = 500, 100  # Twilio's limits on <Gather hints>
NEAR_CUTOFF = 75  # a longer phrase of another meaning this near around a phrase found: unsure
# Said before the answer that counts: what follows the last of them is kept when it means something
# ("quatorze, non pardon, quinze"); "pardon" alone still repeats.
CORRECTIONS = ("non", "pardon", "plutot", "je veux dire", "je me suis trompe", "je me trompe")
# Said around a key ("euh, le deux", "c'est la touche trois s'il vous plaît"): a key said alone still.
FILLERS = frozenset(
    "euh heu hum hmm ben bah bon alors voila bonjour merci oui madame monsieur s il vous plait svp "
    "c est ce sera le la l je veux voudrais prends choisis choix touche option numero".split()
)
LETTERS = ("a", "b")  # said after a number: "deux A" is 2A (Corse-du-Sud)
# Negation (see the module's docstring): a phrase, a key or a number said just after one of these is
# not meant ("je ne suis pas médecin"); "plus" only after "ne" ("je ne suis plus interne", not "j'ai
# plus d'argent"). "non" marks a correction instead, except glued to a word ("non-médecin").
NEGATIONS = frozenset(("pas", "jamais", "ni", "aucun", "aucune"))
NO_MORE, NE = "plus", frozenset(("ne", "n"))
NEGATION_REACH = 3  # the words a negation reaches, besides the small words below
SMALL = frozenset("de d du des l la le les un une pour en a au aux tout".split())  # "pas du tout pour de l'argent"
NEW_CLAUSE = frozenset(("je", "j", "c", "mais"))  # "pas médecin, je suis infirmière": the negation stops
_GLUED_NON = re.compile(r"\bnon-(?=\w)", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def plain(text: str) -> str:
    """Lower-case, without accents, hyphens or apostrophes: "Côtes-d'Armor" -> "cotes d armor"."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return " ".join(_WORD.findall("".join(c for c in text if not unicodedata.combining(c))))


def _numbers(words: Iterable[str]) -> tuple[list[str], bool]:
    """The numbers said, in digits ("vingt deux" -> 22, "zéro un" -> 01, "neuf sept un" -> 971),
    and whether other words were said."""
    text = " ".join("zéro" if w == "zero" else w for w in words)
    numbers: list[str] = []
    others, joined = False, False
    for token in alpha2digit(text, "fr", threshold=0).split():
        if _NUMBER.fullmatch(token):
            if joined:
                numbers[-1] += token
            else:
                numbers.append(token)
            joined = True
        else:
            others, joined = True, False
    return numbers, others


@dataclass(frozen=True)
class Listener:
    """What one node understands: phrases (by their first word), the keys a caller may say as a
    number, and at a département the codes said; `hints` for Twilio's recognition."""

    phrases: Mapping[str, tuple[tuple[tuple[str, ...], Keys], ...]]
    fuzzy: Mapping[int, tuple[tuple[str, ...], tuple[Keys, ...]]]  # words in a phrase -> phrases, keys
    keys: Mapping[str, Keys]  # a number said alone -> keys ("1" -> ("1",)); "*"/"#" by their names
    codes: Mapping[str, Keys] = field(default_factory=dict)  # a département: any number said -> keys
    digits: int = 0  # a département's digits: "un" is "01"
    hints: str = ""
    press: str = "tapez"  # said before a key
    echo: Keys = NOTHING  # a read-out: digits said back (the caller noting the number) read it again
    distress: Listener | None = None  # the words of distress, the same at every node, looked for first
    # a phrase -> the longer phrases of another meaning around it ("rhone": "bouches du rhone", 13)
    within: Mapping[tuple[str, ...], tuple[Around, ...]] = field(default_factory=dict)
    letters: Mapping[str, Keys] = field(default_factory=dict)  # a code with a letter: "2a" -> ("20", "1")
    who: frozenset[str] = frozenset()  # the keys of choices that say who the caller is
    others: frozenset[tuple[str, ...]] = frozenset()  # phrases of `others`: 0, never yielding to a choice


@dataclass(frozen=True)
class Heard:
    """What a caller's words mean here: the keys (none: answered like silence), and how sure."""

    keys: Keys
    outcome: str
    distress: bool = False  # words of distress were said: the whisper says so first


def _near(queries: Sequence[str], choices: Sequence[str]) -> Iterator[tuple[int, int]]:
    """The near misses, as (query, choice) indexes. The ratio is symmetric: rapidfuzz is given the
    longer list (a menu's hundred names, or the windows of a long sentence searched for distress)."""
    if len(queries) <= len(choices):
        for q, query in enumerate(queries):
            for _, _, c in process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None):
                yield q, c
    else:
        for c, choice in enumerate(choices):
            for _, _, q in process.extract(choice, queries, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None):
                yield q, c


def _spans(listener: Listener, words: tuple[str, ...]) -> list[tuple[int, int, Keys]]:
    """Find the phrases said: exact first; near misses only when nothing matched exactly. A phrase
    inside a longer one found ("aide" in "aide financière") is dropped; a phrase found inside words
    near a longer phrase of another meaning is that phrase when they are near enough ("bouche du
    rhône" is the Bouches-du-Rhône, not the Rhône), and unsure (NOTHING) when they are only close."""
    found = [
        (i, i + len(phrase), keys)
        for i, word in enumerate(words)
        for phrase, keys in listener.phrases.get(word, ())
        if words[i : i + len(phrase)] == phrase
    ]
    if not found:
        for size, (choices, keys_of) in listener.fuzzy.items():
            queries = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
            near = _near(queries, choices)
            found += [(i, i + size, keys_of[c]) for i, c in near if len(queries[i]) >= FUZZY_MIN_CHARS]
    elif listener.within:
        found = [_around(listener, words, span) for span in found]
    return [(a, b, k) for a, b, k in found if not any(c <= a and b <= d and (d - c) > (b - a) for c, d, _ in found)]


def _around(listener: Listener, words: tuple[str, ...], span: tuple[int, int, Keys]) -> tuple[int, int, Keys]:
    """The span found; or the longer phrase of another meaning when the words around it are near
    that phrase ("bouche du rhône"); or unsure (NOTHING) when the words beside it are only close to
    that phrase's ("bouge du rhône"; but "interne en psychiatrie" is an interne)."""
    a, b, _ = span
    longer = listener.within.get(words[a:b])
    if not longer:
        return span
    best, best_span, close = 0.0, span, False
    for text, size, keys, before, after in longer:
        for width in (size - 1, size, size + 1):
            for start in range(max(0, b - width), min(a, len(words) - width) + 1):
                score = fuzz.ratio(" ".join(words[start : start + width]), text)
                if score > best:
                    best, best_span = score, (start, start + width, keys)
        beside = " ".join((*words[max(0, a - len(before)) : a], *words[b : b + len(after)]))
        close = close or fuzz.ratio(beside, " ".join((*before, *after))) >= NEAR_CUTOFF
    if best >= FUZZY_CUTOFF:
        return best_span
    return (a, b, NOTHING) if close else span


def _letters(listener: Listener, words: tuple[str, ...]) -> list[tuple[int, int, Keys]]:
    """The codes said with a letter: "2A", "2 A", "deux B" (Corsica)."""
    found = []
    for i, word in enumerate(words):
        if word in listener.letters:
            found.append((i, i + 1, listener.letters[word]))
        elif i + 1 < len(words) and words[i + 1] in LETTERS:
            number = "2" if word == "deux" else word
            if number + words[i + 1] in listener.letters:
                found.append((i, i + 2, listener.letters[number + words[i + 1]]))
    return found


def understand(listener: Listener, text: str, confidence: float | None, threshold: float) -> Heard:
    """Understand what a caller said at a node; `confidence` is Twilio's (None when it sent none)."""
    # Unsure words are answered like silence before anything is looked for, words of distress
    # included: silence puts the caller through to a person at once, as 0 does, so a caller in
    # distress whom Twilio heard badly reaches the same person.
    if confidence is not None and not confidence >= threshold:  # NaN is not sure either
        return Heard((), UNSURE)
    words = tuple(plain(_GLUED_NON.sub("pas ", text)).split())  # "non-médecin": "pas médecin"
    if listener.distress is not None and (alarm := _spans(listener.distress, words)):  # anywhere, over any choice
        return Heard((*_who(listener, words, alarm), OPERATOR_KEY), UNDERSTOOD, distress=True)
    words = words[:MAX_WORDS]
    if not words:
        return Heard((), NOT_UNDERSTOOD)
    if words[0] == listener.press and len(words) > 1:  # "tapez un"
        words = words[1:]
    keys, negated = _meaning(listener, _after_correction(words))  # no words: (NOTHING, False)
    if not keys and not negated:  # "quatorze, non, pas quatorze", "médecin, non, pas vraiment": a refusal
        keys, _ = _meaning(listener, words)
    return Heard(keys, UNDERSTOOD) if keys else Heard((), NOT_UNDERSTOOD)


def _who(listener: Listener, words: tuple[str, ...], alarm: Sequence[tuple[int, int, Keys]]) -> Keys:
    """The choice that says who a caller in distress is, when the rest of their words name exactly
    one ("je suis infirmière et j'ai envie de mourir"); else none: 0 alone."""
    if not listener.who:
        return NOTHING
    rest = tuple(w for i, w in enumerate(words) if not any(a <= i < b for a, b, _ in alarm))
    keys, _ = _meaning(listener, rest[:MAX_WORDS])
    return keys if len(keys) == 1 and keys[0] in listener.who else NOTHING


def _after_correction(words: tuple[str, ...]) -> tuple[str, ...]:
    """What was said after the last correction ("quatorze, non pardon, quinze": "quinze"), or ()."""
    ends = [
        i + len(marker) for i in range(len(words)) for marker in _CORRECTIONS if words[i : i + len(marker)] == marker
    ]
    return words[max(ends) :] if ends else ()


_CORRECTIONS = tuple(tuple(c.split()) for c in CORRECTIONS)


def _negated(words: tuple[str, ...], spans: Sequence[tuple[int, int, Keys]]) -> tuple[set[int], bool]:
    """The places a negation reaches (a phrase starting there is not meant), and whether the words
    end on one ("médecin ? non", "je ne le suis pas"). A negation reaches the next NEGATION_REACH
    words, small words not counted ("pas du tout pour de l'argent"), until a new clause starts ("je",
    "mais"), and the whole number it reaches ("pas quatre-vingt-treize"). A negation inside a
    phrase found ("je ne sais pas", "pas de calais") negates nothing."""
    inside = {i for a, b, _ in spans for i in range(a, b)}
    reached: set[int] = set()
    last = -1
    for j in range(len(words)):
        if j in inside or not _negates(words, j):
            continue
        last = j
        i, counted = j + 1, 0
        while i < len(words) and words[i] not in NEW_CLAUSE and counted < NEGATION_REACH:
            reached.add(i)
            counted += words[i] not in SMALL
            i += 1
        # Only after NEGATION_REACH words: the first loop stops early only at the end or a new clause.
        while i < len(words) and _is_number(words[i - 1]) and _is_number(words[i]):
            reached.add(i)
            i += 1
    tail = [i for i, w in enumerate(words) if w not in FILLERS and w not in SMALL]
    ends_on_one = bool(tail) and (tail[-1] == last or (words[tail[-1]] == "non" and tail[-1] not in inside))
    return reached, ends_on_one


def _negates(words: tuple[str, ...], j: int) -> bool:
    """Whether the word at j is a negation: "plus" only after "ne" ("je n'en suis plus")."""
    if words[j] == NO_MORE:
        return any(w in NE for w in words[max(0, j - NEGATION_REACH) : j])
    return words[j] in NEGATIONS


def _is_number(word: str) -> bool:
    """A word of a number: "quatre", "vingt", "14", or the "et" of "soixante et onze"."""
    return word == "et" or bool(_NUMBER.fullmatch(alpha2digit(word, "fr", threshold=0)))


def _meaning(listener: Listener, words: tuple[str, ...]) -> tuple[Keys, bool]:
    """The one meaning of the words (NOTHING: none, or more than one), and whether a negation
    reaches any of them."""
    spans = _spans(listener, words)
    if listener.letters:
        letters = _letters(listener, words)
        spans = [s for s in spans if not any(a <= s[0] < b for a, b, _ in letters)] + letters
    reached, ends_negated = _negated(words, spans)
    if ends_negated:
        return NOTHING, True
    # Any word in the reach of a negation: after a correction, a refusal ("médecin, non, pas vraiment"),
    # not to be read past either.
    negated = bool(reached)
    denied = {keys for a, _, keys in spans if a in reached}  # not taken from elsewhere in the words either
    meanings = {keys for a, _, keys in spans if a not in reached} - denied
    outside = [i for i in range(len(words)) if not any(a <= i < b for a, b, _ in spans)]
    said = [words[i] for i in outside if i not in reached]
    alone = " ".join(w for w in said if w not in FILLERS)
    if not spans and alone in listener.keys:  # "étoile"
        meanings.add(listener.keys[alone])
    numbers, others = _numbers(w for w in said if w not in FILLERS)
    if listener.codes:  # a département: a number anywhere, outside the names found
        for number in numbers:
            meanings.add(listener.codes.get(number.zfill(listener.digits), NOTHING))
    elif not spans and not meanings:  # a key said alone ("un", "tapez deux"); at a read-out, the number echoed
        if not numbers or others:
            return NOTHING, negated
        # Numbers said one after another are one number ("zéro huit", "08"): the key, or the echo.
        meanings.add(listener.keys.get(numbers[0], listener.echo))
    if any(words[a:b] in listener.others for a, b, _ in spans if a not in reached):  # "ma femme est médecin"
        return (OPERATOR_KEY,), negated  # whoever has no line of their own: the line for everyone, firmly
    if len(meanings) > 1 and NOTHING not in meanings:  # "c'est urgent, j'ai plus d'argent": the choice
        meanings.discard((OPERATOR_KEY,))
    if len(meanings) == 1 and NOTHING not in meanings:
        return meanings.pop(), negated
    return NOTHING, negated


# -- building what each node understands, once, from the data --------------------------------------
def parse_words(raw: Any, file: str, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    """Read the `words` section of the prompts file: name -> phrases, as written."""
    section = raw.get("words") if isinstance(raw, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        problems.append(
            Problem(
                file,
                "words",
                f"expected lists of words by name ({', '.join(LINE_WORDS)}, or the label of a menu choice)",
            )
        )
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for name, phrases in section.items():
        where = f"words.{name}"
        if not isinstance(phrases, list) or not phrases:
            problems.append(Problem(file, where, "expected a list of words or phrases: [médecin, docteur]"))
            continue
        kept = []
        for phrase in phrases:
            if not isinstance(phrase, str) or not plain(phrase):
                problems.append(Problem(file, where, f"expected a word or phrase, got {phrase!r}"))
            elif any(c.isdigit() for c in phrase):
                problems.append(
                    Problem(
                        file, where, f'{phrase!r}: no digits; a number said is a key ("un" presses 1) or a département'
                    )
                )
            elif "," in phrase or len(phrase) > MAX_HINT_CHARS:
                problems.append(
                    Problem(
                        file,
                        where,
                        f"{phrase!r}: one phrase per entry, without commas, at most {MAX_HINT_CHARS} characters",
                    )
                )
            else:
                kept.append(" ".join(phrase.split()))
        out[str(name)] = tuple(kept)
    return out


class _Words:
    """The phrases of one node, each with its keys and where it was written (for problems)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, ...], tuple[Keys, str]] = {}
        self.hints: list[str] = []

    def add(self, phrase: str, keys: Keys, where: str, hint: bool, clash: list[tuple[str, str, str]]) -> None:
        norm = tuple(plain(phrase).split())
        if not norm:
            return
        known = self.entries.get(norm)
        if known is not None and known[0] != keys:
            clash.append((where, phrase, known[1]))
            return
        self.entries.setdefault(norm, (keys, where))
        hint_text = " ".join(phrase.replace(",", " ").split())  # commas separate Twilio's hints
        if hint and hint_text not in self.hints:
            self.hints.append(hint_text)

    def listener(
        self,
        press: str,
        keys: Mapping[str, Keys],
        codes: Mapping[str, Keys] = MappingProxyType({}),
        digits: int = 0,
        echo: Keys = NOTHING,
        distress: Listener | None = None,
        letters: Mapping[str, Keys] = MappingProxyType({}),
        who: frozenset[str] = frozenset(),
        others: frozenset[tuple[str, ...]] = frozenset(),
    ) -> Listener:
        by_first: dict[str, list[tuple[tuple[str, ...], Keys]]] = {}
        by_size: dict[int, tuple[list[str], list[Keys]]] = {}
        for norm, (k, _) in {**self._in_digits(), **self.entries}.items():
            by_first.setdefault(norm[0], []).append((norm, k))
            if len(" ".join(norm)) >= FUZZY_MIN_CHARS and not any(w.isdigit() for w in norm):  # "aube", "aude"
                choices, keys_of = by_size.setdefault(len(norm), ([], []))
                choices.append(" ".join(norm))
                keys_of.append(k)
        return Listener(
            phrases=MappingProxyType({w: tuple(p) for w, p in by_first.items()}),
            fuzzy=MappingProxyType({n: (tuple(c), tuple(k)) for n, (c, k) in by_size.items()}),
            keys=MappingProxyType(dict(keys)),
            codes=MappingProxyType(dict(codes)),
            digits=digits,
            hints=", ".join(self.hints[:MAX_HINTS]),
            press=press,
            echo=echo,
            distress=distress,
            within=MappingProxyType(self._within()),
            letters=MappingProxyType(dict(letters)),
            who=who,
            others=others,
        )

    def _in_digits(self) -> dict[tuple[str, ...], tuple[Keys, str]]:
        """The phrases with a number in them as the recognizer may write it: "Deux-Sèvres", "2 Sèvres",
        "premier", "1er"."""
        out = {}
        for norm, entry in self.entries.items():
            written = tuple(alpha2digit(" ".join(norm), "fr", threshold=0).split())
            if written != norm:  # a phrase already written so wins: the entries are merged over these
                out[written] = entry
        return out

    def _within(self) -> dict[tuple[str, ...], tuple[Around, ...]]:
        """Each phrase inside a longer one of another meaning, with that phrase."""
        out: dict[tuple[str, ...], list[Around]] = {}
        for longer, (keys, _) in self.entries.items():
            for size in range(1, len(longer)):
                for start in range(len(longer) - size + 1):
                    inner = self.entries.get(longer[start : start + size])
                    if inner is not None and inner[0] != keys:
                        around = (" ".join(longer), len(longer), keys, longer[:start], longer[start + size :])
                        out.setdefault(longer[start : start + size], []).append(around)
        return {inner: tuple(found) for inner, found in out.items()}


def _said_keys(prompts: Mapping[str, str], offered: Iterable[str]) -> dict[str, Keys]:
    """The keys a caller may say: digits by their number, * and # by their names ("étoile")."""
    out: dict[str, Keys] = {}
    for key in offered:
        if key.isdigit():
            out[key] = (key,)
        elif KEY_PROMPTS.get(key) in prompts:
            out[plain(prompts[KEY_PROMPTS[key]])] = (key,)
    return out


def _department_codes(nodes: Mapping[str, Node], dep: Department) -> dict[str, Keys]:
    """Every number a caller may say at a département question: its codes, and the whole codes of
    the further questions ("971" is "97" then "1")."""
    codes: dict[str, Keys] = {code: (code,) for code in dep.codes}
    for code, target in dep.codes.items():
        further = nodes.get(target)
        if isinstance(further, Department):
            codes.update({code + rest: (code, rest) for rest in further.codes})
    return codes


def _names(
    nodes: Mapping[str, Node], places: Mapping[str, Sequence[str]], keys: Keys, target: str
) -> list[tuple[str, Keys]]:
    """The names a caller may say for the node reached by `keys` (a département, its cities), and for
    what lies one question further (Corse-du-Sud is "20" then "1")."""
    out = [(name, keys) for name in places.get(target, ())]
    for k, t in _moves(nodes, target):
        out += [(name, (*keys, k)) for name in places.get(t, ())]
    return out


def _moves(nodes: Mapping[str, Node], nid: str) -> list[tuple[str, str]]:
    """The keys a further question takes, and where each leads."""
    further = nodes.get(nid)
    if isinstance(further, Menu):
        return [(o.key, o.target) for o in further.options]
    if isinstance(further, Department):
        return list(further.codes.items())
    return []


def _letters_of(nodes: Mapping[str, Node], dep: Department) -> dict[str, Keys]:
    """The codes with a letter a caller may say at a département question: "2a" -> ("20", "1")."""
    out: dict[str, Keys] = {}
    for code, target in dep.codes.items():
        for key, final in _moves(nodes, target):
            insee = final.rpartition(SYNTHETIC_SEP)[2]
            if final.startswith(dep.id + SYNTHETIC_SEP) and not insee.isdigit():
                out[plain(insee).replace(" ", "")] = (code, key)
    return out


def _distress(
    words: Mapping[str, tuple[str, ...]], file: str, problems: list[Problem]
) -> tuple[Listener | None, dict[str, tuple[str, ...]]]:
    """What finds the words of distress, and the other lists without the phrases it would take for
    one: each is reported, naming the file and list, unless its list means 0 as well."""
    alarm = _Words()
    for phrase in words.get(DISTRESS, ()):
        alarm.add(phrase, (OPERATOR_KEY,), f"words.{DISTRESS}", False, [])
    if not alarm.entries:
        return None, dict(words)
    finder = alarm.listener("", {})
    kept: dict[str, tuple[str, ...]] = {}
    for name, phrases in words.items():
        kept[name] = phrases
        if LINE_WORDS.get(name) == OPERATOR_KEY:  # operator: "détresse" there means 0 too
            continue
        meant = f"key {LINE_WORDS[name]}" if name in LINE_WORDS else "this choice"
        for phrase in phrases:
            norm = tuple(plain(phrase).split())
            spans = _spans(finder, norm)
            if spans:
                found = " ".join(norm[spans[0][0] : spans[0][1]])
                problems.append(
                    Problem(
                        file,
                        f"words.{name}",
                        f"{phrase!r} is taken for a word of distress ({found!r}, words.{DISTRESS}): a caller "
                        f"in distress must reach a person, never {meant}; remove it from this list",
                    )
                )
                kept[name] = tuple(p for p in kept[name] if p != phrase)
    return finder, kept


def listeners(
    nodes: Mapping[str, Node],
    prompts: Mapping[str, str],
    words: Mapping[str, tuple[str, ...]],
    places: Mapping[str, Sequence[str]],
    file: str,
    problems: list[Problem],
) -> Mapping[str, Listener]:
    """Build what every node that takes keys understands; report, naming the file and list, a name
    that is neither a line word nor a choice's label, a phrase with two meanings in one prompt, and a
    word of distress in a list that does not mean 0."""
    labels = {o.say for n in nodes.values() if isinstance(n, Menu) for o in n.options if SYNTHETIC_SEP not in o.say}
    for name in words:  # a prompt no choice uses any more keeps its words, as it keeps its sentence
        if name not in LINE_WORDS and name != OTHERS and name not in prompts:
            problems.append(
                Problem(
                    file,
                    f"words.{name}",
                    f"unknown list {name!r}: use {', '.join((*LINE_WORDS, OTHERS))}, "
                    f"or the label of a menu choice ({', '.join(sorted(labels))})",
                )
            )
    distress, words = _distress(words, file, problems)
    prefixes = {t: code for n in nodes.values() if isinstance(n, Department) for code, t in n.codes.items()}
    press = plain(prompts.get("press", ""))
    out: dict[str, Listener] = {}
    reported: set[tuple[str, str, str]] = set()
    for nid, node in nodes.items():
        if not isinstance(node, (Menu, Readout, Department)):
            continue
        said = _Words()
        clash: list[tuple[str, str, str]] = []
        if isinstance(node, Department):  # names first: a clash is then reported on the word list
            for code, target in node.codes.items():
                for name, keys in _names(nodes, places, (code,), target):
                    said.add(name, keys, f"councils.{code}", True, clash)
        for name, key in LINE_WORDS.items():
            for phrase in words.get(name, ()):
                said.add(phrase, (key,), f"words.{name}", True, clash)
        who = frozenset(o.key for o in node.options if o.callers) if isinstance(node, Menu) else frozenset()
        others: frozenset[tuple[str, ...]] = frozenset()
        if who:  # a menu that asks who calls: who has no line of their own means 0, firmly
            others = frozenset(tuple(plain(p).split()) for p in words.get(OTHERS, ()))
            for phrase in words.get(OTHERS, ()):
                said.add(phrase, (OPERATOR_KEY,), f"words.{OTHERS}", True, clash)
        if isinstance(node, Menu):
            for option in node.options:
                for phrase in words.get(option.say, ()):
                    said.add(phrase, (option.key,), f"words.{option.say}", True, clash)
                if option.say in prompts:  # its label, said in the menu
                    said.add(
                        prompts[option.say], (option.key,), f"prompts.{option.say}", option.say not in words, clash
                    )
            offered = [o.key for o in node.options] + [OPERATOR_KEY, REPEAT_KEY, BACK_KEY]
            out[nid] = said.listener(press, _said_keys(prompts, offered), distress=distress, who=who, others=others)
        elif isinstance(node, Readout):
            offered = [READOUT_REPEAT_KEY, OPERATOR_KEY, REPEAT_KEY, BACK_KEY]
            out[nid] = said.listener(press, _said_keys(prompts, offered), echo=(REPEAT_KEY,), distress=distress)
        else:
            codes = _department_codes(nodes, node)
            if nid in prefixes:  # a further question: the whole code said ("neuf cent soixante et onze")
                codes.update({prefixes[nid] + rest: (rest,) for rest in node.codes})
            offered_keys = _said_keys(prompts, [REPEAT_KEY, BACK_KEY])
            letters = _letters_of(nodes, node)
            out[nid] = said.listener(press, offered_keys, codes, node.digits, distress=distress, letters=letters)
        for where, phrase, other in clash:
            if (where, phrase, other) not in reported:
                reported.add((where, phrase, other))
                problems.append(
                    Problem(
                        file,
                        where,
                        f"{phrase!r} also chooses something else in the same menu "
                        f"({other}): a caller saying it would be put through; keep it in one list",
                    )
                )
    return MappingProxyType(out)
