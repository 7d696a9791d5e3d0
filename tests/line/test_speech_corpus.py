"""What callers say (tests/speech_corpus.yaml), said through the webhook as Twilio posts it: never a
wrong route, and at least 95 % understood; the rest is put through to a person, as silence is. Words
of distress reach the transfer their keys reach, marked for whoever answers (d=1); nothing else is."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from ivr import create_app
from ivr.flow.position import DISTRESS_FLAG
from tests.paths import ROOT

from ..caller import Caller, Doc
from ..routes import key_paths

CORPUS = yaml.safe_load((ROOT / "tests" / "speech_corpus.yaml").read_text(encoding="utf-8"))
THROUGH = "through"
DISTRESS = "distress"  # {distress: [keys]}: words of distress, the keys they press
CONFIDENCE = "0.9"  # Twilio's, for words it heard well
MIN_UNDERSTOOD = 0.95
CORRECT, WRONG, PUT_THROUGH = "correct", "wrong", "put through"


def _marks(doc: Doc) -> set[str | None]:
    """The distress mark (d) of every URL of a transfer (its callback, the whisper's); none elsewhere."""
    if doc.dial is None:
        return {None}
    urls = [doc.dial.get("action"), *(n.get("url") for n in doc.dial.iter("Number") if n.get("url"))]
    return {(parse_qs(urlsplit(u).query).get("d") or [None])[0] for u in urls}


@pytest.fixture(scope="module")
def results():
    """Each line of the corpus said at its node: (node, said, expected, outcome)."""
    app = create_app(dev=True)
    client = app.test_client()
    paths = key_paths(app.extensions["ivr"].flow)
    pressed: dict[tuple[str, ...], str] = {}

    def answer(*keys: str, until_put_through: bool = False) -> str:  # what the line answers to these keys, once
        if (keys, until_put_through) not in pressed:
            caller = Caller(client)
            doc = caller.answer()
            for key in keys:
                if until_put_through and doc.dial is not None:  # a choice that is a transfer: 0 is not pressed
                    break
                doc = caller.silence() if key == "" else caller.press(key)
            pressed[keys, until_put_through] = doc.body
        return pressed[keys, until_put_through]

    out = []
    for node, said, expected in CORPUS:
        path = tuple(paths[node])
        caller = Caller(client)
        caller.keys(*path)
        doc = caller.say(said, CONFIDENCE)
        marks = _marks(doc)
        body = doc.body.replace(f"&amp;d={DISTRESS_FLAG}", "")
        silence = answer(*path, "")
        if isinstance(expected, dict):
            meant = answer(*path, *expected[DISTRESS], until_put_through=True)
            right = body == meant and marks == {DISTRESS_FLAG}
        else:
            right = body == (silence if expected == THROUGH else answer(*path, *expected)) and marks == {None}
        if right:
            outcome = CORRECT
        elif doc.body == silence:
            outcome = PUT_THROUGH
        else:
            outcome = WRONG
        out.append((node, said, expected, outcome))
    return out


def table(results) -> str:
    """Correct, wrong and put through, per menu, as a Markdown table."""
    counts = Counter((node, outcome) for node, _, _, outcome in results)
    nodes = list(dict.fromkeys(node for node, _, _, _ in results))
    lines = ["| node | said | correct | wrong | put through |", "| --- | ---: | ---: | ---: | ---: |"]
    for node in [*nodes, "all"]:
        row = [sum(v for (n, o), v in counts.items() if o == out and node in (n, "all")) for out in (CORRECT, WRONG)]
        through = sum(v for (n, o), v in counts.items() if o == PUT_THROUGH and node in (n, "all"))
        lines.append(f"| {node} | {row[0] + row[1] + through} | {row[0]} | {row[1]} | {through} |")
    return "\n".join(lines)


def test_the_corpus_is_well_formed_and_large_enough():
    app = create_app(dev=True)
    paths = key_paths(app.extensions["ivr"].flow)
    assert len(CORPUS) >= 200
    for line in CORPUS:
        assert isinstance(line, list) and len(line) == 3, line
        node, said, expected = line
        assert node in paths and isinstance(said, str) and said.strip(), line
        keys = expected[DISTRESS] if isinstance(expected, dict) and list(expected) == [DISTRESS] else expected
        assert expected == THROUGH or (isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys)), line
        if isinstance(expected, dict):
            assert keys[-1] == "0", line  # words of distress end at a person
    assert len({(node, said) for node, said, _ in CORPUS}) == len(CORPUS)  # each line once


def test_no_sentence_of_the_corpus_leads_to_a_wrong_place(results):
    print("\n" + table(results))
    wrong = [(node, said, expected) for node, said, expected, outcome in results if outcome == WRONG]
    assert not wrong, f"sent to the wrong place: {wrong}\n{table(results)}"


def test_most_of_the_corpus_is_understood(results):
    understood = sum(outcome == CORRECT for *_, outcome in results) / len(results)
    missed = [(node, said) for node, said, _, outcome in results if outcome == PUT_THROUGH]
    assert understood >= MIN_UNDERSTOOD, f"{understood:.1%} understood; put through: {missed}\n{table(results)}"
