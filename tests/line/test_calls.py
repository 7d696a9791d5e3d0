"""Whole calls, driven as Twilio drives them, on the default flow. Numbers and their words are read
from the flow, never written here: staff change them without a test to edit."""

from __future__ import annotations

from collections import deque
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from ivr import create_app
from ivr.config import Settings
from ivr.flow.directory import FAMILY
from ivr.flow.loader import load_flow
from ivr.flow.model import (
    CLOSED,
    CLOSED_MOVE,
    NOBODY_ANSWERED,
    SYNTHETIC_SEP,
    Department,
    Interactive,
    Menu,
    Readout,
    Transfer,
    closed_id,
    moves,
)
from ivr.flow.timing import speech_seconds
from tests.paths import LINE_NUMBER, ROOT

from ..caller import Caller
from ..routes import key_paths

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
PATHS = key_paths(FLOW)
# The first ear: the line whoever has not said who they are reaches (silence, 0, a relative, a fault).
PLATFORM = FLOW.platform.dial
PLATFORM_WORDS = FLOW.platform.spoken
DOCTORS = FLOW.operator_of("doctor_needs")  # the doctors' line: 0 and silence once a doctor said so
DOCTOR = next(o.key for o in FLOW.nodes[FLOW.entry].options if o.target == "doctor_needs")
ORDRE = FLOW.services["platform"]  # the Ordre's platform, for doctors and interns only
WORDS = yaml.safe_load((ROOT / "prompts" / "fr.yaml").read_text(encoding="utf-8"))["words"]
SUPERSEDED = tuple("+33" + old.digits[1:] for old in FLOW.superseded)
CALVADOS_WORDS = FLOW.services[FLOW.nodes[f"cdo_lookup{SYNTHETIC_SEP}14"].service].spoken  # a council read out
INTERACTIVE = sorted(n for n in PATHS if isinstance(FLOW.nodes[n], Interactive))
TRANSFERS = sorted(n for n, node in FLOW.nodes.items() if isinstance(node, Transfer))
FAILURES = {FLOW.nodes[n].on_failure for n in TRANSFERS}
OPERATOR = FLOW.nodes[FLOW.operator]
UNANSWERED = ["busy", "no-answer", "failed", "canceled"]
SUICIDE_LINE_WORDS = FLOW.services["suicide_line"].spoken
SMS_WORDS = FLOW.services["emergency_sms"].spoken
SAMU_WORDS = FLOW.services["samu"].spoken
# Staying on the line after a failure tries the lines again: transfers only 0 and silence reach.
OPERATORS = {FLOW.operator_of(n) for n, node in FLOW.nodes.items() if isinstance(node, Interactive)}
CLOSED_NODES = {n for n in FLOW.nodes if n.endswith(f"{SYNTHETIC_SEP}{CLOSED}")}


def _routes() -> dict[str, tuple[tuple[str, str], ...]]:
    """Each node the shortest moves reach (keys, 0, nobody answering), each move with the node it leads to;
    a closed office is reached by the hour only (test_a_closed_council_...)."""
    routes: dict[str, tuple[tuple[str, str], ...]] = {FLOW.entry: ()}
    todo = deque([FLOW.entry])
    while todo:
        nid = todo.popleft()
        for move, target in moves(FLOW.nodes, FLOW.operator, nid):
            if not move.endswith(CLOSED_MOVE) and target not in routes:
                routes[target] = (*routes[nid], (move, target))
                todo.append(target)
    return routes


ROUTES = _routes()
# Transfers reached first (by keys, or by 0 before any choice), and the failure of each: numbers read out.
FIRST_LINES = sorted(t for t in TRANSFERS if t in PATHS or t == FLOW.operator)
FIRST_FAILURES = {FLOW.nodes[t].on_failure for t in FIRST_LINES}
# The transfers written in data/flow.yaml (a council without a number is put through like 0).
NAMED_TRANSFERS = sorted(t for t in FIRST_LINES if SYNTHETIC_SEP not in t)


def _dials(service_id: str) -> str:
    """The number the line dials for a service of the directory."""
    return FLOW.services[service_id].dial


def _first_dial(node_id: str) -> str:
    """The number 0 and silence put the caller through to from a node (its operator's first try)."""
    return _dials(FLOW.nodes[FLOW.operator_of(node_id)].services[0])


def _key_to(menu_id: str, target: str) -> str:
    """The key of the menu choice that leads to a node."""
    return next(o.key for o in FLOW.nodes[menu_id].options if o.target == target)


