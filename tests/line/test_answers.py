"""Each webhook's answer, from its query string and input, on the small flow of the tests: the exact
document of the move it makes, and what it adds to the statistics."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.config import Settings
from ivr.errors import CallStateError
from ivr.flow import moves as call
from ivr.flow.hours import OPEN
from ivr.flow.model import Readout, closed_id
from ivr.flow.moves import Step
from ivr.flow.position import Position
from ivr.line import answers as answers_module
from ivr.line.answers import Answer, Answers, _confidence
from ivr.line.twiml import Renderer
from ivr.stats import events
from tests.conftest import DataCopy
from tests.paths import FIXTURES

MAX_TRIES = 2
OFFICE = {"mon-fri": ["09:00-12:00"]}
TUESDAY_MORNING = datetime.fromisoformat("2026-12-01T10:00:00+01:00")
TUESDAY_NIGHT = datetime.fromisoformat("2026-12-01T22:00:00+01:00")


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    return DataCopy(tmp_path_factory.mktemp("answers"), source=FIXTURES / "callers").load()


@pytest.fixture(scope="module")
def renderer(flow):
    return Renderer(flow, Settings(whisper=True))


@pytest.fixture
def line(flow, renderer):
    return Answers(flow, renderer, MAX_TRIES, confidence=0.5, clock=lambda: TUESDAY_MORNING)


def at(node: str, *trail: str, tries: int = 0) -> Position:
    return Position(node, trail, tries)


def moved(renderer, step: Step | None) -> bytes:
    return (renderer.hangup if step is call.HANGUP else renderer.render(step)).encode()


def test_the_entry_is_answered_once_for_every_call(line, renderer, flow):
    start = Step(at("welcome"), arrived=True)
    assert line.entry == Answer("at welcome", moved(renderer, start), events.entry_keys(flow, start))
    assert line.fallback == Answer("fallback", renderer.fallback.encode())


@pytest.mark.parametrize(
    ("pos", "digits", "step"),
    [
        (at("welcome"), "1", Step(at("doctor_needs", "welcome"), arrived=True)),
        (at("welcome"), "", Step(at("listening_team", "welcome"), arrived=True)),
        (at("welcome"), "7", Step(at("welcome", tries=1), notice="wrong_key")),
        (at("welcome"), "17", Step(at("welcome", tries=1), notice="wrong_key")),
        # More than two keys, or anything a keypad has not: one wrong key, answered once for all.
        (at("welcome"), "123", Step(at("welcome", tries=1), notice="wrong_key")),
        (at("welcome"), "x", Step(at("welcome", tries=1), notice="wrong_key")),
        # A doctor's second wrong key: the doctors' own line (doctor_needs' operator), not the first ear.
        (at("doctor_needs", "welcome", tries=1), "5", Step(at("doctors_line", "welcome", "doctor_needs"), True)),
    ],
)
def test_keys(line, renderer, flow, pos, digits, step):
    answer = line.key(pos.query(), digits)
    pressed = digits if answers_module.KEYS.fullmatch(digits) else answers_module.NOT_A_KEY
    counts = events.press_keys(flow, pos, pressed, step, MAX_TRIES)
    assert answer == Answer(f"at {step.position.node}", moved(renderer, step), counts)


def test_keys_no_keypad_has_share_one_answer(line):
    assert answers_module.KEYS.fullmatch("12") and answers_module.KEYS.fullmatch("")
    assert not answers_module.KEYS.fullmatch("123")
    line.key("n=welcome", "123")
    line.key("n=welcome", "abc")
    line.key("n=welcome", "#1#")
    info = line._key_at.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 1, 1)


def test_the_end_of_a_transfer(line, renderer, flow):
    pos = at("listening_team", "welcome")
    busy = Step(at("listening_team", "welcome", tries=1), notice="transfer_retry")
    assert line.dial(pos.query(), "busy") == Answer(
        "at listening_team", moved(renderer, busy), events.dial_keys(flow, pos, "busy", busy)
    )
    assert line.dial(pos.query(), "completed") == Answer(
        "ended after the transfer", renderer.hangup.encode(), events.dial_keys(flow, pos, "completed", None)
    )
    # A status Twilio does not document is counted as other, and moves on as a failed try.
    odd = line.dial(pos.query(), "exploded")
    assert odd == Answer("at listening_team", moved(renderer, busy), events.dial_keys(flow, pos, events.OTHER, busy))
    assert odd.counts[0] == (events.TRANSFER_END, flow.nodes["listening_team"].services[0], events.OTHER)
    # Any status Twilio does not document shares that one answer: junk never fills the cache.
    line.dial(pos.query(), "imploded")
    info = line._dial_at.cache_info()
    assert (info.hits, info.misses) == (1, 3)


def test_the_whisper_names_the_route_whatever_the_try(line, renderer, flow):
    pos = at("doctors_line", "welcome", "doctor_needs")
    expected = Answer("whisper at doctors_line", renderer.whisper(pos).encode())
    assert line.whisper(pos.query()) == expected
    last = len(flow.nodes["doctors_line"].services) - 1
    assert last >= 1
    assert line.whisper(at("doctors_line", "welcome", "doctor_needs", tries=last).query()) == expected
    info = line._whisper_at.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    # Distress is part of the answer: said first, whatever the try, and cached apart.
    alarm = Position("doctors_line", ("welcome", "doctor_needs"), distress=True)
    heard = line.whisper(alarm.query())
    assert heard == Answer("whisper at doctors_line", renderer.whisper(alarm).encode()) != expected
    assert flow.prompts["whisper_distress"] in heard.document.decode()
    assert flow.prompts["whisper_distress"] not in expected.document.decode()
    assert line.whisper(Position("doctors_line", alarm.trail, last, distress=True).query()) == heard


def test_no_whisper_at_a_menu(line):
    with pytest.raises(CallStateError, match="^whisper for a node that is not a transfer$"):
        line.whisper("n=welcome")


@pytest.mark.parametrize(
    ("words", "confidence", "step", "outcome"),
    [
        ("médecin", "0.9", Step(at("doctor_needs", "welcome"), arrived=True), "understood"),
        ("médecin", "", Step(at("doctor_needs", "welcome"), arrived=True), "understood"),
        ("médecin", "0.2", Step(at("listening_team", "welcome"), arrived=True), "unsure"),
        ("médecin", "beaucoup", Step(at("listening_team", "welcome"), arrived=True), "unsure"),
    ],
)
def test_words_said(line, renderer, flow, words, confidence, step, outcome):
    counts = events.speech_keys(flow, at("welcome"), outcome, step)
    assert line.said("n=welcome", words, confidence) == Answer(
        f"at {step.position.node}", moved(renderer, step), counts
    )
    assert counts[0] == (events.SPEECH, "welcome", outcome)


def test_words_are_sure_from_one_half_by_default(flow, renderer):
    line = Answers(flow, renderer, MAX_TRIES)
    assert line.said("n=welcome", "médecin", "0.5").where == "at doctor_needs"
    assert line.said("n=welcome", "médecin", "0.49").where == "at listening_team"
    assert line.said("n=welcome", "médecin").where == "at doctor_needs"  # Twilio sent no Confidence


def test_the_answers_kept_are_bounded(line):
    kept = {name: getattr(line, name).cache_parameters()["maxsize"] for name in ("_key_at", "_said_at")}
    assert kept == {"_key_at": answers_module.MAX_ANSWERS, "_said_at": answers_module.MAX_ANSWERS}
    kept = {name: getattr(line, name).cache_parameters()["maxsize"] for name in ("_dial_at", "_whisper_at")}
    assert kept == {"_dial_at": answers_module.MAX_TRANSFER_ANSWERS, "_whisper_at": answers_module.MAX_TRANSFER_ANSWERS}


def test_words_said_at_a_transfer_are_silence(line, renderer, flow):
    pos = at("listening_team", "welcome")
    step = Step(pos, arrived=True)
    assert line.said(pos.query(), "médecin", "0.9") == Answer(
        "at listening_team", moved(renderer, step), events.press_keys(flow, pos, "", step, MAX_TRIES)
    )


@pytest.mark.parametrize(("raw", "read"), [("0.92", 0.92), (" 0.3 ", 0.3), ("", None), ("  ", None), ("oui", 0.0)])
def test_twilio_confidence(raw, read):
    assert _confidence(raw) == read


def test_positions_written_by_the_line_are_kept_and_others_parsed_each_time(line, monkeypatch):
    assert line.position("n=doctor_needs&t=welcome&r=1") == at("doctor_needs", "welcome", tries=1)
    assert line.position("r=1&t=welcome&n=doctor_needs") == at("doctor_needs", "welcome", tries=1)
    assert line.position("n=welcome&junk=x") == at("welcome")
    assert list(line._positions) == ["n=doctor_needs&t=welcome&r=1"]
    kept = line.position("n=doctor_needs&t=welcome&r=1")
    assert line.position("n=doctor_needs&t=welcome&r=1") is kept
    monkeypatch.setattr(answers_module, "MAX_POSITIONS", 2)
    line.position("n=welcome")
    line.position("n=doctor_needs&t=welcome")
    assert list(line._positions) == ["n=doctor_needs&t=welcome&r=1", "n=welcome"]
    with pytest.raises(CallStateError, match="^unknown node in callback URL$"):
        line.position("n=nowhere")
    # A parameter sent empty is read as sent, never as left out: an empty retry counter is refused.
    with pytest.raises(CallStateError, match="^retry counter out of range$"):
        line.position("n=welcome&r=")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The small flow, with the read-out after the listening team keeping office hours."""
    copy = DataCopy(tmp_path_factory.mktemp("office"), source=FIXTURES / "callers")
    copy.edit("directory", lambda d: d["services"].update(office=dict(d["services"]["suicide_line"], open=OFFICE)))
    copy.edit("flow", lambda d: d["nodes"]["other_lines"].update(service="office", closed_intro="office_closed"))
    copy.edit(
        "flow",
        lambda d: d["nodes"]["welcome"]["options"].append({"key": "4", "say": "opt_talk", "target": "other_lines"}),
    )
    copy.edit("prompts", lambda d: d["prompts"].update(office_closed="Fermé, il ouvre {opening}."))
    return copy.load()


