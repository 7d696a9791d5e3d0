"""The simulated caller plays hand-written TwiML with Twilio's semantics."""

from __future__ import annotations

import pytest

from ivr.simulator.player import Call
from ivr.simulator.twiml import CallError, Gather

BASE = "https://line.test"


class Pages:
    """A fake line: TwiML documents by (method, url); every request is kept."""

    def __init__(self, pages: dict[tuple[str, str], str]) -> None:
        self.pages = {k: f"<Response>{v}</Response>" for k, v in pages.items()}
        self.requests: list[tuple[str, str, dict]] = []

    def __call__(self, method, url, form):
        self.requests.append((method, url, dict(form)))
        if (method, url) not in self.pages:
            return 404, "not found"
        return 200, self.pages[(method, url)]


def call(pages: dict, entry: str = f"{BASE}/voice") -> tuple[Call, Pages]:
    line = Pages(pages)
    return Call(line, entry).start(), line


def kinds(c: Call) -> list[tuple[str, str]]:
    return [(e.kind, e.text) for e in c.events]


def test_say_play_pause_are_heard_in_order_then_the_document_ends():
    c, line = call({("POST", f"{BASE}/voice"): '<Say>Hello.</Say><Play>/a.wav</Play><Pause length="2"/>'})
    assert kinds(c) == [("say", "Hello."), ("play", f"{BASE}/a.wav"), ("pause", "2 s"), ("end", "end of document")]
    assert c.ended == "end of document"
    assert c.clock == pytest.approx(len("Hello.") / 15 + 0.45 + 2)


def test_twilio_form_fields_are_sent():
    c, line = call({("POST", f"{BASE}/voice"): "<Hangup/>"})
    method, url, form = line.requests[0]
    assert (method, url) == ("POST", f"{BASE}/voice")
    assert form["CallSid"].startswith("CA") and len(form["CallSid"]) == 34
    assert form["AccountSid"].startswith("AC") and len(form["AccountSid"]) == 34
    assert (form["From"], form["CallStatus"], form["Direction"], form["ApiVersion"]) == (
        "anonymous",
        "ringing",
        "inbound",
        "2010-04-01",
    )
    assert c.ended == "hangup"


def test_say_text_includes_nested_ssml_and_prosody_slows_the_estimate():
    words = "zero nine, eighty"
    c, _ = call({("POST", f"{BASE}/voice"): f'<Say>At <prosody rate="50%">{words}</prosody></Say>'})
    assert c.events[0].text == f"At {words}"
    plain, _ = call({("POST", f"{BASE}/voice"): f"<Say>At {words}</Say>"})
    assert c.events[0].seconds > plain.events[0].seconds + 1


GATHER = (
    '<Gather action="/voice/key?n=menu" numDigits="1" timeout="4" finishOnKey="">'
    "<Say>Press one.</Say></Gather><Say>Still there?</Say>"
)


def test_gather_posts_digits_to_its_action_resolved_against_the_document():
    c, line = call({("POST", f"{BASE}/voice"): GATHER, ("POST", f"{BASE}/voice/key?n=menu"): "<Say>One.</Say>"})
    assert c.gather == Gather(f"{BASE}/voice/key?n=menu", "POST", 4, 1, "", False)
    c.press("1")
    assert line.requests[-1][2]["Digits"] == "1"
    assert kinds(c)[-2:] == [("say", "One."), ("end", "end of document")]


def test_gather_without_input_falls_through_to_the_next_verb_after_its_timeout():
    c, line = call({("POST", f"{BASE}/voice"): GATHER})
    before = c.clock
    c.silence()
    assert len(line.requests) == 1
    assert kinds(c)[-2:] == [("say", "Still there?"), ("end", "end of document")]
    assert c.events[-3].kind == "silence" and c.clock - before == pytest.approx(4 + 0.45 + len("Still there?") / 15)


def test_action_on_empty_result_posts_the_action_without_digits():
    gather = '<Gather action="next" actionOnEmptyResult="true" timeout="3"/><Say>Never.</Say>'
    c, line = call(
        {("POST", f"{BASE}/ivr/voice"): gather, ("POST", f"{BASE}/ivr/next"): "<Hangup/>"}, entry=f"{BASE}/ivr/voice"
    )
    c.silence()
    assert line.requests[-1][1] == f"{BASE}/ivr/next" and "Digits" not in line.requests[-1][2]
    assert c.ended == "hangup"


def test_gather_without_action_posts_to_the_current_document_and_cuts_at_finish_key():
    c, line = call({("POST", f"{BASE}/voice"): "<Gather/>"})
    c.press("14#9")
    assert line.requests[-1][1:] == (f"{BASE}/voice", {**line.requests[-1][2], "Digits": "14"})
    assert line.requests[-1][2]["Digits"] == "14"