def _transfers_failing_to(node_id: str) -> list[str]:
    """The transfers whose failure is this node."""
    return [t for t in TRANSFERS if FLOW.nodes[t].on_failure == node_id]


def _unanswered(caller, transfer_id: str, status: str = "busy"):
    """Let nobody answer any of a transfer's tries: the caller reaches its failure node."""
    for _ in FLOW.nodes[transfer_id].services:
        caller.dial_ends(status)
    return caller.doc


def _reach(caller, node_id: str):
    """Reach a node by keys; a line tried again, or a failure, by 0 and transfers nobody answered."""
    if node_id in PATHS:
        return caller.keys(*PATHS[node_id])
    here = FLOW.entry
    caller.answer()
    for move, there in ROUTES[node_id]:
        if move == NOBODY_ANSWERED:
            _unanswered(caller, here)
        else:
            caller.press(move)
        here = there
    return caller.doc


def test_every_node_is_reached_by_keys_or_by_an_unanswered_transfer():
    closed = CLOSED_NODES  # outside office hours (tests/line/test_hours.py)
    assert all(isinstance(FLOW.nodes[n], Readout) for n in closed), "a closed office: its number, for later"
    assert set(ROUTES) | closed == set(FLOW.nodes)
    assert set(PATHS) | FAILURES | OPERATORS | closed == set(FLOW.nodes)
    assert FAILURES.isdisjoint(PATHS), "the other lines are read only when nobody answered"
    assert all(isinstance(FLOW.nodes[n], Readout) for n in FIRST_FAILURES), "nobody answered: numbers, read out"
    for failure in FAILURES - FIRST_FAILURES:  # nobody answered again: a few words, then the lines again
        node = FLOW.nodes[failure]
        assert isinstance(node, Menu) and not node.options, failure
        assert FLOW.nodes[FLOW.operator_of(failure)].on_failure == failure, "tried again, and again"
    assert all(_transfers_failing_to(n) for n in FAILURES)


@pytest.mark.parametrize("node_id", sorted(ROUTES))
def test_every_route_reaches_its_outcome(caller, node_id):
    node = FLOW.nodes[node_id]
    doc = _reach(caller, node_id)
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
        (PATHS[DOCTORS], None, ORDRE.dial),  # médecin -> soutien psychologique: the Ordre's platform
        (PATHS["social_help"], _read_at("social_help"), None),
        (PATHS["long_term_care"], _read_at("long_term_care"), None),
        ((*PATHS["cdo_lookup"], "14"), CALVADOS_WORDS, None),
        ((*PATHS["assault_advice"], _key_to("assault_advice", "cdo_lookup"), "14"), CALVADOS_WORDS, None),
        (PATHS["pharmacist_line"], None, ADOP),  # pharmacien, étudiant en pharmacie -> ADOP
        (("",), None, SPS),  # infirmier, sage-femme, étudiant, famille...: they stay on the line -> SPS
        (("0",), None, SPS),  # or press 0
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


def test_the_greeting_says_free_only_when_true_and_never_anonymous():
    plain = _greeting()
    assert plain == FLOW.prompts["greeting"] and plain.startswith("Bonjour")
    assert not plain.endswith((" .", ",.")), "no stray comma nor space when nothing is added"
    assert "gratuit" not in plain, "a geographic Twilio number is not free to call"
    anonymous = _greeting(caller_id=LINE_NUMBER)
    assert anonymous == plain and "anonyme" not in anonymous, "Twilio's call records keep the caller's number"
    both = _greeting(caller_id=LINE_NUMBER, free_number=True)
    assert "anonyme" not in both and "gratuite" in both
    assert both.startswith(plain.removesuffix(".")) and both.endswith("gratuite."), "free, said last"


def test_anonymous_written_back_by_staff_is_said_only_when_true(data_copy):
    """The `anonymous` condition stays for staff who want it: said only with the line's own caller ID."""
    data_copy.edit("prompts", lambda d: d["prompts"].update(greeting="Bonjour, écoute {anonymous} {free}."))
    files = {"data_dir": data_copy.data, "prompts_dir": data_copy.prompts}
    plain = _greeting(**files)
    assert plain == "Bonjour, écoute.", "no stray comma when nothing is added"
    assert _greeting(**files, caller_id=LINE_NUMBER) == "Bonjour, écoute, anonyme."
    assert _greeting(**files, caller_id=LINE_NUMBER, free_number=True) == "Bonjour, écoute, anonyme, gratuite."
    assert "anonyme" not in _greeting(**files, free_number=True), "without a caller ID, lines see the number"


