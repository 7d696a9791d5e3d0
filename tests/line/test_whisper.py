"""The whisper: whoever answers a transfer hears the route the caller chose, never who calls; first that
the caller is in distress, when they said words of distress; never more than WHISPER_SECONDS."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from ivr import create_app
from ivr.errors import CallStateError
from ivr.flow.directory import FAMILY
from ivr.flow.loader import load_flow
from ivr.flow.model import Interactive, Transfer, moves
from ivr.flow.moves import back, chosen, go
from ivr.flow.position import DISTRESS_FLAG, Position, parse_position
from ivr.flow.timing import speech_seconds
from ivr.line.twiml import WHISPER_SECONDS
from ivr.simulator.player import Call
from ivr.simulator.transport import flask_transport
from tests.paths import LINE_NUMBER, ROOT

from ..caller import Caller, Doc
from ..routes import key_paths
from ..twiml_vocabulary import problems
from .test_webhooks import TOKEN, sign

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
PATHS = key_paths(FLOW)
# The keys to each node, and to the first ear (0 at the first menu: no choice leads there).
KEYS_TO = {FLOW.operator: ("0",), **PATHS}
TRANSFERS = sorted(n for n in KEYS_TO if isinstance(FLOW.nodes[n], Transfer))
# Transfers whose first try goes to a line that expects calls from this one (`whisper: true`).
WHISPERING = [n for n in TRANSFERS if FLOW.services[FLOW.nodes[n].services[0]].whisper]
# Transfers none of whose lines expects it.
NEVER = [n for n in TRANSFERS if not any(FLOW.services[s].whisper for s in FLOW.nodes[n].services)]
NUMBER = "+33687654321"
OPENING = FLOW.prompts["whisper"]
DISTRESS = FLOW.prompts["whisper_distress"]
WORDS = yaml.safe_load((ROOT / "prompts" / "fr.yaml").read_text(encoding="utf-8"))["words"]
FIRST_EAR = FLOW.nodes[FLOW.operator]  # whoever has not said who they are: silence, 0, distress alone
DOCTORS = FLOW.operator_of("doctor_needs")  # the doctors' line: 0 and silence once a doctor said so


def _key_to(menu_id: str, target: str) -> str:
    """The key of the menu choice that leads to a node."""
    return next(o.key for o in FLOW.nodes[menu_id].options if o.target == target)


def _label(menu_id: str, target: str) -> str:
    """What the menu says of the choice that leads to a node, as the whisper names it."""
    return FLOW.prompts[next(o.say for o in FLOW.nodes[menu_id].options if o.target == target)]


DOCTOR, DOCTOR_LABEL = _key_to(FLOW.entry, "doctor_needs"), _label(FLOW.entry, "doctor_needs")
AID, AID_LABEL = _key_to("doctor_needs", "cdo_lookup"), _label("doctor_needs", "cdo_lookup")
ASSAULT = PATHS["assault_advice"]
ASSAULT_LABELS = (_label("doctor_needs", "assault"), _label("assault", "assault_advice"))
COUNCIL, COUNCIL_LABEL = _key_to("assault_advice", "cdo_lookup"), _label("assault_advice", "cdo_lookup")
TALK = _key_to("doctor_needs", DOCTORS)  # "soutien psychologique": the doctors' line
# Councils by what the line does there: put through (no number), put through after a last digit
# (Corsica, overseas), or read out (then silence puts the caller through).
PLACES = sorted(FLOW.places, key=lambda n: (len(PATHS[n]), n))
THROUGH = next(n for n in PLACES if isinstance(FLOW.nodes[n], Transfer))
THROUGH_LATER = next(n for n in PLACES if isinstance(FLOW.nodes[n], Transfer) and len(PATHS[n]) > len(PATHS[THROUGH]))
READ = next(n for n in PLACES if not isinstance(FLOW.nodes[n], Transfer))


def _code(node_id: str) -> tuple[str, ...]:
    """The keys of a council's département, typed at the question."""
    return PATHS[node_id][len(PATHS["cdo_lookup"]) :]


