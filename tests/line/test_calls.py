"""Whole calls, driven as Twilio drives them, on the default flow."""

from __future__ import annotations

import pytest

from ivr.flow.loader import load_flow
from ivr.flow.model import Department, Interactive, Menu, Readout, Transfer
from tests.paths import ROOT

from ..routes import key_paths

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
PATHS = key_paths(FLOW)
PLATFORM = "+33800800854"
PLATFORM_WORDS = "zéro, huit cents, huit cents, huit cent cinquante-quatre"
INTERACTIVE = sorted(n for n in PATHS if isinstance(FLOW.nodes[n], Interactive))


FAILURES = {n.on_failure for n in FLOW.nodes.values() if isinstance(n, Transfer)}


def test_every_node_is_reached_by_keys_or_by_an_unanswered_transfer():
    assert set(PATHS) | FAILURES == set(FLOW.nodes)
    assert FAILURES == {"transfer_failed"}


@pytest.mark.parametrize("node_id", sorted(PATHS))
def test_every_route_reaches_its_outcome(caller, node_id):
    node = FLOW.nodes[node_id]
    keys = PATHS[node_id]
    doc = caller.keys(*keys)
    if isinstance(node, Transfer):
        assert doc.dialled == FLOW.services[node.service].dial
        assert doc.dial.get("action").startswith(f"/voice/dial?n={node_id}")
    else:
        assert doc.node == node_id
    if isinstance(node, Readout):
        words = FLOW.services[node.service].spoken
        assert doc.text.count(words) == 2, "a number is read twice"
        assert caller.press("1").text.count(words) == 2, "1 reads it again"


@pytest.mark.parametrize(("keys", "number_words", "dialled"), [
    (("1", "1"), None, PLATFORM),  # médecin -> soutien psychologique
    (("1", "3"), "zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro sept", None),
    (("1", "5"), "zéro six, zéro huit, vingt-huit, vingt-cinq, quatre-vingt-neuf", None),
    (("1", "2", "14"), "zéro deux, trente et un, quatre-vingt-six, trente-huit, vingt-huit", None),
    (("1", "4", "1", "14"), "zéro deux, trente et un, quatre-vingt-six, trente-huit, vingt-huit", None),
    (("2",), None, PLATFORM),  # infirmier, sage-femme, pharmacien... -> the platform
    (("0",), None, PLATFORM),
])
def test_seed_routes(caller, keys, number_words, dialled):
    doc = caller.keys(*keys)
    assert doc.dialled == dialled
    if number_words:
        assert doc.text.count(number_words) == 2


def test_greeting_then_emergency_numbers_then_stay_on_the_line_then_the_menu(caller):
    doc = caller.answer()
    says = doc.says()
    assert [" ".join(s.itertext()) for s in doc.root.findall("Say")] == [FLOW.prompts["greeting"]], \
        "only the greeting cannot be cut by a key"
    emergency = next(i for i, s in enumerate(says) if "quinze" in s)
    assert "cent douze" in says[emergency] and "trente et un quatorze" in says[emergency]
    assert "SMS au cent quatorze" in says[emergency], "callers who cannot speak"
    stay = next(i for i, s in enumerate(says) if "restez en ligne" in s.lower())
    first_option = next(i for i, s in enumerate(says) if "tapez un" in s)
    assert 0 < emergency < stay < first_option


def test_unknown_department_offers_the_platform(caller):
    doc = caller.keys("1", "2", "75")
    assert doc.node == "cdo_unknown"
    assert caller.press("0").dialled == PLATFORM


def test_silence_at_the_first_menu_puts_through_at_once(caller):
    caller.answer()
    doc = caller.silence()
    assert doc.dialled == PLATFORM
    assert doc.says() == [], "no words between the silence and the ring"


def test_silence_in_a_later_menu_reprompts_once_then_puts_through(caller):
    caller.keys("1")
    doc = caller.silence()
    assert doc.node == "doctor_needs"
    assert FLOW.prompts["silence_reprompt"] in doc.text
    assert FLOW.prompts["need_question"] in doc.text
    assert caller.silence().dialled == PLATFORM


def test_wrong_keys_get_a_kind_word_then_the_platform(caller):
    caller.answer()
    doc = caller.press("9")
    assert FLOW.prompts["wrong_key"] in doc.text and doc.node == FLOW.entry
    assert caller.press("8").dialled == PLATFORM


def test_a_right_key_after_a_miss_starts_the_count_again(caller):
    caller.keys("9", "1")
    doc = caller.press("9")
    assert doc.node == "doctor_needs" and FLOW.prompts["wrong_key"] in doc.text


