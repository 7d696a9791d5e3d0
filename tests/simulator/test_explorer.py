"""The route explorer tries every key and silence, and every hint where a <Gather> listens to speech."""

from __future__ import annotations

import pytest

from ivr.simulator.explorer import SILENCE, choices, explore
from ivr.simulator.player import Call
from ivr.simulator.twiml import Gather

BASE = "https://line.test"


class Line:
    """A hand-written line of two documents: a menu, and a transfer only the words "médecin" reach
    (any key, or other words, give the menu again). Every form posted is kept."""

    def __init__(self, listens: str) -> None:
        self.menu = (
            f'<Response><Gather action="/voice/menu" numDigits="1" timeout="3" finishOnKey="" '
            f'input="{listens}" hints="médecin, répéter"><Say>Menu.</Say></Gather>'
            "<Say>Au revoir.</Say><Hangup/></Response>"
        )
        self.forms: list[dict[str, str]] = []

    def __call__(self, method: str, url: str, form) -> tuple[int, str]:
        self.forms.append(dict(form))
        if url == f"{BASE}/voice/menu" and form.get("SpeechResult") == "médecin":
            return 200, "<Response><Dial>platform</Dial></Response>"
        return 200, self.menu


def test_choices_add_each_hint_in_double_quotes_only_where_speech_is_heard():
    listening = Gather("u", "POST", 3, 1, "", False, speech=True, hints=("parler à quelqu'un", "retour"))
    assert choices(listening)[-2:] == ['"parler à quelqu\'un"', '"retour"']
    assert choices(listening)[:2] == [SILENCE, "0"]
    keys_only = Gather("u", "POST", 3, 1, "", False, speech=False, hints=("retour",))
    assert not [o for o in choices(keys_only) if o.startswith('"')]


def test_hints_are_explored_where_only_words_lead_somewhere_new():
    line = Line("dtmf speech")
    found = explore(lambda: Call(line, f"{BASE}/voice"))
    assert [stop.inputs for stop in found.states.values() if stop.call.dial is not None] == [('"médecin"',)]
    assert {f.get("SpeechResult") for f in line.forms} == {None, "médecin", "répéter"}
    assert len(found.states) == 3, "the menu, the menu after an answer, the transfer: words met again add none"
    assert found.problems == []


@pytest.mark.parametrize("listens", ["dtmf", ""])
def test_hints_of_a_gather_that_does_not_listen_are_not_tried(listens):
    line = Line(listens)
    found = explore(lambda: Call(line, f"{BASE}/voice"))
    assert all(stop.call.dial is None for stop in found.states.values())
    assert not any("SpeechResult" in f for f in line.forms)
    assert not any(i.startswith('"') for stop in [*found.states.values(), *found.endings] for i in stop.inputs)


def test_words_said_again_at_the_same_action_are_not_played_again_yet_lead_where_they_led():
    line = Line("dtmf speech")
    found = explore(lambda: Call(line, f"{BASE}/voice"))
    said = [f["SpeechResult"] for f in line.forms if "SpeechResult" in f]
    assert sorted(said) == ["médecin", "répéter"], "each hint once at the menu's action, from every state there"
    menus = [k for k, stop in found.states.items() if stop.call.gather is not None]
    assert len(menus) == 2
    for menu in menus:  # both menu states know where "médecin" leads: nothing is trapped
        assert any(found.states[t].call.dial is not None for t in found.edges[menu] if t in found.states)
    assert found.trapped() == []