def test_a_read_out_of_an_office_follows_the_hour(office):
    line = Answers(office, Renderer(office, Settings()), MAX_TRIES, clock=lambda: TUESDAY_NIGHT)
    pos = at("listening_team", "welcome", tries=len(office.nodes["listening_team"].services) - 1)  # the last try
    assert "pharmacist_line" not in office.closing and office.closing["listening_team"] == ("other_lines",)
    assert office.closing["welcome"] == ("other_lines",)
    assert line.hours("pharmacist_line") == ()
    assert line.hours("listening_team", TUESDAY_MORNING) == (("other_lines", OPEN),)
    assert line.hours("listening_team") == (("other_lines", "demain à neuf heures"),)
    opens = "demain à neuf heures"
    closed = Step(at(closed_id("other_lines"), "welcome", "listening_team"), arrived=True, opening=opens)
    stands_for = office.nodes[closed.position.node]
    assert isinstance(stands_for, Readout) and stands_for.service == "office", "read for later, never a transfer"
    assert line.dial(pos.query(), "failed").document == line.renderer.render(closed).encode()
    read = Step(at("other_lines", "welcome", "listening_team"), arrived=True)
    assert line.dial(pos.query(), "failed", TUESDAY_MORNING).document == line.renderer.render(read).encode()
    # The hour is part of what is cached: the same failed call at night is again the closed office.
    assert line.dial(pos.query(), "failed").document == line.renderer.render(closed).encode()