def assert_whispers(heard: str, parts: tuple[str, ...], distress: bool = False) -> None:
    """The whisper of a route whose choices are `parts`: distress first when said, then the line's
    name, then the last choices that fit within WHISPER_SECONDS (the first ones are left out, never
    one that fits), by ivr.flow.timing.speech_seconds."""
    assert WHISPER_SECONDS <= 4
    assert speech_seconds(heard) <= WHISPER_SECONDS, heard
    first = f"{DISTRESS} " if distress else ""
    assert heard.startswith(f"{first}{OPENING}") or heard == DISTRESS, heard
    if heard == DISTRESS:  # even the line's name does not fit: distress alone
        assert distress and speech_seconds(f"{first}{OPENING}.") > WHISPER_SECONDS, heard
        return
    rest = heard.removeprefix(f"{first}{OPENING}")
    kept = tuple(rest.removeprefix(" : ").removesuffix(".").split(" ; ")) if rest != "." else ()
    assert rest in (".", f" : {' ; '.join(kept)}.") and parts[len(parts) - len(kept) :] == kept, (heard, parts)
    if len(kept) < len(parts):
        longer = parts[len(parts) - len(kept) - 1 :]
        assert speech_seconds(f"{first}{OPENING} : {' ; '.join(longer)}.") > WHISPER_SECONDS, "one more fits"


@pytest.fixture(scope="module")
def whispering():
    return create_app({"whisper": True}, dev=True)


def _whisper(client, *keys: str, caller_number: str = NUMBER) -> tuple[Doc, Doc]:
    """Call, press the keys, then request the whisper of the transfer, as Twilio does on answer."""
    caller = Caller(client, caller_number=caller_number)
    doc = caller.keys(*keys)
    number = doc.dial.find("Number")
    assert number.get("method") == "POST"
    url = number.get("url")
    response = client.post(
        url,
        data={
            "CallSid": "CA" + "7" * 32,
            "ParentCallSid": caller.call_sid,
            "From": LINE_NUMBER,
            "To": doc.dialled,
            "Direction": "outbound-dial",
        },
    )
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return doc, Doc(response.get_data(as_text=True), url)


@pytest.mark.parametrize(
    ("keys", "parts"),
    [
        (PATHS[THROUGH], (DOCTOR_LABEL, AID_LABEL, FLOW.places[THROUGH])),
        ((*ASSAULT, COUNCIL, *_code(THROUGH)), (DOCTOR_LABEL, *ASSAULT_LABELS, COUNCIL_LABEL, FLOW.places[THROUGH])),
        (PATHS[THROUGH_LATER], (DOCTOR_LABEL, AID_LABEL, FLOW.places[THROUGH_LATER])),
        ((*PATHS[READ], ""), (DOCTOR_LABEL, AID_LABEL, FLOW.places[READ])),
        # 0, silence and "soutien psychologique" all lead to the doctors' line: only what is sure is said.
        ((DOCTOR, TALK), (DOCTOR_LABEL,)),
        ((DOCTOR, "0"), (DOCTOR_LABEL,)),
        ((DOCTOR, ""), (DOCTOR_LABEL,)),
        ((DOCTOR, AID, "#", "0"), (DOCTOR_LABEL,)),  # back to the doctors' menu: the choice undone is not said
    ],
)
def test_the_whisper_says_the_route_chosen(whispering, keys, parts):
    _, whisper = _whisper(whispering.test_client(), *keys)
    [heard] = whisper.says()
    assert_whispers(heard, parts)
    assert heard.endswith(f" : {parts[-1]}."), "the last choice, which says most, always fits"


def test_a_doctors_choice_alone_is_heard_whole(whispering):
    """Whoever answers the doctors' line hears that a doctor calls: the line's name and the doctor's
    label fit within WHISPER_SECONDS together."""
    _, whisper = _whisper(whispering.test_client(), DOCTOR, "0")
    assert whisper.says() == [f"{OPENING} : {DOCTOR_LABEL}."]


