"""Whole calls, driven as Twilio drives them, on the default flow. Numbers and their words are read
from the flow, never written here: staff change them without a test to edit."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ivr import create_app
from ivr.flow.loader import load_flow
from ivr.flow.model import CLOSED, SYNTHETIC_SEP, Department, Interactive, Menu, Readout, Transfer
from tests.paths import LINE_NUMBER, ROOT

from ..caller import Caller
from ..routes import key_paths

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
PATHS = key_paths(FLOW)
PLATFORM = FLOW.platform.dial
PLATFORM_WORDS = FLOW.platform.spoken
SUPERSEDED = tuple("+33" + old.digits[1:] for old in FLOW.superseded)
CALVADOS_WORDS = FLOW.services[FLOW.nodes[f"cdo_lookup{SYNTHETIC_SEP}14"].service].spoken  # a council read out
INTERACTIVE = sorted(n for n in PATHS if isinstance(FLOW.nodes[n], Interactive))
TRANSFERS = sorted(n for n, node in FLOW.nodes.items() if isinstance(node, Transfer))
FAILURES = {FLOW.nodes[n].on_failure for n in TRANSFERS}
OPERATOR = FLOW.nodes[FLOW.operator]
UNANSWERED = ["busy", "no-answer", "failed", "canceled"]
SUICIDE_LINE_WORDS = FLOW.services["suicide_line"].spoken
SMS_WORDS = FLOW.services["emergency_sms"].spoken


def _dials(service_id: str) -> str:
    """The number the line dials for a service of the directory."""
    return FLOW.services[service_id].dial


def _first_dial(node_id: str) -> str:
    """The number 0 and silence put the caller through to from a node (its operator's first try)."""
    return _dials(FLOW.nodes[FLOW.operator_of(node_id)].services[0])


def _key_to(menu_id: str, target: str) -> str:
    """The key of the menu choice that leads to a node."""
    return next(o.key for o in FLOW.nodes[menu_id].options if o.target == target)


def _transfer_failing_to(node_id: str) -> str:
    """A transfer reached by keys whose failure is this node."""
    return next(t for t in TRANSFERS if FLOW.nodes[t].on_failure == node_id and t in PATHS)


def _unanswered(caller, transfer_id: str, status: str = "busy"):
    """Let nobody answer any of a transfer's tries: the caller reaches its failure node."""
    for _ in FLOW.nodes[transfer_id].services:
        caller.dial_ends(status)
    return caller.doc


def _reach(caller, node_id: str):
    """Reach a node by keys, or, for a failure read-out, by a transfer nobody answered."""
    if node_id in PATHS:
        return caller.keys(*PATHS[node_id])
    transfer = _transfer_failing_to(node_id)
    caller.keys(*PATHS[transfer])
    return _unanswered(caller, transfer)


def test_every_node_is_reached_by_keys_or_by_an_unanswered_transfer():
    closed = {n for n in FLOW.nodes if n.endswith(f"-{CLOSED}")}  # outside office hours (tests/line/test_hours.py)
    assert all(isinstance(FLOW.nodes[n], Transfer) for n in closed)
    assert set(PATHS) | FAILURES | closed == set(FLOW.nodes)
    assert FAILURES.isdisjoint(PATHS), "the other lines are read only when nobody answered"
    assert all(isinstance(FLOW.nodes[n], Readout) for n in FAILURES), "nobody answered: numbers, read out"
    assert all(_transfer_failing_to(n) for n in FAILURES)


@pytest.mark.parametrize("node_id", sorted(PATHS))
def test_every_route_reaches_its_outcome(caller, node_id):
    node = FLOW.nodes[node_id]
    doc = caller.keys(*PATHS[node_id])
    if isinstance(node, Transfer):
        assert doc.dialled == _dials(node.services[0])
        assert doc.dial.get("action").startswith(f"/voice/dial?n={node_id}")
    else:
        assert doc.node == node_id
    if isinstance(node, Readout):
        words = FLOW.services[node.service].spoken
        assert doc.text.count(words) == 2, "a number is read twice"
        assert caller.press("1").text.count(words) == 2, "1 reads it again"


ADOP = FLOW.services["adop"].dial
SPS = FLOW.services["sps"].dial


def _read_at(node_id: str) -> str:
    """The words of the number a read-out gives."""
    return FLOW.services[FLOW.nodes[node_id].service].spoken


@pytest.mark.parametrize(
    ("keys", "number_words", "dialled"),
    [
        (PATHS[FLOW.operator], None, PLATFORM),  # médecin -> soutien psychologique
        (PATHS["social_help"], _read_at("social_help"), None),
        (PATHS["long_term_care"], _read_at("long_term_care"), None),
        ((*PATHS["cdo_lookup"], "14"), CALVADOS_WORDS, None),
        ((*PATHS["assault_advice"], _key_to("assault_advice", "cdo_lookup"), "14"), CALVADOS_WORDS, None),
        (PATHS["pharmacist_line"], None, ADOP),  # pharmacien, étudiant en pharmacie -> ADOP
        (PATHS["care_line"], None, SPS),  # infirmier, sage-femme, étudiant, famille... -> SPS
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


def test_the_greeting_says_confidential_and_anonymous_or_free_only_when_true():
    plain = _greeting()
    assert plain.startswith("Bonjour") and plain.endswith("confidentielle."), "no stray comma when nothing is added"
    assert "anonyme" not in plain, "without a caller ID, the platform sees the caller's number"
    assert "gratuit" not in plain, "a geographic Twilio number is not free to call"
    anonymous = _greeting(caller_id=LINE_NUMBER)
    assert "anonyme" in anonymous and "gratuit" not in anonymous
    both = _greeting(caller_id=LINE_NUMBER, free_number=True)
    assert "anonyme" in both and "gratuite" in both
    assert both.endswith("confidentielle, anonyme, gratuite.")


def test_greeting_then_emergency_numbers_then_the_menu_then_stay_on_the_line(caller):
    doc = caller.answer()
    says = doc.says()
    assert [" ".join(s.itertext()) for s in doc.root.findall("Say")] == [FLOW.prompts["greeting"]], (
        "only the greeting cannot be cut by a key"
    )
    emergency = next(i for i, s in enumerate(says) if "quinze" in s)
    assert "cent douze" in says[emergency]
    assert SUICIDE_LINE_WORDS in says[emergency], "suicidal thoughts: the 3114, before any choice"
    first_option = next(i for i, s in enumerate(says) if "tapez un" in s)
    last_option = max(i for i, s in enumerate(says) if "tapez" in s)
    stay = next(i for i, s in enumerate(says) if "restez en ligne" in s.lower())
    assert 0 < emergency < first_option <= last_option < stay, "staying on the line is said last"
    assert caller.press("0").dialled == PLATFORM, "0 still reaches the listening team"


def test_no_words_promise_a_psychologist():
    for key, text in FLOW.prompts.items():
        assert "psychologue" not in text or key in ("transfer_failed",), (key, text)
    assert "infirmiers et des psychologues" in FLOW.prompts["transfer_failed"], "the 3114's own staff"


# -- silence is always "stay on the line" ---------------------------------------------------------


@pytest.mark.parametrize("node_id", [*INTERACTIVE, *sorted(FAILURES)])
def test_silence_after_any_prompt_puts_through_at_once(caller, node_id):
    _reach(caller, node_id)
    assert caller.doc.node == node_id
    doc = caller.silence()
    assert doc.dialled == _first_dial(node_id)
    assert doc.dial.get("action").startswith(f"/voice/dial?n={FLOW.operator_of(node_id)}")
    assert doc.says() == [], "no words between the silence and the ring"


def test_silence_puts_doctors_through_to_the_platform_and_other_callers_to_their_own_line():
    assert _first_dial(FLOW.entry) == PLATFORM
    for failure in FAILURES:
        line = FLOW.nodes[FLOW.operator_of(failure)]
        assert isinstance(line, Transfer) and line.on_failure == failure, "staying on the line tries again"


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


@pytest.mark.parametrize("node_id", sorted(FAILURES))
def test_zero_after_a_failed_transfer_tries_the_callers_own_line_again(caller, node_id):
    _reach(caller, node_id)
    doc = caller.press("0")
    assert doc.dialled == _first_dial(node_id)
    line = parse_qs(urlsplit(doc.dial.get("action")).query)["n"][0]
    assert FLOW.nodes[line].on_failure == node_id, "the line that was tried, tried again"


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


def _tries_every_service_then_other_lines(caller, transfer_id: str, status: str):
    """After the first try, each service of the transfer in turn, then its failure read-out."""
    services = FLOW.nodes[transfer_id].services
    assert caller.doc.dialled == _dials(services[0])
    for tries, service in enumerate(services[1:], start=1):
        retry = caller.dial_ends(status)
        assert retry.dialled == _dials(service), "the next try, no key needed"
        again = service == services[tries - 1]  # the same line again, or another line
        assert retry.says() == [FLOW.prompts["transfer_retry" if again else "transfer_next"]]
        assert f"r={tries}" in retry.dial.get("action")
    doc = caller.dial_ends(status)
    assert doc.node == FLOW.nodes[transfer_id].on_failure
    text = doc.text
    assert "aucun psychologue" not in text
    assert text.count(SUICIDE_LINE_WORDS) == 2, "the 3114, read twice"
    assert "prévention du suicide" in text and "jour et nuit" in text
    assert "appelez le quinze" in text, "in danger, the 15"
    assert SMS_WORDS in text, "callers who cannot speak: the 114"
    assert FLOW.services[services[0]].spoken in text, "the number of the caller's own line"
    return doc


@pytest.mark.parametrize("status", UNANSWERED)
def test_unanswered_transfer_is_tried_again_then_offers_other_lines(caller, status):
    caller.keys("0")
    assert len(OPERATOR.services) >= 2 and OPERATOR.services[:2] == (FLOW.platform.id,) * 2, "the platform twice"
    doc = _tries_every_service_then_other_lines(caller, FLOW.operator, status)
    assert PLATFORM_WORDS in doc.text, "the platform's own number"
    assert caller.silence().dialled == PLATFORM, "staying on the line tries again"
    again = caller.dial_ends(status)
    assert again.dialled == _dials(OPERATOR.services[1]) and "r=1" in again.dial.get("action")


# The transfers written in data/flow.yaml (a council without a number is put through like 0).
NAMED_TRANSFERS = sorted(t for t in TRANSFERS if t in PATHS and SYNTHETIC_SEP not in t)


@pytest.mark.parametrize("transfer_id", NAMED_TRANSFERS)
def test_every_transfer_is_tried_as_many_times_as_its_services_then_offers_other_lines(caller, transfer_id):
    caller.keys(*PATHS[transfer_id])
    services = FLOW.nodes[transfer_id].services
    assert len(services) >= 2, "nobody answering: another try before any number"
    _tries_every_service_then_other_lines(caller, transfer_id, "no-answer")
    again = caller.silence()
    assert again.dialled == _dials(services[0]), "staying on the line tries the caller's own line again"
    assert again.dial.get("action").startswith(f"/voice/dial?n={transfer_id}")


def test_a_transfer_that_failed_can_go_back_to_the_menu(caller):
    caller.keys(*PATHS[FLOW.operator])
    _unanswered(caller, FLOW.operator, "no-answer")
    assert caller.doc.node == OPERATOR.on_failure
    assert caller.press("#").node == "doctor_needs"


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_completed_transfer_ends_cleanly(caller, status):
    caller.keys("0")
    doc = caller.dial_ends(status)
    assert doc.hangs_up and doc.says() == []


def test_a_dial_callback_beyond_the_last_try_gets_the_safe_answer(caller):
    """The retry counter travels in the URL; a dial callback beyond the last try is the safe answer."""
    beyond = len(OPERATOR.services)
    doc = caller._post(f"/voice/dial?n={FLOW.operator}&t=welcome&r={beyond}", DialCallStatus="busy")
    assert doc.dialled == PLATFORM
    assert FLOW.prompts["fallback"] in doc.text, "the fallback answer, not a further try"


def test_transfer_attributes(caller):
    dial = caller.keys("0").dial
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("ringTone") == "fr"
    assert dial.get("timeout") == "30"
    assert dial.get("method") == "POST"


def test_platform_number_can_point_at_a_staging_phone():
    app = create_app({"platform_number": "06 11 22 33 44"}, dev=True)
    caller = Caller(app.test_client())
    staging = "+33611223344"
    assert caller.keys("0").dialled == staging
    for service in OPERATOR.services[1:]:
        expected = staging if service == FLOW.platform.id else _dials(service)
        assert caller.dial_ends("busy").dialled == expected, "only the platform is replaced"
    caller.dial_ends("busy")
    assert caller.doc.node == OPERATOR.on_failure
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


def test_a_council_with_a_number_is_named_and_read_twice_without_its_hours(caller):
    doc = caller.keys("1", "2", "14")  # within its hours (the tests' clock: a Tuesday morning)
    assert FLOW.prompts[FLOW.nodes[f"cdo_lookup{SYNTHETIC_SEP}14"].intro[0]] in doc.text  # the council, named
    assert "heure" not in doc.text and "mercredi" not in doc.text
    assert doc.text.count(CALVADOS_WORDS) == 2


@pytest.mark.parametrize(("code", "of"), [("38", "de l'Isère"), ("78", "des Yvelines"), ("80", "de la Somme")])
def test_councils_found_on_their_own_pages(caller, code, of):
    doc = caller.keys("1", "2", code)
    assert f"Ordre des médecins {of}. Son numéro :" in doc.text
    assert doc.text.count(_read_at(f"cdo_lookup{SYNTHETIC_SEP}{code}")) == 2


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
    assert f"Ordre des médecins {of} : je vous mets en relation avec l'équipe d'écoute" in doc.text


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
    assert doc.node == "cdo_lookup" and doc.says()[0] == FLOW.prompts["missing_digit"]
    assert caller.press("75").dialled == PLATFORM, "Paris: no number in the data, put through"


# -- the assault route ----------------------------------------------------------------------------


def test_the_assault_route_gives_the_police_the_seeds_advice_and_an_offer_to_talk(caller):
    doc = caller.keys(*PATHS["assault"])
    text = doc.text
    complaint = _key_to("assault", "assault_advice")
    label = FLOW.prompts[next(o.say for o in FLOW.nodes["assault"].options if o.key == complaint)]
    police = FLOW.services["police"].spoken
    assert text.index(police) < text.index(label), "danger first"
    assert f"{label} : tapez {FLOW.prompts['press_' + complaint]}." in text
    assert FLOW.prompts["assault_stay"] in text
    assert caller.silence().dialled == PLATFORM

    caller.keys(*PATHS["assault"])
    advice = caller.press(complaint)
    text = advice.text
    assert "même verbale" in text and "conseillons de porter plainte" in text
    assert "s'associer à votre plainte" in text and "à votre place si vous craignez des représailles" in text
    assert "fiche de signalement" in text
    assert FLOW.prompts["assault_stay"] in text
    council = _key_to("assault_advice", "cdo_lookup")
    label = FLOW.prompts[next(o.say for o in FLOW.nodes["assault_advice"].options if o.key == council)]
    assert f"{label} : tapez {FLOW.prompts['press_' + council]}." in text
    assert caller.press(council).node == "cdo_lookup"
    caller.keys(*PATHS["assault_advice"])
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
            for _ in FLOW.nodes[node_id].services:
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
            query = parse_qs(urlsplit(doc.dial.get("action")).query)
            transfer = FLOW.nodes[query["n"][0]]
            tries = int(query.get("r", ["0"])[0])
            assert doc.dialled == _dials(transfer.services[tries]), "each try dials its own service"
        assert not any(number in doc.body for number in SUPERSEDED)


def test_an_0800_number_is_read_as_one_group(caller):
    caller.keys("0")
    assert PLATFORM_WORDS in _unanswered(caller, FLOW.operator).text
    assert "zéro, huit cents" not in caller.doc.text