def test_gather_takes_num_digits_and_waits_the_timeout_for_a_short_entry():
    g = Gather("u", "POST", 5, 2, "", False)
    assert g.entry("145") == ("14", False)
    assert g.entry("1") == ("1", True)


LISTENING = (
    '<Gather action="/voice/key?n=menu" numDigits="1" timeout="4" finishOnKey="" input="dtmf speech" '
    'language="fr-FR" speechTimeout="3" hints="médecin, docteur,, parler à quelqu\'un ">'
    "<Say>Press one or say doctor.</Say></Gather><Say>Still there?</Say>"
)
SPEECH_PAGES = {("POST", f"{BASE}/voice"): LISTENING, ("POST", f"{BASE}/voice/key?n=menu"): "<Say>Heard.</Say>"}


@pytest.mark.parametrize(
    ("attributes", "speech", "hints", "speech_timeout"),
    [
        ("", False, (), 4),  # Twilio's defaults: keys only, speechTimeout as long as the timeout
        ('input="dtmf" hints="a, b"', False, ("a", "b"), 4),
        ('input="Speech"', True, (), 4),
        ('input="dtmf  speech" speechTimeout="auto" hints=" x ,, y z "', True, ("x", "y z"), 1),
        ('input="speeches" speechTimeout="2"', False, (), 2),
    ],
)
def test_gather_reads_input_hints_and_speech_timeout(attributes, speech, hints, speech_timeout):
    c, _ = call({("POST", f"{BASE}/voice"): f'<Gather timeout="4" {attributes}/>'})
    assert (c.gather.speech, c.gather.hints, c.gather.speech_timeout) == (speech, hints, speech_timeout)


def test_speech_posts_the_words_and_their_confidence_without_digits():
    c, line = call(SPEECH_PAGES)
    assert c.gather.hints == ("médecin", "docteur", "parler à quelqu'un")
    before = c.clock
    c.say("  aide   financière ")
    method, url, form = line.requests[-1]
    assert (method, url) == ("POST", f"{BASE}/voice/key?n=menu")
    assert (form["SpeechResult"], form["Confidence"]) == ("aide financière", "0.9")
    assert "Digits" not in form and form["CallSid"] == c.sid
    speaking = len("aide financière") / 15
    assert [(e.kind, e.text, e.at, e.seconds) for e in c.events if e.kind == "speech"] == [
        ("speech", "aide financière", before, pytest.approx(speaking + 3))
    ], "speaking, then 3 s of speechTimeout"
    assert kinds(c)[-2:] == [("say", "Heard."), ("end", "end of document")]
    assert c.clock - before == pytest.approx(speaking + 3 + len("Heard.") / 15 + 0.45)


def test_confidence_is_written_like_twilio_and_left_out_when_none():
    c, line = call(SPEECH_PAGES)
    c.say("docteur", confidence=1)
    assert line.requests[-1][2]["Confidence"] == "1.0"
    c, line = call(SPEECH_PAGES)
    c.say("docteur", confidence=None)
    assert line.requests[-1][2]["SpeechResult"] == "docteur" and "Confidence" not in line.requests[-1][2]


def test_a_gather_not_listening_to_speech_hears_silence_and_the_transcript_shows_the_words():
    c, line = call({("POST", f"{BASE}/voice"): GATHER})
    before = c.clock
    c.say("médecin")
    assert len(line.requests) == 1, "nothing posted: Twilio heard nothing"
    assert kinds(c)[-4:] == [
        ("speech", "médecin"),
        ("silence", "4 s"),
        ("say", "Still there?"),
        ("end", "end of document"),
    ]
    assert c.clock - before == pytest.approx(4 + 0.45 + len("Still there?") / 15), "the timeout runs as they speak"


def test_speech_at_a_gather_not_listening_posts_an_empty_result_when_asked():
    gather = '<Gather action="next" actionOnEmptyResult="true" input="dtmf" hints="médecin"/><Say>Never.</Say>'
    c, line = call({("POST", f"{BASE}/voice"): gather, ("POST", f"{BASE}/next"): "<Hangup/>"})
    c.say("médecin")
    form = line.requests[-1][2]
    assert line.requests[-1][1] == f"{BASE}/next"
    assert not {"Digits", "SpeechResult", "Confidence"} & set(form)
    assert [k for k, _ in kinds(c)][-4:] == ["speech", "silence", "hangup", "end"]


