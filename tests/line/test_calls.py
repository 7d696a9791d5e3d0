"""Whole calls, driven as Twilio drives them, on the default flow."""

from __future__ import annotations

import pytest

from ivr import create_app
from ivr.flow.loader import load_flow
from ivr.flow.model import Department, Interactive, Menu, Readout, Transfer
from tests.paths import LINE_NUMBER, ROOT

from ..caller import Caller
from ..routes import key_paths

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
PATHS = key_paths(FLOW)
PLATFORM = "+33800288038"
PLATFORM_WORDS = "zéro huit cents, deux cent quatre-vingt-huit, zéro trente-huit"
SUPERSEDED = ("+33800800854", "+33826000401")
CALVADOS_WORDS = "zéro deux, trente et un, quatre-vingt-six, trente-huit, vingt-huit"
INTERACTIVE = sorted(n for n in PATHS if isinstance(FLOW.nodes[n], Interactive))
FAILURES = {n.on_failure for n in FLOW.nodes.values() if isinstance(n, Transfer)}
UNANSWERED = ["busy", "no-answer", "failed", "canceled"]


def test_every_node_is_reached_by_keys_or_by_an_unanswered_transfer():
    assert set(PATHS) | FAILURES == set(FLOW.nodes)
    assert FAILURES == {"other_lines"}


@pytest.mark.parametrize("node_id", sorted(PATHS))
def test_every_route_reaches_its_outcome(caller, node_id):
    node = FLOW.nodes[node_id]
    doc = caller.keys(*PATHS[node_id])
    if isinstance(node, Transfer):
        assert doc.dialled == PLATFORM
        assert doc.dial.get("action").startswith(f"/voice/dial?n={node_id}")
    else:
        assert doc.node == node_id
    if isinstance(node, Readout):
        words = FLOW.services[node.service].spoken
        assert doc.text.count(words) == 2, "a number is read twice"
        assert caller.press("1").text.count(words) == 2, "1 reads it again"


@pytest.mark.parametrize(
    ("keys", "number_words", "dialled"),
    [
        (("1", "1"), None, PLATFORM),  # médecin -> soutien psychologique
        (("1", "3"), "zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro sept", None),
        (("1", "5"), "zéro six, zéro huit, vingt-huit, vingt-cinq, quatre-vingt-neuf", None),
        (("1", "2", "14"), CALVADOS_WORDS, None),
        (("1", "4", "1", "14"), CALVADOS_WORDS, None),
        (("2",), None, PLATFORM),  # infirmier, sage-femme, pharmacien... -> the platform
        (("0",), None, PLATFORM),
    ],
)
def test_seed_routes(caller, keys, number_words, dialled):
    doc = caller.keys(*keys)
    assert doc.dialled == dialled
    if number_words:
        assert doc.text.count(number_words) == 2


# -- what the line promises --------------------------------------------------------------------


def _greeting(**config) -> str:
    return Caller(create_app(config, dev=True).test_client()).answer().says()[0]


def test_the_greeting_says_confidential_to_health_professionals_and_anonymous_only_when_true():
    plain = _greeting()
    assert "confidentielle" in plain and "professionnels de santé" in plain
    assert "anonyme" not in plain, "without a caller ID, the platform sees the caller's number"
    assert "gratuit" not in plain, "a geographic Twilio number is not free to call"
    anonymous = _greeting(caller_id=LINE_NUMBER)
    assert "anonyme" in anonymous and "gratuit" not in anonymous
    both = _greeting(caller_id=LINE_NUMBER, free_number=True)
    assert "anonyme" in both and "gratuite" in both
    assert both.endswith("santé, anonyme, gratuite.")


def test_greeting_then_emergency_numbers_then_zero_then_the_menu(caller):
    doc = caller.answer()
    says = doc.says()
    assert [" ".join(s.itertext()) for s in doc.root.findall("Say")] == [FLOW.prompts["greeting"]], (
        "only the greeting cannot be cut by a key"
    )
    emergency = next(i for i, s in enumerate(says) if "quinze" in s)
    assert "cent douze" in says[emergency]
    assert "si vous ne pouvez pas parler, SMS au cent quatorze" in says[emergency], "callers who cannot speak"
    stay = next(i for i, s in enumerate(says) if "restez en ligne" in s.lower())
    assert "tapez zéro" in says[stay], "0 is announced in the first menu"
    first_option = next(i for i, s in enumerate(says) if "tapez un" in s)
    assert 0 < emergency < stay < first_option


def test_no_words_promise_a_psychologist():
    for key, text in FLOW.prompts.items():
        assert "psychologue" not in text or key in ("transfer_failed",), (key, text)
    assert "infirmiers et des psychologues" in FLOW.prompts["transfer_failed"], "the 3114's own staff"


# -- silence is always "stay on the line" ---------------------------------------------------------


