"""The whisper: whoever answers a transfer hears the route the caller chose, never who calls."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from ivr import create_app
from ivr.flow.loader import load_flow
from ivr.flow.model import Transfer
from ivr.simulator.player import Call
from ivr.simulator.transport import flask_transport
from tests.paths import LINE_NUMBER, ROOT

from ..caller import Caller, Doc
from ..routes import key_paths
from ..twiml_vocabulary import problems
from .test_webhooks import TOKEN, sign

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
PATHS = key_paths(FLOW)
TRANSFERS = sorted(n for n in PATHS if isinstance(FLOW.nodes[n], Transfer))
# Transfers whose first try goes to a line that expects calls from this one (`whisper: true`).
WHISPERING = [n for n in TRANSFERS if FLOW.services[FLOW.nodes[n].services[0]].whisper]
NUMBER = "+33687654321"
OPENING = FLOW.prompts["whisper"]


def _key_to(menu_id: str, target: str) -> str:
    """The key of the menu choice that leads to a node."""
    return next(o.key for o in FLOW.nodes[menu_id].options if o.target == target)


def _label(menu_id: str, target: str) -> str:
    """What the menu says of the choice that leads to a node, as the whisper names it."""
    return FLOW.prompts[next(o.say for o in FLOW.nodes[menu_id].options if o.target == target)]


DOCTOR, DOCTOR_LABEL = _key_to(FLOW.entry, "doctor_needs"), _label(FLOW.entry, "doctor_needs")
AID, AID_LABEL = _key_to("doctor_needs", "cdo_lookup"), _label("doctor_needs", "cdo_lookup")
ASSAULT = PATHS["assault_advice"]
ASSAULT_LABELS = " ; ".join(
    (_label("doctor_needs", "assault"), _label("assault", "assault_advice"), _label("assault_advice", "cdo_lookup"))
)
COUNCIL = _key_to("assault_advice", "cdo_lookup")
LISTENING = _key_to("doctor_needs", FLOW.operator)


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
    ("keys", "heard"),
    [
        ((DOCTOR, AID, "15"), f"{OPENING} : {DOCTOR_LABEL} ; {AID_LABEL} ; Cantal."),
        ((*ASSAULT, COUNCIL, "15"), f"{OPENING} : {DOCTOR_LABEL} ; {ASSAULT_LABELS} ; Cantal."),
        ((DOCTOR, AID, "20", "1"), f"{OPENING} : {DOCTOR_LABEL} ; {AID_LABEL} ; Corse-du-Sud."),
        ((DOCTOR, AID, "14", ""), f"{OPENING} : {DOCTOR_LABEL} ; {AID_LABEL} ; Calvados."),
        # 0, silence and "soutien psychologique" all lead to the listening team: only what is sure is said.
        ((DOCTOR, LISTENING), f"{OPENING} : {DOCTOR_LABEL}."),
        ((DOCTOR, "0"), f"{OPENING} : {DOCTOR_LABEL}."),
        (("0",), f"{OPENING}."),
        (("",), f"{OPENING}."),
        ((DOCTOR, "#", "0"), f"{OPENING}."),  # back to the first menu: the choice undone is not said
    ],
)
def test_the_whisper_says_the_route_chosen(whispering, keys, heard):
    _, whisper = _whisper(whispering.test_client(), *keys)
    assert whisper.says() == [heard]


def test_the_whisper_names_the_choices_in_the_words_of_the_menus(data_copy):
    """A label changed in prompts/fr.yaml is what the whisper says."""
    data_copy.edit("prompts", lambda d: d["prompts"].update(opt_doctor="Médecin, interne ou remplaçant"))
    app = create_app({"whisper": True, "data_dir": data_copy.data, "prompts_dir": data_copy.prompts}, dev=True)
    _, whisper = _whisper(app.test_client(), DOCTOR, AID, "15")
    assert whisper.says() == [f"{OPENING} : Médecin, interne ou remplaçant ; {AID_LABEL} ; Cantal."]


@pytest.mark.parametrize("node_id", WHISPERING)
def test_every_transfer_whispers_valid_twiml_and_nothing_of_the_caller(whispering, caplog, node_id):
    client = whispering.test_client()
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        doc, whisper = _whisper(client, *PATHS[node_id])
        retried = Caller(client, caller_number=NUMBER)
        retried.keys(*PATHS[node_id])
        retry = retried.dial_ends("busy")  # the second try whispers too, when its line expects it
    assert problems(doc.body) == [] and problems(whisper.body) == []
    expected = doc.dial.find("Number").get("url") if FLOW.services[FLOW.nodes[node_id].services[1]].whisper else None
    assert problems(retry.body) == [] and retry.dial.find("Number").get("url") == expected
    query = parse_qs(urlsplit(doc.dial.find("Number").get("url")).query)
    assert urlsplit(doc.dial.find("Number").get("url")).path == "/voice/whisper" and query["n"] == [node_id]
    assert [child.tag for child in whisper.root] == ["Say"] and whisper.text.startswith(OPENING)
    assert whisper.root.find("Say").get("language") == "fr-FR"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (whisper.body, logged):
        for form in (NUMBER, "0687654321", "87654321", "CA" + "7" * 32):
            assert form not in text
    other = _whisper(client, *PATHS[node_id], caller_number="+33611111111")[1]
    assert other.body == whisper.body, "the same route, the same words, whoever calls"


def test_only_the_lines_that_expect_it_hear_the_whisper(whispering):
    """Every try of every transfer: a <Number> carries the whisper only when its service has `whisper: true`."""
    client = whispering.test_client()
    seen = set()
    for node_id in TRANSFERS:
        caller = Caller(client)
        doc = caller.keys(*PATHS[node_id])
        for tries, service in enumerate(FLOW.nodes[node_id].services):
            if tries:
                doc = caller.dial_ends("busy")
            number = doc.dial.find("Number")
            expects = FLOW.services[service].whisper
            assert (number.get("url") is not None) == expects, (node_id, tries, service)
            assert number.get("method") == ("POST" if expects else None), (node_id, tries, service)
            seen.add(expects)
    assert seen == {True, False}


@pytest.mark.parametrize("line", ["pharmacist_line", "care_line"])
def test_a_line_that_does_not_expect_the_whisper_never_hears_it(whispering, line):
    """Pharmacists (ADOP, then SPS) and the other callers (SPS): not one word before the caller."""
    caller = Caller(whispering.test_client())
    doc = caller.keys(_key_to(FLOW.entry, line))
    assert doc.dial.get("action").startswith(f"/voice/dial?n={line}")
    for tries, service in enumerate(FLOW.nodes[line].services):
        if tries:
            doc = caller.dial_ends("busy")
        assert doc.dialled == FLOW.services[service].dial
        number = doc.dial.find("Number")
        assert not FLOW.services[service].whisper, f"{service} is not told to expect this line"
        assert number.get("url") is None and number.get("method") is None, (line, tries)
    platform = Caller(whispering.test_client()).keys("0").dial.find("Number")
    assert platform.text == FLOW.platform.dial and FLOW.platform.whisper
    assert urlsplit(platform.get("url")).path == "/voice/whisper", "while the platform, through 0, hears it"


def test_without_the_setting_no_transfer_whispers():
    client = create_app(dev=True).test_client()
    for node_id in TRANSFERS:
        caller = Caller(client)
        doc = caller.keys(*PATHS[node_id])
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
    path, form = f"/voice/whisper?n={FLOW.operator}&t=welcome.doctor_needs", {"CallSid": "CA" + "1" * 32}
    assert client.post(path, data=form).status_code == 403
    forged = client.post(path, data=form, headers={"X-Twilio-Signature": sign("http://localhost/", form)})
    assert forged.status_code == 403
    signed = client.post(path, data=form, headers={"X-Twilio-Signature": sign(f"http://localhost{path}", form)})
    assert signed.status_code == 200 and DOCTOR_LABEL in signed.get_data(as_text=True)


def test_the_simulator_plays_the_whisper_when_the_transfer_is_answered(whispering):
    call = Call(flask_transport(whispering), "http://localhost/voice").start()
    for token in (DOCTOR, AID, "14", "", "completed"):
        call.act(token)
    heard = [e for e in call.events if e.kind == "whisper"]
    assert [e.text for e in heard] == [f"{OPENING} : {DOCTOR_LABEL} ; {AID_LABEL} ; Calvados."]
    kinds = [e.kind for e in call.events]
    assert kinds.index("whisper") == kinds.index("dial-status") + 1 and call.ended == "hangup"
    assert heard[0].seconds > 0, "whoever answers listens to it before the caller is connected"
    assert any(r.startswith("POST http://localhost/voice/whisper?") for r in call.requested)


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed"])
def test_the_simulator_plays_no_whisper_when_nobody_answers(whispering, status):
    call = Call(flask_transport(whispering), "http://localhost/voice").start()
    call.act("0").act(status)
    assert "whisper" not in [e.kind for e in call.events]
    assert not any("/voice/whisper" in r for r in call.requested)