def test_the_whisper_names_the_choices_in_the_words_of_the_menus(data_copy):
    """A label changed in prompts/fr.yaml is what the whisper says."""
    data_copy.edit("prompts", lambda d: d["prompts"].update(opt_doctor="Docteur"))
    app = create_app({"whisper": True, "data_dir": data_copy.data, "prompts_dir": data_copy.prompts}, dev=True)
    _, whisper = _whisper(app.test_client(), DOCTOR, "0")
    assert DOCTOR_LABEL != "Docteur" and whisper.says() == [f"{OPENING} : Docteur."]
    _, whisper = _whisper(app.test_client(), *PATHS[THROUGH])
    assert_whispers(whisper.says()[0], ("Docteur", AID_LABEL, FLOW.places[THROUGH]))


@pytest.mark.parametrize("node_id", WHISPERING)
def test_every_transfer_whispers_valid_twiml_and_nothing_of_the_caller(whispering, caplog, node_id):
    client = whispering.test_client()
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        doc, whisper = _whisper(client, *KEYS_TO[node_id])
        retried = Caller(client, caller_number=NUMBER)
        retried.keys(*KEYS_TO[node_id])
        retry = retried.dial_ends("busy")  # the second try whispers too, when its line expects it
    assert problems(doc.body) == [] and problems(whisper.body) == []
    expected = doc.dial.find("Number").get("url") if FLOW.services[FLOW.nodes[node_id].services[1]].whisper else None
    assert problems(retry.body) == [] and retry.dial.find("Number").get("url") == expected
    query = parse_qs(urlsplit(doc.dial.find("Number").get("url")).query)
    assert urlsplit(doc.dial.find("Number").get("url")).path == "/voice/whisper" and query["n"] == [node_id]
    assert [child.tag for child in whisper.root] == ["Say"] and whisper.text.startswith(OPENING)
    assert whisper.root.find("Say").get("language") == "fr-FR"
    assert speech_seconds(whisper.text) <= WHISPER_SECONDS, "every second is the caller's"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (whisper.body, logged):
        for form in (NUMBER, "0687654321", "87654321", "CA" + "7" * 32):
            assert form not in text
    other = _whisper(client, *KEYS_TO[node_id], caller_number="+33611111111")[1]
    assert other.body == whisper.body, "the same route, the same words, whoever calls"


def test_only_the_lines_that_expect_it_hear_the_whisper(whispering):
    """Every try of every transfer: a <Number> carries the whisper only when its service has `whisper: true`."""
    client = whispering.test_client()
    seen = set()
    for node_id in TRANSFERS:
        caller = Caller(client)
        doc = caller.keys(*KEYS_TO[node_id])
        for tries, service in enumerate(FLOW.nodes[node_id].services):
            if tries:
                doc = caller.dial_ends("busy")
            number = doc.dial.find("Number")
            expects = FLOW.services[service].whisper
            assert (number.get("url") is not None) == expects, (node_id, tries, service)
            assert number.get("method") == ("POST" if expects else None), (node_id, tries, service)
            seen.add(expects)
    assert seen == {True, False}


@pytest.mark.parametrize("line", NEVER)
def test_a_line_that_does_not_expect_the_whisper_never_hears_it(whispering, line):
    """Pharmacists (their line, then SPS) and whoever has not said who they are (the first ear): not one
    word before the caller."""
    assert FLOW.operator in NEVER, "the first ear: 0, silence"
    caller = Caller(whispering.test_client())
    doc = caller.keys(*KEYS_TO[line])
    assert doc.dial.get("action").startswith(f"/voice/dial?n={line}")
    for tries, service in enumerate(FLOW.nodes[line].services):
        if tries:
            doc = caller.dial_ends("busy")
        assert doc.dialled == FLOW.services[service].dial
        number = doc.dial.find("Number")
        assert not FLOW.services[service].whisper, f"{service} is not told to expect this line"
        assert number.get("url") is None and number.get("method") is None, (line, tries)
    doctors = FLOW.services[FLOW.nodes[DOCTORS].services[0]]
    platform = Caller(whispering.test_client()).keys(DOCTOR, "0").dial.find("Number")
    assert platform.text == doctors.dial and doctors.whisper
    assert urlsplit(platform.get("url")).path == "/voice/whisper", "while the doctors' line, through 0, hears it"