def test_greeting_then_a_person_promised_then_emergency_numbers_then_the_menu_then_stay_on_the_line(caller):
    doc = caller.answer()
    says = doc.says()
    assert [" ".join(s.itertext()) for s in doc.root.findall("Say")] == [FLOW.prompts["greeting"]], (
        "only the greeting cannot be cut by a key"
    )
    promise = says.index(FLOW.prompts["promise"])
    assert speech_seconds(" ".join(says[: promise + 1])) <= 10, "a person promised in the first 10 s"
    emergency = next(i for i, s in enumerate(says) if SAMU_WORDS in s)
    assert FLOW.services["emergency_eu"].spoken in says[emergency]
    assert f"appelez le {SAMU_WORDS}" in says[emergency], "the 15 and the 112, with a verb"
    assert SUICIDE_LINE_WORDS in says[emergency], "suicidal thoughts: the 3114, before any choice"
    first_option = next(i for i, s in enumerate(says) if "tapez un" in s)
    last_option = max(i for i, s in enumerate(says) if "tapez" in s and "restez en ligne" not in s.lower())
    stay = next(i for i, s in enumerate(says) if "restez en ligne" in s.lower())
    assert 0 < promise < emergency < first_option <= last_option < stay, "staying on the line is said last"
    zero = f"{FLOW.prompts['press']} {FLOW.prompts['press_0']}"
    assert stay == len(says) - 1 and zero in says[stay], "0 is announced with staying on the line"
    assert all(o.callers for o in FLOW.nodes[FLOW.entry].options), "each choice says who calls; others stay"
    assert caller.press("0").dialled == PLATFORM, "0 reaches the first ear"


def test_no_words_promise_a_psychologist():
    for key, text in FLOW.prompts.items():
        assert "psychologue" not in text, (key, text)


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
    assert _first_dial(FLOW.entry) == PLATFORM, "before any choice: the first ear"
    assert all(FLOW.platform.serves(c) for c in (*FLOW.professions, FAMILY)), "a line for every caller"
    assert _first_dial("doctor_needs") == ORDRE.dial != PLATFORM, "a doctor: the Ordre's platform first"
    for failure in FAILURES:
        line = FLOW.nodes[FLOW.operator_of(failure)]
        assert isinstance(line, Transfer), "staying on the line tries again"
        for failed in _transfers_failing_to(failure):
            assert line.services == FLOW.nodes[failed].services, "the same lines as those that did not answer"


def test_wrong_keys_get_a_kind_word_then_the_platform(caller):
    caller.answer()
    doc = caller.press("9")
    assert FLOW.prompts["wrong_key"] in doc.text and doc.node == FLOW.entry
    assert caller.press("8").dialled == PLATFORM, "before any choice: the first ear"
    caller.keys(DOCTOR, "9")
    assert caller.press("8").dialled == ORDRE.dial, "a doctor: the Ordre's platform"


def test_a_right_key_after_a_miss_starts_the_count_again(caller):
    caller.keys("9", "1")
    doc = caller.press("9")
    assert doc.node == "doctor_needs" and FLOW.prompts["wrong_key"] in doc.text


@pytest.mark.parametrize("node_id", INTERACTIVE)
def test_zero_reaches_the_listening_team_from_every_menu(caller, node_id):
    """0 before any choice: the first ear; once a doctor said so, the Ordre's platform."""
    caller.keys(*PATHS[node_id])
    assert caller.press("0").dialled == (ORDRE.dial if PATHS[node_id][:1] == (DOCTOR,) else PLATFORM)


@pytest.mark.parametrize("words", ["", "0", *WORDS["others"]])
def test_silence_zero_and_whoever_has_no_line_of_their_own_reach_the_first_ear(caller, words):
    """Silence, 0, another profession, a student or a relative at the first menu: the first ear, a line
    for every caller; never the doctors' platform."""
    caller.answer()
    doc = caller.silence() if words == "" else caller.press(words) if words == "0" else caller.say(words)
    assert doc.dialled == PLATFORM != ORDRE.dial, words
    assert doc.dial.get("action").startswith(f"/voice/dial?n={FLOW.operator}&"), words
    assert "d=" not in doc.dial.get("action"), "no words of distress"


