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
TRANSFERS = sorted(n for n, keys in key_paths(FLOW).items() if isinstance(FLOW.nodes[n], Transfer))
NUMBER = "+33687654321"
OPENING = "Appel de la ligne d'écoute"


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
        (("2",), f"{OPENING} : Autre profession de santé."),
        (("1", "2", "15"), f"{OPENING} : Médecin, interne ou étudiant ; Aide financière urgente ; Cantal."),
        (
            ("1", "4", "1", "15"),
            f"{OPENING} : Médecin, interne ou étudiant ; Agression ou violence ; "
            "Le numéro de votre conseil départemental ; Cantal.",
        ),
        (("1", "2", "20", "1"), f"{OPENING} : Médecin, interne ou étudiant ; Aide financière urgente ; Corse-du-Sud."),
        (("1", "2", "14", ""), f"{OPENING} : Médecin, interne ou étudiant ; Aide financière urgente ; Calvados."),
        # 0, silence and "soutien psychologique" all lead to the listening team: only what is sure is said.
        (("1", "1"), f"{OPENING} : Médecin, interne ou étudiant."),
        (("1", "0"), f"{OPENING} : Médecin, interne ou étudiant."),
        (("0",), f"{OPENING}."),
        (("",), f"{OPENING}."),
        (("1", "#", "0"), f"{OPENING}."),  # back to the first menu: the choice undone is not said
    ],
)
def test_the_whisper_says_the_route_chosen(whispering, keys, heard):
    _, whisper = _whisper(whispering.test_client(), *keys)
    assert whisper.says() == [heard]


@pytest.mark.parametrize("node_id", TRANSFERS)
def test_every_transfer_whispers_valid_twiml_and_nothing_of_the_caller(whispering, caplog, node_id):
    client = whispering.test_client()
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        doc, whisper = _whisper(client, *key_paths(FLOW)[node_id])
        retried = Caller(client, caller_number=NUMBER)
        retried.keys(*key_paths(FLOW)[node_id])
        retry = retried.dial_ends("busy")  # the second try whispers too
    assert problems(doc.body) == [] and problems(whisper.body) == []
    assert problems(retry.body) == [] and retry.dial.find("Number").get("url") == doc.dial.find("Number").get("url")
    query = parse_qs(urlsplit(doc.dial.find("Number").get("url")).query)
    assert urlsplit(doc.dial.find("Number").get("url")).path == "/voice/whisper" and query["n"] == [node_id]
    assert [child.tag for child in whisper.root] == ["Say"] and whisper.text.startswith(OPENING)
    assert whisper.root.find("Say").get("language") == "fr-FR"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (whisper.body, logged):
        for form in (NUMBER, "0687654321", "87654321", "CA" + "7" * 32):
            assert form not in text
    other = _whisper(client, *key_paths(FLOW)[node_id], caller_number="+33611111111")[1]
    assert other.body == whisper.body, "the same route, the same words, whoever calls"


def test_without_the_setting_no_transfer_whispers():
    client = create_app(dev=True).test_client()
    for node_id in TRANSFERS:
        caller = Caller(client)
        doc = caller.keys(*key_paths(FLOW)[node_id])
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
    path, form = "/voice/whisper?n=other_professions&t=welcome", {"CallSid": "CA" + "1" * 32}
    assert client.post(path, data=form).status_code == 403
    forged = client.post(path, data=form, headers={"X-Twilio-Signature": sign("http://localhost/", form)})
    assert forged.status_code == 403
    signed = client.post(path, data=form, headers={"X-Twilio-Signature": sign(f"http://localhost{path}", form)})
    assert signed.status_code == 200 and "Autre profession de santé" in signed.get_data(as_text=True)


def test_the_simulator_plays_the_whisper_when_the_transfer_is_answered(whispering):
    call = Call(flask_transport(whispering), "http://localhost/voice").start()
    for token in ("1", "2", "14", "", "completed"):
        call.act(token)
    heard = [e for e in call.events if e.kind == "whisper"]
    assert [e.text for e in heard] == [
        f"{OPENING} : Médecin, interne ou étudiant ; Aide financière urgente ; Calvados."
    ]
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