def test_without_the_setting_no_transfer_whispers():
    client = create_app(dev=True).test_client()
    for node_id in TRANSFERS:
        caller = Caller(client)
        doc = caller.keys(*KEYS_TO[node_id])
        assert doc.dial.find("Number").get("url") is None, node_id
        assert doc.dial.find("Number").get("method") is None
        assert caller.dial_ends("busy").dial.find("Number").get("url") is None


def test_the_fallback_never_whispers(whispering):
    body = whispering.test_client().post("/voice/fallback").get_data(as_text=True)
    assert ET.fromstring(body).find("Dial/Number").get("url") is None


@pytest.mark.parametrize(
    "query", ["n=welcome", "n=forged", "n=listening_team&t=doctor_needs", "n=listening_team&r=7", ""]
)
def test_a_whisper_for_no_transfer_connects_the_call_with_nothing_said(whispering, query):
    response = whispering.test_client().post(f"/voice/whisper?{query}", data={"From": NUMBER})
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response" and list(root) == [], "never a <Dial> nor the fallback from the platform's side"


def test_the_whisper_is_signed_like_every_webhook():
    client = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER, "whisper": True}, dev=False).test_client()
    path, form = f"/voice/whisper?n={DOCTORS}&t=welcome.doctor_needs", {"CallSid": "CA" + "1" * 32}
    assert client.post(path, data=form).status_code == 403
    forged = client.post(path, data=form, headers={"X-Twilio-Signature": sign("http://localhost/", form)})
    assert forged.status_code == 403
    signed = client.post(path, data=form, headers={"X-Twilio-Signature": sign(f"http://localhost{path}", form)})
    assert signed.status_code == 200 and DOCTOR_LABEL in signed.get_data(as_text=True)


def test_the_simulator_plays_the_whisper_when_the_transfer_is_answered(whispering):
    call = Call(flask_transport(whispering), "http://localhost/voice").start()
    for token in (*PATHS[READ], "", "completed"):
        call.act(token)
    heard = [e for e in call.events if e.kind == "whisper"]
    assert len(heard) == 1
    assert_whispers(heard[0].text, (DOCTOR_LABEL, AID_LABEL, FLOW.places[READ]))
    kinds = [e.kind for e in call.events]
    assert kinds.index("whisper") == kinds.index("dial-status") + 1 and call.ended == "hangup"
    assert heard[0].seconds > 0, "whoever answers listens to it before the caller is connected"
    assert any(r.startswith("POST http://localhost/voice/whisper?") for r in call.requested)


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed"])
def test_the_simulator_plays_no_whisper_when_nobody_answers(whispering, status):
    call = Call(flask_transport(whispering), "http://localhost/voice").start()
    for token in (*KEYS_TO[DOCTORS], status):  # a line that expects the whisper, nobody answering
        call.act(token)
    assert FLOW.services[FLOW.nodes[DOCTORS].services[0]].whisper
    assert "whisper" not in [e.kind for e in call.events]
    assert not any("/voice/whisper" in r for r in call.requested)


# -- words of distress: said first to whoever answers, and only there --------------------------------


def _marks(doc: Doc) -> list[list[str] | None]:
    """The distress mark (d) of each URL of a transfer's answer: its callback, and its whisper if any."""
    urls = [doc.dial.get("action"), doc.dial.find("Number").get("url")]
    return [parse_qs(urlsplit(url).query).get("d") for url in urls if url is not None]


def _whisper_at(client, url: str) -> Doc:
    """What whoever answers hears at a whisper URL of the line."""
    response = client.post(url, data={"CallSid": "CA" + "7" * 32, "From": LINE_NUMBER})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return Doc(response.get_data(as_text=True), url)