@pytest.mark.parametrize("node_id", [*INTERACTIVE, "other_lines"])
def test_silence_after_any_prompt_puts_through_at_once(caller, node_id):
    if node_id == "other_lines":
        caller.keys("0")
        caller.dial_ends("busy")
        caller.dial_ends("busy")
    else:
        caller.keys(*PATHS[node_id])
    assert caller.doc.node == node_id
    doc = caller.silence()
    assert doc.dialled == PLATFORM
    assert doc.says() == [], "no words between the silence and the ring"


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
def test_zero_reaches_the_listening_team_from_every_menu(caller, node_id):
    caller.keys(*PATHS[node_id])
    assert caller.press("0").dialled == PLATFORM


@pytest.mark.parametrize("node_id", INTERACTIVE)
def test_star_repeats_every_menu(caller, node_id):
    before = caller.keys(*PATHS[node_id])
    again = caller.press("*")
    assert again.node == node_id
    assert again.gather.get("action") == before.gather.get("action")
    assert [" ".join(s.itertext()) for s in again.gather.iter("Say")] == [
        " ".join(s.itertext()) for s in before.gather.iter("Say")
    ]


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
            node = current.codes[key]
    return node


# -- a busy or silent platform -------------------------------------------------------------------


@pytest.mark.parametrize("status", UNANSWERED)
def test_unanswered_transfer_is_tried_again_then_offers_other_lines(caller, status):
    caller.keys("0")
    retry = caller.dial_ends(status)
    assert retry.dialled == PLATFORM, "one automatic retry, no key needed"
    assert retry.says() == [FLOW.prompts["transfer_retry"]]
    assert "r=1" in retry.dial.get("action")
    doc = caller.dial_ends(status)
    assert doc.node == "other_lines"
    text = doc.text
    assert "aucun psychologue" not in text
    assert text.count("trente et un quatorze") == 2, "the 3114, read twice"
    assert "prévention du suicide" in text and "jour et nuit" in text
    assert "appelez le quinze" in text, "in danger, the 15"
    assert PLATFORM_WORDS in text, "the platform's own number"
    assert caller.silence().dialled == PLATFORM, "staying on the line tries again"
    again = caller.dial_ends(status)
    assert again.dialled == PLATFORM and "r=1" in again.dial.get("action")


def test_a_transfer_that_failed_can_go_back_to_the_menu(caller):
    caller.keys("1", "1")
    caller.dial_ends("no-answer")
    caller.dial_ends("no-answer")
    assert caller.press("#").node == "doctor_needs"


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_completed_transfer_ends_cleanly(caller, status):
    caller.keys("0")
    doc = caller.dial_ends(status)
    assert doc.hangs_up and doc.says() == []


def test_a_dial_callback_beyond_the_last_try_gets_the_safe_answer(caller):
    """The retry counter travels in the URL; a dial callback beyond the last try is the safe answer."""
    doc = caller._post("/voice/dial?n=listening_team&t=welcome&r=2", DialCallStatus="busy")
    assert doc.dialled == PLATFORM


def test_transfer_attributes(caller):
    dial = caller.keys("0").dial
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("ringTone") == "fr"
    assert dial.get("timeout") == "30"
    assert dial.get("method") == "POST"


def test_platform_number_can_point_at_a_staging_phone():
    app = create_app({"platform_number": "06 11 22 33 44"}, dev=True)
    caller = Caller(app.test_client())
    assert caller.keys("0").dialled == "+33611223344"
    caller.dial_ends("busy")
    caller.dial_ends("busy")
    assert PLATFORM_WORDS in caller.doc.text, "callers still hear the real platform's number"


def test_caller_id_hides_the_callers_number_from_the_platform():
    default = Caller(create_app(dev=True).test_client()).keys("0").dial
    assert default.get("callerId") is None
    app = create_app({"caller_id": "09 70 00 00 00"}, dev=True)
    assert Caller(app.test_client()).keys("0").dial.get("callerId") == "+33970000000"


# -- every département, every overseas territory ---------------------------------------------------


def test_the_departement_prompt_takes_two_digits_and_explains_corsica(caller):
    doc = caller.keys("1", "2")
    assert doc.gather.get("numDigits") == "2"
    assert "Pour la Corse, tapez vingt" in doc.text


def test_a_council_with_a_number_is_named_with_its_hours_and_read_twice(caller):
    doc = caller.keys("1", "2", "14")
    assert "Conseil départemental de l'Ordre des médecins du Calvados" in doc.text
    assert "sauf le mercredi après-midi" in doc.text
    assert doc.text.count(CALVADOS_WORDS) == 2


@pytest.mark.parametrize(
    ("code", "of", "words"),
    [
        ("38", "de l'Isère", "zéro quatre, soixante-seize, cinquante et un, cinquante-six, zéro zéro"),
        ("78", "des Yvelines", "zéro un, trente, quatre-vingts, quatre-vingt-deux, quatre-vingt-deux"),
        ("80", "de la Somme", "zéro trois, vingt-deux, trente-trois, zéro sept, quarante-deux"),
    ],
)
def test_councils_found_on_their_own_pages(caller, code, of, words):
    doc = caller.keys("1", "2", code)
    assert f"Ordre des médecins {of}. Son numéro :" in doc.text
    assert doc.text.count(words) == 2


