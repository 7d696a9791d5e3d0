"""The keypad page and its step endpoint: served in development only, holding no state."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ivr import create_app
from ivr.config import Settings
from ivr.flow.loader import load_flow
from ivr.flow.timing import speech_seconds
from ivr.line.twiml import WHISPER_SECONDS
from ivr.review.graph import drawn
from tests.caller import Caller
from tests.paths import FIXTURES, LINE_NUMBER
from tests.routes import key_paths

FLOW = load_flow(Settings().data_dir, Settings().prompts_dir)
PATHS = key_paths(FLOW)


def _label(menu_id: str, target: str) -> str:
    """What the menu says of the choice that leads to a node, as the whisper names it."""
    return FLOW.prompts[next(o.say for o in FLOW.nodes[menu_id].options if o.target == target)]


@pytest.fixture
def client():
    return create_app(dev=True).test_client()


def test_page_is_served_in_development(client):
    with client.get("/simulator") as page:
        assert page.status_code == 200
        assert b'aria-label="key star"' in page.data and b"keypad.js" in page.data
    with client.get("/simulator/static/keypad.js") as script:
        assert script.status_code == 200 and b"speechSynthesis" in script.data


@pytest.mark.parametrize(("config", "status"), [({}, 404), ({"simulator": True}, 200)])
def test_page_outside_development_only_when_enabled(config, status):
    app = create_app({"auth_token": "x", "caller_id": LINE_NUMBER, **config}, dev=False)
    with app.test_client().get("/simulator") as page:
        assert page.status_code == status


@pytest.mark.parametrize(("config", "status"), [({}, 404), ({"simulator": True}, 200)])
def test_static_files_only_where_the_page_is(config, status):
    app = create_app({"auth_token": "x", "caller_id": LINE_NUMBER, **config}, dev=False)
    with app.test_client().get("/simulator/static/keypad.js") as script:
        assert script.status_code == status
    statics = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.endswith("static")]
    assert statics == (["/simulator/static/<path:filename>"] if status == 200 else []), (
        "no other folder is served, whatever appears next to the package"
    )


def test_steps_carry_the_call_in_the_state_sent_back(client):
    start = client.post("/simulator/step", json={"action": "start"}).get_json()
    assert start["waiting"]["kind"] == "gather" and start["events"][0]["at"] == 0
    state = start["state"]
    assert start["node"] == FLOW.entry  # where the caller is, for the picture of the flow
    for key, node in zip(PATHS["social_help"], ("doctor_needs", "social_help"), strict=True):
        answer = client.post("/simulator/step", json={"action": "keys", "keys": key, "state": state}).get_json()
        state = answer["state"]
        assert answer["node"] == node
    heard = [e["text"] for e in answer["events"] if e["kind"] == "say"]
    assert heard.count(FLOW.services["social_service"].spoken) == 2
    end = client.post("/simulator/step", json={"action": "hangup", "state": state}).get_json()
    assert (end["ended"], end["state"], end["waiting"], end["node"]) == ("caller hung up", None, None, None)
    assert end["where"] is None


def test_each_step_names_where_the_caller_is_in_words():
    data = FIXTURES / "councils"
    client = create_app({"data_dir": data / "data", "prompts_dir": data / "prompts"}, dev=True).test_client()
    answer = client.post("/simulator/step", json={"action": "start"}).get_json()
    places = [answer["where"]]
    for keys in ("1", "2", "20"):
        answer = client.post("/simulator/step", json={"action": "keys", "keys": keys, "state": answer["state"]})
        answer = answer.get_json()
        places.append(answer["where"])
    assert places == [
        {"words": "En danger, le quinze.", "id": "welcome", "known": True},
        {"words": "Médecin", "id": "doctor_needs", "known": True},
        {"words": "Votre conseil", "id": "council_lookup", "known": True},
        {"words": "20 Corse (Corse-du-Sud, Haute-Corse)", "id": "council_lookup-20", "known": True},
    ]


def test_the_picture_of_the_flow_is_served_beside_the_keypad(client):
    with client.get("/simulator/flow.svg") as picture:
        assert picture.status_code == 200 and picture.mimetype == "image/svg+xml"
        ids = {g.get("id") for g in ET.fromstring(picture.data).iter("{http://www.w3.org/2000/svg}g")}
        assert {f"node-{nid}" for nid in drawn(FLOW)} <= ids


def test_no_picture_without_graphviz(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # Graphviz's dot cannot be found
    with create_app(dev=True).test_client().get("/simulator/flow.svg") as picture:
        assert picture.status_code == 404 and b"Graphviz" in picture.data


def test_steps_signed_when_the_line_has_a_token():
    client = create_app({"auth_token": "secret", "caller_id": LINE_NUMBER, "simulator": True}, dev=False).test_client()
    start = client.post("/simulator/step", json={"action": "start"}).get_json()
    assert start["error"] is None and start["waiting"]["kind"] == "gather"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "keys", "keys": "1", "state": {"entry": "x"}},
        {"action": "dance"},
        [1, 2],
        "start",
        3,
        {"action": "keys", "keys": "1", "state": [1, 2]},
        {"action": "keys", "keys": "1", "state": "x"},
        {"action": "say", "words": "oui", "confidence": "high"},
        {"action": "start", "at": [2026]},
        {"action": ["start"]},
    ],
)
def test_bad_steps_are_refused(client, body):
    answer = client.post("/simulator/step", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"]


def _answered(client, keys) -> list[dict]:
    """Press the keys, let whoever is dialled answer: the events shown."""
    state = client.post("/simulator/step", json={"action": "start"}).get_json()["state"]
    for key in keys:
        state = client.post("/simulator/step", json={"action": "keys", "keys": key, "state": state}).get_json()["state"]
    return client.post("/simulator/step", json={"action": "dial", "status": "completed", "state": state}).get_json()[
        "events"
    ]


def test_a_transfer_answered_shows_the_whisper_when_the_line_whispers():
    client = create_app({"whisper": True}, dev=True).test_client()
    doctors = FLOW.operator_of("doctor_needs")  # médecin -> soutien psychologique: the doctors' line, as 0 there
    assert FLOW.services[FLOW.nodes[doctors].services[0]].whisper
    events = _answered(client, PATHS[doctors])
    whispers = [e for e in events if e["kind"] == "whisper"]
    # The choice that leads where 0 leads too is not named: the trail cannot tell which the caller used.
    text = f"{FLOW.prompts['whisper']} : {_label(FLOW.entry, 'doctor_needs')}."
    assert [(e["label"], e["text"]) for e in whispers] == [("Whisper", text)]
    assert speech_seconds(text) <= WHISPER_SECONDS


@pytest.mark.parametrize(
    ("line", "keys"), [("pharmacist_line", PATHS["pharmacist_line"]), (FLOW.operator, ("0",))], ids=["pharmacists", "0"]
)
def test_a_transfer_to_a_line_that_does_not_expect_the_whisper_shows_none(line, keys):
    client = create_app({"whisper": True}, dev=True).test_client()
    assert not FLOW.services[FLOW.nodes[line].services[0]].whisper
    events = _answered(client, keys)
    assert "dial-status" in [e["kind"] for e in events] and "whisper" not in [e["kind"] for e in events]


def test_words_at_a_menu_that_does_not_listen_are_shown_then_heard_as_silence():
    client = create_app({"speech": False}, dev=True).test_client()
    start = client.post("/simulator/step", json={"action": "start"}).get_json()
    assert (start["waiting"]["speech"], start["waiting"]["hints"]) == (False, [])
    said = client.post("/simulator/step", json={"action": "say", "words": "médecin", "state": start["state"]})
    events = said.get_json()["events"]
    assert said.status_code == 200
    assert [(e["kind"], e["label"], e["text"]) for e in events[:2]] == [
        ("speech", "Speech", "médecin"),
        ("silence", "Silence", f"{start['waiting']['timeout']} s"),
    ]


def test_words_at_a_menu_that_listens_are_posted_and_understood():
    client = create_app(dev=True).test_client()
    listening = client.post("/simulator/step", json={"action": "start"}).get_json()
    assert listening["waiting"]["speech"] is True and "médecin" in listening["waiting"]["hints"]
    said = client.post(
        "/simulator/step", json={"action": "say", "words": "médecin", "confidence": None, "state": listening["state"]}
    ).get_json()
    speech = said["events"][0]
    # Words, then the quiet that ends them: the first menu's speechTimeout, as the line writes it.
    quiet = int(Caller(client).answer().gather.get("speechTimeout"))
    assert (speech["label"], speech["text"], speech["seconds"]) == ("Speech", "médecin", round(7 / 15 + quiet, 1))
    assert "silence" not in [e["kind"] for e in said["events"]]
    question = create_app(dev=True).extensions["ivr"].flow.prompts["need_question"]  # with the offer to speak
    assert question in [e["text"] for e in said["events"]]
    assert said["node"] == "doctor_needs"


@pytest.mark.parametrize("confidence", [1.5, -0.1, "0.9", True])
def test_words_with_a_confidence_outside_0_to_1_are_refused(client, confidence):
    state = client.post("/simulator/step", json={"action": "start"}).get_json()["state"]
    answer = client.post(
        "/simulator/step", json={"action": "say", "words": "x", "confidence": confidence, "state": state}
    )
    assert answer.status_code == 400 and "confidence" in answer.get_json()["error"]