@pytest.mark.parametrize("words", WORDS["distress"])
def test_distress_at_the_first_menu_reaches_the_first_ear_which_hears_no_whisper(whispering, words):
    """Words of distress before any choice: 0, the first ear (SPS today), marked on the transfer; a line
    that does not expect the whisper hears none, on any try."""
    caller = Caller(whispering.test_client())
    caller.answer()
    doc = caller.say(words)
    assert doc.dial.get("action").startswith(f"/voice/dial?n={FLOW.operator}&")
    for tries, service in enumerate(FIRST_EAR.services):
        if tries:
            doc = caller.dial_ends("busy")
        assert doc.dialled == FLOW.services[service].dial, "the first ear, whoever the caller is"
        if not tries:
            assert all(FLOW.services[service].serves(c) for c in (*FLOW.professions, FAMILY)), "a line for all"
        number = doc.dial.find("Number")
        assert (number.get("url") is not None) == FLOW.services[service].whisper, "only a line that expects it"
        assert set(map(tuple, _marks(doc))) == {(DISTRESS_FLAG,)}, "marked, for whoever may answer"


@pytest.mark.parametrize("words", WORDS["distress"])
def test_distress_after_the_doctors_choice_reaches_the_doctors_line_said_first(whispering, words):
    client = whispering.test_client()
    caller = Caller(client)
    caller.keys(DOCTOR)
    doc = caller.say(words)
    assert doc.dial.get("action").startswith(f"/voice/dial?n={DOCTORS}&")
    assert doc.dialled == FLOW.services[FLOW.nodes[DOCTORS].services[0]].dial
    assert _marks(doc) == [[DISTRESS_FLAG], [DISTRESS_FLAG]], "d=1 on the callback and on the whisper"
    [heard] = _whisper_at(client, doc.dial.find("Number").get("url")).says()
    assert heard.startswith(DISTRESS), "distress first"
    assert_whispers(heard, (DOCTOR_LABEL,), distress=True)
    assert words not in heard, "never the caller's own words"
    for service in FLOW.nodes[DOCTORS].services[1:]:  # every try keeps the mark
        doc = caller.dial_ends("busy")
        assert doc.dialled == FLOW.services[service].dial
        assert all(mark == [DISTRESS_FLAG] for mark in _marks(doc))
    after = caller.dial_ends("busy")
    assert after.gather is not None and "d=" not in after.gather.get("action"), "the mark ends with the transfer"


def test_distress_said_with_the_doctors_words_at_the_first_menu_reaches_the_doctors_line_said_first(whispering):
    client = whispering.test_client()
    option = next(o for o in FLOW.nodes[FLOW.entry].options if o.target == "doctor_needs")
    caller = Caller(client)
    caller.answer()
    doc = caller.say(f"je suis {WORDS[option.say][0]} et {WORDS['distress'][0]}")
    assert doc.dial.get("action").startswith(f"/voice/dial?n={DOCTORS}&")
    assert _marks(doc) == [[DISTRESS_FLAG], [DISTRESS_FLAG]]
    assert_whispers(_whisper_at(client, doc.dial.find("Number").get("url")).says()[0], (DOCTOR_LABEL,), True)


def test_keys_and_other_words_leave_no_mark(whispering):
    """0, silence and a choice said in words reach the doctors' line unmarked: no distress said first."""
    client = whispering.test_client()
    option = next(o for o in FLOW.nodes["doctor_needs"].options if o.target == DOCTORS)
    for act in ("0", "", WORDS[option.say][0]):
        caller = Caller(client)
        caller.keys(DOCTOR)
        doc = caller.press(act) if act == "0" else caller.silence() if act == "" else caller.say(act)
        assert doc.dial.get("action").startswith(f"/voice/dial?n={DOCTORS}&"), act
        assert _marks(doc) == [None, None], act
        assert not _whisper_at(client, doc.dial.find("Number").get("url")).text.startswith(DISTRESS)