def test_a_token_in_double_quotes_is_speech_and_empty_words_are_silence():
    c, line = call(SPEECH_PAGES)
    c.act('"parler à quelqu\'un"', confidence=0.42)
    assert (line.requests[-1][2]["SpeechResult"], line.requests[-1][2]["Confidence"]) == ("parler à quelqu'un", "0.42")
    for quiet in ('""', '" "'):
        c, line = call(SPEECH_PAGES)
        c.act(quiet)
        assert len(line.requests) == 1 and [k for k, _ in kinds(c)][-3:] == ["silence", "say", "end"]
    c, line = call(SPEECH_PAGES)
    c.act("1")
    assert line.requests[-1][2]["Digits"] == "1" and "SpeechResult" not in line.requests[-1][2]


def test_redirect_is_followed_with_its_method_and_an_absolute_url():
    c, line = call(
        {
            ("POST", f"{BASE}/voice"): '<Redirect method="GET">https://other.test/x?a=1</Redirect>',
            ("GET", "https://other.test/x?a=1&" + "CallSid="): "",
        }
    )
    assert line.requests[1][0] == "GET"
    assert line.requests[1][1].startswith("https://other.test/x?a=1&CallSid=CA")
    assert c.error is not None and c.error.kind == "http"  # the fake line has no such GET page


def test_dial_waits_then_posts_its_action_with_the_dial_status():
    doc = '<Dial action="/voice/dial" timeout="20"><Number>platform</Number></Dial><Say>After.</Say>'
    c, line = call({("POST", f"{BASE}/voice"): doc, ("POST", f"{BASE}/voice/dial"): "<Say>Busy.</Say>"})
    assert c.dial is not None and c.dial.numbers == ("Number platform",)
    before = c.clock
    c.answer("no-answer")
    form = line.requests[-1][2]
    assert (form["DialCallStatus"], form["DialCallDuration"]) == ("no-answer", "0")
    assert c.clock - before == pytest.approx(20 + 5 + len("Busy.") / 15 + 0.45), "Twilio adds 5 s to the timeout"
    assert kinds(c)[-2:] == [("say", "Busy."), ("end", "end of document")]


def test_dial_without_action_continues_with_the_next_verb():
    c, line = call({("POST", f"{BASE}/voice"): "<Dial>platform</Dial><Say>After.</Say>"})
    assert c.dial.numbers == ("Number platform",)
    c.answer("completed")
    assert len(line.requests) == 1
    assert kinds(c)[-2:] == [("say", "After."), ("end", "end of document")]


@pytest.mark.parametrize(
    ("pages", "kind"),
    [
        ({("POST", f"{BASE}/voice"): "<Say>no end"}, "twiml"),  # invalid XML
        ({("POST", f"{BASE}/voice"): "<Dance/>"}, "twiml"),
        ({("POST", f"{BASE}/voice"): "<Gather><Dial>1</Dial></Gather>"}, "twiml"),
        ({("POST", f"{BASE}/voice"): "<Redirect>/voice</Redirect>"}, "loop"),
        ({}, "http"),
    ],
)
def test_errors_and_loops_end_the_call_with_their_kind(pages, kind):
    c = Call(Pages(pages), f"{BASE}/voice").start()
    assert c.error is not None and c.error.kind == kind
    assert c.over and c.events[-1].kind == "error"


def test_a_waiting_call_can_be_carried_as_plain_data_and_resumed():
    pages = {("POST", f"{BASE}/voice"): GATHER, ("POST", f"{BASE}/voice/key?n=menu"): "<Say>One.</Say>"}
    c, line = call(pages)
    resumed = Call.resume(line, c.snapshot()).press("1")
    assert resumed.sid == c.sid and line.requests[-1][2]["CallSid"] == c.sid
    assert kinds(resumed)[-2:] == [("say", "One."), ("end", "end of document")]
    with pytest.raises(CallError):
        Call.resume(line, {"entry": "x"})


def test_play_lasts_as_long_as_its_file_and_loops():
    lengths = {f"{BASE}/audio/a.wav": 2.5}
    line = Pages(
        {
            ("POST", f"{BASE}/voice"): '<Play>/audio/a.wav</Play><Play loop="2">/audio/a.wav</Play>'
            "<Play>/audio/unknown.mp3</Play><Say>Fin.</Say>"
        }
    )
    c = Call(line, f"{BASE}/voice", audio_length=lengths.get).start()
    plays = [e for e in c.events if e.kind == "play"]
    assert [(e.text, e.at, e.seconds) for e in plays] == [
        (f"{BASE}/audio/a.wav", 0.0, 2.5),
        (f"{BASE}/audio/a.wav", 2.5, 5.0),
        (f"{BASE}/audio/unknown.mp3", 7.5, 0.0),
    ]
    assert next(e for e in c.events if e.kind == "say").at == 7.5


def test_wav_seconds_reads_the_file_length():
    import io
    import wave

    from ivr.simulator.transport import wav_seconds

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 12000)
    assert wav_seconds(buffer.getvalue()) == 1.5
    assert wav_seconds(b"ID3 not a wav") is None