DOCTOR_NODES = sorted(n for n in PATHS if PATHS[n][:1] == (DOCTOR,))


@pytest.mark.parametrize("node_id", DOCTOR_NODES)
def test_every_doctors_route_dials_the_platform_first(client, node_id):
    """Once a caller said they are a doctor, every person they are put through to is first the Ordre's
    platform: by a choice, a council without a number, 0 or silence."""
    caller = Caller(client)
    doc = caller.keys(*PATHS[node_id])
    if isinstance(FLOW.nodes[node_id], Transfer):
        assert doc.dialled == ORDRE.dial, node_id
        return
    assert caller.press("0").dialled == ORDRE.dial, node_id
    assert Caller(client).keys(*PATHS[node_id], "").dialled == ORDRE.dial, node_id


@pytest.mark.parametrize("node_id", sorted(FAILURES))
def test_zero_after_a_failed_transfer_tries_the_callers_own_line_again(caller, node_id):
    _reach(caller, node_id)
    doc = caller.press("0")
    assert doc.dialled == _first_dial(node_id)
    line = parse_qs(urlsplit(doc.dial.get("action")).query)["n"][0]
    for failed in _transfers_failing_to(node_id):
        assert FLOW.nodes[line].services == FLOW.nodes[failed].services, "the lines that were tried, tried again"


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
    assert f"appelez le {SAMU_WORDS}" in text, "in danger, the 15"
    assert SMS_WORDS in text, "callers who cannot speak: the 114"
    assert FLOW.services[services[0]].spoken in text, "the number of the caller's own line"
    return doc


@pytest.mark.parametrize("status", UNANSWERED)
def test_unanswered_transfer_is_tried_again_then_offers_other_lines(caller, status):
    caller.keys("0")
    assert len(OPERATOR.services) >= 2 and OPERATOR.services[0] == FLOW.platform.id, "the first ear, then again"
    doc = _tries_every_service_then_other_lines(caller, FLOW.operator, status)
    assert PLATFORM_WORDS in doc.text, "the first ear's own number, for later"
    assert ORDRE.spoken not in doc.text, "never a line that does not serve every caller"
    assert caller.silence().dialled == PLATFORM, "staying on the line tries again"
    again = caller.dial_ends(status)
    assert again.dialled == _dials(OPERATOR.services[1]) and "r=1" in again.dial.get("action")


@pytest.mark.parametrize("transfer_id", NAMED_TRANSFERS)
def test_nobody_answering_again_says_something_new_briefly_then_tries_again(caller, transfer_id):
    _reach(caller, transfer_id)
    first = _unanswered(caller, transfer_id, "no-answer")
    caller.silence()
    line = FLOW.operator_of(first.node)
    doc = _unanswered(caller, line, "no-answer")
    assert doc.node == FLOW.nodes[line].on_failure and doc.node != first.node
    assert doc.text and doc.text not in first.text, "something new"
    assert SUICIDE_LINE_WORDS in doc.text, "the 3114, named again"
    assert speech_seconds(doc.text) < speech_seconds(first.text), "briefly"
    assert caller.silence().dialled == _dials(FLOW.nodes[line].services[0]), "and the lines, again"
    assert caller.doc.dial.get("action").startswith(f"/voice/dial?n={line}&")
    assert _unanswered(caller, line, "busy").node == doc.node, "for as long as the caller stays"


@pytest.mark.parametrize("transfer_id", NAMED_TRANSFERS)
def test_every_transfer_is_tried_as_many_times_as_its_services_then_offers_other_lines(caller, transfer_id):
    _reach(caller, transfer_id)
    services = FLOW.nodes[transfer_id].services
    assert len(services) >= 2, "nobody answering: another try before any number"
    failure = _tries_every_service_then_other_lines(caller, transfer_id, "no-answer")
    again = caller.silence()
    assert again.dialled == _dials(services[0]), "staying on the line tries the caller's own line again"
    line = FLOW.operator_of(failure.node)
    assert again.dial.get("action").startswith(f"/voice/dial?n={line}&")
    assert FLOW.nodes[line].services == services, "the same lines, in the same order"