def _positions() -> set[Position]:
    """Every position a call can reach (node and trail), by every move of the flow: each key, 0 and
    silence, a closed office, nobody answering, and # back."""
    start = Position(FLOW.entry)
    seen, todo = {start}, deque([start])
    while todo:
        pos = todo.popleft()
        after = [go(pos, target).position for _, target in moves(FLOW.nodes, FLOW.operator, pos.node)]
        if isinstance(FLOW.nodes[pos.node], Interactive):
            after.append(back(FLOW, pos).position)
        for nxt in after:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_route_to_a_whispering_line_whispers_at_most_four_seconds(whispering):
    """Each position at a transfer one of whose lines expects the whisper, with and without distress:
    what whoever answers hears lasts at most WHISPER_SECONDS, distress first when said, then the line's
    name and the last choices that fit."""
    client = whispering.test_client()
    reached = [
        pos
        for pos in _positions()
        if isinstance(FLOW.nodes[pos.node], Transfer)
        and any(FLOW.services[s].whisper for s in FLOW.nodes[pos.node].services)
    ]
    assert {pos.node for pos in reached} >= set(WHISPERING) and len(reached) > len(WHISPERING)
    longest = 0.0
    for pos in sorted(reached, key=lambda p: (p.node, p.trail)):
        for distress in (False, True):
            at = Position(pos.node, pos.trail, distress=distress)
            doc = _whisper_at(client, f"/voice/whisper?{at.query()}")
            assert [child.tag for child in doc.root] == ["Say"], at
            [heard] = doc.says()
            assert_whispers(heard, chosen(FLOW, at), distress)
            assert heard.startswith(DISTRESS) == distress, at
            longest = max(longest, speech_seconds(heard))
    assert 0 < longest <= WHISPER_SECONDS <= 4


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ({"n": "welcome", "d": "1"}, "a menu"),
        ({"n": "doctor_needs", "t": "welcome", "d": "1"}, "another menu"),
        ({"n": "social_help", "t": "welcome.doctor_needs", "d": "1"}, "a read-out"),
        ({"n": DOCTORS, "t": "welcome.doctor_needs", "d": "2"}, "another flag"),
        ({"n": DOCTORS, "t": "welcome.doctor_needs", "d": ""}, "an empty flag"),
        ({"n": DOCTORS, "t": "welcome.doctor_needs", "d": "true"}, "a word"),
    ],
)
def test_a_forged_distress_mark_is_refused(args, why):
    with pytest.raises(CallStateError, match="^distress flag out of place$"):
        parse_position(args, FLOW, 3)


def test_a_distress_mark_is_read_only_at_a_transfer():
    marked = parse_position({"n": DOCTORS, "t": "welcome.doctor_needs", "d": DISTRESS_FLAG}, FLOW, 3)
    assert marked == Position(DOCTORS, ("welcome", "doctor_needs"), distress=True)
    assert parse_position({"n": DOCTORS, "t": "welcome.doctor_needs"}, FLOW, 3).distress is False


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/voice/key?n=welcome&d=1", {"Digits": "1"}),
        ("/voice/key?n=doctor_needs&t=welcome&d=1", {"SpeechResult": "je veux mourir", "Confidence": "0.9"}),
        (f"/voice/dial?n={DOCTORS}&t=welcome.doctor_needs&d=2", {"DialCallStatus": "busy"}),
        (f"/voice/dial?n={DOCTORS}&t=welcome.doctor_needs&d=", {"DialCallStatus": "no-answer"}),
    ],
)
def test_a_forged_distress_mark_on_a_webhook_gets_the_safe_answer(whispering, path, form):
    body = whispering.test_client().post(path, data={"CallSid": "CA" + "1" * 32, **form}).get_data(as_text=True)
    doc = Doc(body, path)
    assert doc.dialled == FLOW.platform.dial and doc.dial.get("action") is None, "the fallback: the first ear"
    assert FLOW.prompts["fallback"] in doc.text


@pytest.mark.parametrize("query", ["n=welcome&d=1", f"n={DOCTORS}&t=welcome.doctor_needs&d=2"])
def test_a_forged_distress_mark_on_the_whisper_connects_the_call_with_nothing_said(whispering, query):
    response = whispering.test_client().post(f"/voice/whisper?{query}", data={"From": NUMBER})
    root = ET.fromstring(response.get_data(as_text=True))
    assert response.status_code == 200 and root.tag == "Response" and list(root) == []