@pytest.mark.parametrize("node_id", INTERACTIVE)
def test_zero_reaches_a_psychologist_from_every_menu(caller, node_id):
    caller.keys(*PATHS[node_id])
    assert caller.press("0").dialled == PLATFORM


@pytest.mark.parametrize("node_id", INTERACTIVE)
def test_star_repeats_every_menu(caller, node_id):
    before = caller.keys(*PATHS[node_id])
    again = caller.press("*")
    assert again.node == node_id
    assert again.gather.get("action") == before.gather.get("action")
    assert [" ".join(s.itertext()) for s in again.gather.iter("Say")] == \
           [" ".join(s.itertext()) for s in before.gather.iter("Say")]


@pytest.mark.parametrize("node_id", INTERACTIVE)
def test_hash_goes_back_one_menu(caller, node_id):
    keys = PATHS[node_id]
    caller.keys(*keys)
    back = caller.press("#")
    previous = FLOW.entry
    for i in range(len(keys) - 1, -1, -1):
        candidate = _node_after(keys[:i])
        if isinstance(FLOW.nodes[candidate], Interactive):
            previous = candidate
            break
    assert back.node == previous
    assert FLOW.prompts["greeting"] not in back.text


def _node_after(keys):
    node = FLOW.entry
    for key in keys:
        current = FLOW.nodes[node]
        if isinstance(current, Menu):
            node = current.option(key).target
        elif isinstance(current, Department):
            node = current.readout_id(key) if key in current.services else current.unknown
    return node


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_unanswered_transfer_reads_the_number_and_can_retry(caller, status):
    caller.keys("0")
    doc = caller.dial_ends(status)
    assert doc.node == "transfer_failed"
    assert FLOW.prompts["transfer_failed"] in doc.text
    assert doc.text.count(PLATFORM_WORDS) == 2
    assert caller.press("0").dialled == PLATFORM, "the caller can try again"


def test_unanswered_transfer_back_returns_to_the_menu(caller):
    caller.keys("1", "1")
    caller.dial_ends("no-answer")
    assert caller.press("#").node == "doctor_needs"


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_completed_transfer_ends_cleanly(caller, status):
    caller.keys("0")
    doc = caller.dial_ends(status)
    assert doc.hangs_up and doc.says() == []


def test_transfer_attributes(caller):
    dial = caller.keys("0").dial
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("ringTone") == "fr"
    assert dial.get("timeout") == "30"
    assert dial.get("method") == "POST"


def test_platform_number_can_point_at_a_staging_phone():
    from ivr import create_app

    from ..caller import Caller
    app = create_app({"platform_number": "06 11 22 33 44"}, dev=True)
    caller = Caller(app.test_client())
    assert caller.keys("0").dialled == "+33611223344"
    caller.dial_ends("busy")
    assert PLATFORM_WORDS in caller.doc.text, "callers still hear the real platform's number"


def _all_documents(caller_factory):
    """Yield every document of every route, plus silences and misses."""
    for node_id in sorted(PATHS):
        doc = caller_factory().keys(*PATHS[node_id])
        yield doc
        if doc.gather is not None:
            yield caller_factory().keys(*PATHS[node_id], "")
            yield caller_factory().keys(*PATHS[node_id], "9")


def test_every_say_is_french_and_never_digits(client):
    from ..caller import Caller
    docs = list(_all_documents(lambda: Caller(client)))
    assert len(docs) > 20
    for doc in docs:
        for say in doc.root.iter("Say"):
            assert say.get("language") == "fr-FR"
            assert say.get("voice") == "Polly.Lea-Neural"
            text = "".join(say.itertext())
            assert not any(ch.isdigit() for ch in text), f"digits handed to the speech engine: {text!r}"


def test_every_keypad_prompt_is_followed_by_a_way_forward(client):
    from ..caller import Caller
    for doc in _all_documents(lambda: Caller(client)):
        children = list(doc.root)
        if doc.gather is not None:
            assert children[-1].tag == "Redirect", "silence must never end the call"
            assert children[-1].text == doc.gather.get("action")
            assert doc.gather.get("finishOnKey") == "", "# is a key (back), not the end of input"
        else:
            assert doc.dialled == PLATFORM, "every transfer of the default flow goes to the psychologists"


def test_caller_id_hides_the_callers_number_from_the_platform():
    from ivr import create_app

    from ..caller import Caller
    default = Caller(create_app(dev=True).test_client()).keys("0").dial
    assert default.get("callerId") is None
    app = create_app({"caller_id": "09 70 00 00 00"}, dev=True)
    assert Caller(app.test_client()).keys("0").dial.get("callerId") == "+33970000000"