def test_keys_and_words_that_reach_an_office_follow_the_hour(office):
    line = Answers(office, Renderer(office, Settings()), MAX_TRIES, clock=lambda: TUESDAY_NIGHT)
    render = line.renderer.render
    closed = Step(at(closed_id("other_lines"), "welcome"), arrived=True, opening="demain à neuf heures")
    read = Step(at("other_lines", "welcome"), arrived=True)
    assert line.key("n=welcome", "4").document == render(closed).encode()
    assert line.key("n=welcome", "4", TUESDAY_MORNING).document == render(read).encode()
    assert line.said("n=welcome", "parler", "0.9").document == render(closed).encode()
    assert line.said("n=welcome", "parler", "0.9", TUESDAY_MORNING).document == render(read).encode()
    # At a transfer nothing said and no hour changes the answer: the caller is put through.
    through = Step(at("listening_team", "welcome"), arrived=True)
    assert line.said("n=listening_team&t=welcome", "parler", "0.9").document == render(through).encode()


def test_words_of_distress_mark_the_transfer_they_reach_and_nothing_else(tmp_path):
    """Distress said: the transfer's answer carries d=1 (its tries and its whisper); the same keys pressed do
    not; a choice said without distress carries nothing. The small flow of the tests, with words of distress."""
    copy = DataCopy(tmp_path, source=FIXTURES / "callers")
    copy.edit("prompts", lambda d: d.update(words={"distress": ["je n'en peux plus"]}))
    flow = copy.load()
    renderer = Renderer(flow, Settings(whisper=True))
    line = Answers(flow, renderer, MAX_TRIES, confidence=0.5, clock=lambda: TUESDAY_MORNING)
    said = line.said("n=welcome", "je n'en peux plus", "0.9")
    marked = Step(Position(flow.operator, ("welcome",), distress=True), arrived=True)
    assert said == Answer(
        f"at {flow.operator}", moved(renderer, marked), events.speech_keys(flow, at("welcome"), "understood", marked)
    )
    assert "d=1" in said.document.decode()
    assert "d=1" not in line.key("n=welcome", "0").document.decode(), "0 pressed: no mark"
    assert "d=1" not in line.said("n=welcome", "médecin", "0.9").document.decode(), "a choice said: no mark"
    doctor = line.said("n=welcome", "médecin, je n'en peux plus", "0.9")
    assert doctor.where == f"at {flow.operator_of('doctor_needs')}" and "d=1" in doctor.document.decode()
    whisper = line.whisper(f"n={flow.operator_of('doctor_needs')}&t=welcome.doctor_needs&d=1").document.decode()
    assert flow.prompts["whisper_distress"] in whisper