@pytest.mark.parametrize(
    ("keys", "of"),
    [
        (("22",), "des Côtes-d'Armor"),  # "2A" typed on a phone: never Corsica
        (("20", "1"), "de la Corse-du-Sud"),
        (("20", "2"), "de la Haute-Corse"),
        (("97", "1"), "de la Guadeloupe"),
        (("97", "2"), "de la Martinique"),
        (("97", "6"), "de Mayotte"),
        (("01",), "de l'Ain"),
    ],
)
def test_a_council_without_a_number_is_named_then_put_through(caller, keys, of):
    doc = caller.keys("1", "2", *keys)
    assert doc.dialled == PLATFORM
    assert doc.says() == [FLOW.prompts["council_no_number"].replace("{council}", of)]
    assert f"Ordre des médecins {of} : l'équipe d'écoute peut vous donner son numéro." in doc.text


def test_corsica_offers_its_two_councils(caller):
    doc = caller.keys("1", "2", "20")
    assert doc.node == "cdo_lookup-20"
    assert "Corse-du-Sud : tapez un." in doc.text and "Haute-Corse : tapez deux." in doc.text


def test_overseas_waits_for_the_third_digit(caller):
    doc = caller.keys("1", "2", "97")
    assert doc.node == "cdo_lookup-97"
    assert doc.gather.get("numDigits") == "1"
    assert doc.says() == [FLOW.prompts["department_last_digit"]]
    assert caller.press("9").node == "cdo_lookup-97", "no overseas département 979"


def test_an_unknown_code_is_said_then_asked_once_then_put_through(caller):
    doc = caller.keys("1", "2", "96")
    assert doc.node == "cdo_lookup"
    assert FLOW.prompts["unknown_department"] in doc.text
    assert caller.press("99").dialled == PLATFORM


def test_one_digit_then_silence_says_a_digit_is_missing(caller):
    """Twilio sends what was typed when the caller stops before numDigits: one digit."""
    doc = caller.keys("1", "2", "7")
    assert doc.node == "cdo_lookup" and doc.says()[0] == "Il manque un chiffre."
    assert caller.press("75").dialled == PLATFORM, "Paris: no number in the data, put through"


# -- the assault route ----------------------------------------------------------------------------


def test_the_assault_route_gives_the_police_the_seeds_advice_and_an_offer_to_talk(caller):
    doc = caller.keys("1", "4")
    text = doc.text
    assert text.index("appelez le dix-sept") < text.index("porter plainte"), "danger first"
    assert "même verbale" in text
    assert "s'associer à votre plainte" in text and "à votre place si vous craignez des représailles" in text
    assert "fiche de signalement" in text
    assert "Pour en parler, restez en ligne" in text
    assert "Le numéro de votre conseil départemental : tapez un." in text
    assert caller.silence().dialled == PLATFORM


# -- how it sounds ----------------------------------------------------------------------------------


def _all_documents(caller_factory):
    """Yield every document of every route, plus silences, misses and unanswered transfers."""
    for node_id in sorted(PATHS):
        doc = caller_factory().keys(*PATHS[node_id])
        yield doc
        if doc.gather is not None:
            yield caller_factory().keys(*PATHS[node_id], "")
            yield caller_factory().keys(*PATHS[node_id], "9")
        else:
            caller = caller_factory()
            caller.keys(*PATHS[node_id])
            yield caller.dial_ends("busy")
            yield caller.dial_ends("busy")


def test_every_say_is_french_and_never_digits(client):
    docs = list(_all_documents(lambda: Caller(client)))
    assert len(docs) > 100
    for doc in docs:
        for say in doc.root.iter("Say"):
            assert say.get("language") == "fr-FR"
            assert say.get("voice") == "Polly.Lea-Neural"
            text = "".join(say.itertext())
            assert not any(ch.isdigit() for ch in text), f"digits handed to the speech engine: {text!r}"


def test_no_sentence_is_cut_before_a_number(client):
    for doc in _all_documents(lambda: Caller(client)):
        for parent in (doc.root, doc.gather):
            says = list(parent.iter("Say")) if parent is not None else []
            for before, after in zip(says, says[1:], strict=False):
                if after.find("prosody") is not None:  # a number read slowly
                    said = " ".join("".join(before.itertext()).split())
                    assert said.endswith((":", ".")), f"cut before a number: {said!r}"
        for text in doc.says():
            assert not text.endswith((" au", " le", " la")), text


def test_every_keypad_prompt_is_followed_by_a_way_forward(client):
    for doc in _all_documents(lambda: Caller(client)):
        children = list(doc.root)
        if doc.gather is not None:
            assert children[-1].tag == "Redirect", "silence must never end the call"
            assert children[-1].text == doc.gather.get("action")
            assert doc.gather.get("finishOnKey") == "", "# is a key (back), not the end of input"
        else:
            assert doc.dialled == PLATFORM, "every transfer of the default flow goes to the platform"
        assert not any(number in doc.body for number in SUPERSEDED)


def test_an_0800_number_is_read_as_one_group(caller):
    caller.keys("0")
    caller.dial_ends("busy")
    assert PLATFORM_WORDS in caller.dial_ends("busy").text
    assert "zéro, huit cents" not in caller.doc.text
