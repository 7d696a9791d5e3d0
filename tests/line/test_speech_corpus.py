"""What callers say (tests/speech_corpus.yaml), said through the webhook as Twilio posts it: never a
wrong route, and at least 95 % understood; the rest is put through to a person, as silence is."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from ivr import create_app
from tests.paths import ROOT

from ..caller import Caller
from ..routes import key_paths

CORPUS = yaml.safe_load((ROOT / "tests" / "speech_corpus.yaml").read_text(encoding="utf-8"))
THROUGH = "through"
CONFIDENCE = "0.9"  # Twilio's, for words it heard well
MIN_UNDERSTOOD = 0.95
CORRECT, WRONG, PUT_THROUGH = "correct", "wrong", "put through"


@pytest.fixture(scope="module")
def results():
    """Each line of the corpus said at its node: (node, said, expected, outcome)."""
    app = create_app(dev=True)
    client = app.test_client()
    paths = key_paths(app.extensions["ivr"].flow)
    pressed: dict[tuple[str, ...], str] = {}

    def answer(*keys: str) -> str:  # what the line answers to these keys, once
        if keys not in pressed:
            pressed[keys] = Caller(client).keys(*keys).body
        return pressed[keys]

    out = []
    for node, said, expected in CORPUS:
        path = tuple(paths[node])
        caller = Caller(client)
        caller.keys(*path)
        body = caller.say(said, CONFIDENCE).body
        silence = answer(*path, "")
        if body == (silence if expected == THROUGH else answer(*path, *expected)):
            outcome = CORRECT
        elif body == silence:
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
        assert expected == THROUGH or (isinstance(expected, list) and all(isinstance(k, str) for k in expected)), line
    assert len({(node, said) for node, said, _ in CORPUS}) == len(CORPUS)  # each line once


def test_no_sentence_of_the_corpus_leads_to_a_wrong_place(results):
    print("\n" + table(results))
    wrong = [(node, said, expected) for node, said, expected, outcome in results if outcome == WRONG]
    assert not wrong, f"sent to the wrong place: {wrong}\n{table(results)}"


def test_most_of_the_corpus_is_understood(results):
    understood = sum(outcome == CORRECT for *_, outcome in results) / len(results)
    missed = [(node, said) for node, said, _, outcome in results if outcome == PUT_THROUGH]
    assert understood >= MIN_UNDERSTOOD, f"{understood:.1%} understood; put through: {missed}\n{table(results)}"