def test_a_transfer_that_failed_can_go_back_to_the_menu(caller):
    caller.keys(*PATHS[DOCTORS])
    _unanswered(caller, DOCTORS, "no-answer")
    assert caller.doc.node == FLOW.nodes[DOCTORS].on_failure
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
    assert PLATFORM_WORDS in caller.doc.text, "callers still hear the real first ear's number"
    doctor = Caller(app.test_client())
    assert doctor.keys(*PATHS[DOCTORS]).dialled == ORDRE.dial, "the doctors' platform is not the first ear"


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
    assert doc.dialled == ORDRE.dial, "a doctor: the Ordre's platform first"
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
    assert caller.press("99").dialled == ORDRE.dial


def test_one_digit_then_silence_says_a_digit_is_missing(caller):
    """Twilio sends what was typed when the caller stops before numDigits: one digit."""
    doc = caller.keys("1", "2", "7")
    assert doc.node == "cdo_lookup" and doc.says()[0] == FLOW.prompts["missing_digit"]
    assert caller.press("75").dialled == ORDRE.dial, "Paris: no number in the data, put through"


def test_a_closed_council_reads_its_number_for_later_and_dials_nobody_until_silence(client):
    """At night (the line's clock, IVR_NOW), a council that keeps hours: closed, when it opens, its
    number twice for later; no transfer the caller did not choose; staying on the line, the doctors' line."""
    assert CLOSED_NODES, "a council of the data keeps office hours"
    night = create_app({"now": Settings.from_env({"IVR_NOW": "2026-11-29T03:00+01:00"}).now}, dev=True)
    for closed in sorted(CLOSED_NODES):
        office = closed.removesuffix(f"{SYNTHETIC_SEP}{CLOSED}")
        assert closed == closed_id(office)
        caller = Caller(night.test_client())
        doc = caller.keys(*PATHS[office])
        assert doc.node == closed and doc.dial is None, "nobody dialled"
        words = FLOW.services[FLOW.nodes[closed].service].spoken
        assert "fermé" in doc.says()[0] and doc.text.count(words) == 2, "closed, then its number twice, for later"
        assert caller.press("1").dial is None and caller.doc.text.count(words) == 2, "1 reads it again"
        through = caller.silence()
        assert through.dialled == _first_dial(closed) == ORDRE.dial, "staying on the line: a person now"
        assert Caller(night.test_client()).keys(*PATHS[office], "0").dialled == ORDRE.dial
        day = Caller(client).keys(*PATHS[office])
        assert day.node == office and "fermé" not in day.text, "open at the tests' hour"


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
    assert caller.silence().dialled == ORDRE.dial

    caller.keys(*PATHS["assault"])
    advice = caller.press(complaint)
    text = advice.text
    assert advice.says()[0] == FLOW.prompts["assault_info"], "the advice, first"
    assert speech_seconds(FLOW.prompts["assault_info"]) < 10, "in under ten seconds"
    assert FLOW.services["violence_women_line"].spoken in text, "the 3919, for women victims of violence"
    assert FLOW.prompts["assault_stay"] in text
    council = _key_to("assault_advice", "cdo_lookup")
    label = FLOW.prompts[next(o.say for o in FLOW.nodes["assault_advice"].options if o.key == council)]
    assert f"{label} : tapez {FLOW.prompts['press_' + council]}." in text
    assert caller.press(council).node == "cdo_lookup"
    caller.keys(*PATHS["assault_advice"])
    assert caller.silence().dialled == ORDRE.dial


# -- how it sounds ----------------------------------------------------------------------------------


def _all_documents(caller_factory):
    """Yield every document of every route, plus silences, misses and unanswered transfers."""
    for node_id in sorted(ROUTES):
        doc = _reach(caller_factory(), node_id)
        yield doc
        if doc.gather is not None:
            caller = caller_factory()
            _reach(caller, node_id)
            yield caller.silence()
            caller = caller_factory()
            _reach(caller, node_id)
            yield caller.press("9")
        else:
            caller = caller_factory()
            _reach(caller, node_id)
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


@pytest.mark.parametrize("transfer_id", NAMED_TRANSFERS)
def test_an_0800_number_is_read_as_one_group(caller, transfer_id):
    """The number of the caller's own line, read when nobody answered: an 0800 in one group."""
    own = FLOW.services[FLOW.nodes[transfer_id].services[0]]
    _reach(caller, transfer_id)
    assert own.spoken in _unanswered(caller, transfer_id).text
    assert "zéro, huit cents" not in caller.doc.text
    if own.number.startswith("0800"):
        assert own.spoken.startswith("zéro huit cents,"), own.spoken
    assert any(FLOW.services[FLOW.nodes[t].services[0]].number.startswith("0800") for t in NAMED_TRANSFERS)
