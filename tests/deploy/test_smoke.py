"""The smoke call: Twilio's requests, signed as Twilio signs them, judged as Twilio would."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from ivr.deploy.numbers import wanted
from ivr.deploy.smoke import call_fields, smoke_call
from ivr.simulator.player import Call

from ..servers import served

TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a1" * 16
LINE = "+33974991234"


def test_the_smoke_call_sends_the_fields_the_simulator_sends():
    sent = []

    def transport(method, url, form):
        sent.append(dict(form))
        return 200, "<Response><Hangup/></Response>"

    Call(transport, "https://line.example.org/voice", called=LINE).start()
    fields = call_fields(ACCOUNT, LINE, "CA" + "0" * 32, "ringing")
    assert set(fields) == set(sent[0])
    assert {k: v for k, v in fields.items() if k not in ("CallSid", "AccountSid")} == {
        k: v for k, v in sent[0].items() if k not in ("CallSid", "AccountSid")
    }
    assert fields["From"] == fields["Caller"] == "anonymous", "never a real caller's number"


class Recorder:
    """A WSGI line answering fixed bodies by path, and keeping what it received."""

    def __init__(self, answers: dict[str, tuple[str, str]]) -> None:
        self.answers, self.received = answers, []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        self.received.append(
            (
                environ["REQUEST_METHOD"],
                environ["PATH_INFO"],
                environ.get("QUERY_STRING", ""),
                body,
                environ.get("HTTP_X_TWILIO_SIGNATURE", ""),
            )
        )
        status, text = self.answers.get(environ["PATH_INFO"], ("404 Not Found", ""))
        start_response(status, [("Content-Type", "text/xml")])
        return [text.encode()]


def test_a_static_fallback_is_requested_with_get_signed_over_its_query():
    static = Recorder({"/fallback.xml": ("200 OK", "<Response><Say>x</Say></Response>")})
    with served(static) as other:
        hooks = wanted("https://line.example.org", f"{other}/fallback.xml", "GET")
        with served(Recorder({})) as base:
            checks = {c.name: c for c in smoke_call(base, hooks, TOKEN, ACCOUNT, LINE)}
    assert checks["smoke call, fallback URL"].ok, checks["smoke call, fallback URL"]
    [(method, path, query, body, signature)] = static.received
    assert (method, path, body) == ("GET", "/fallback.xml", "")
    assert dict(parse_qsl(query))["ErrorCode"] == "11200" and dict(parse_qsl(query))["To"] == LINE
    assert RequestValidator(TOKEN).validate(f"{other}/fallback.xml?{query}", {}, signature)


@pytest.mark.parametrize(
    ("answers", "name", "why"),
    [
        ({"/voice": ("200 OK", "<html>It works!</html>")}, "smoke call, voice URL", "not TwiML"),
        ({"/voice": ("200 OK", "<Response/>")}, "smoke call, voice URL", "an empty <Response>"),
        ({"/voice": ("500 Internal Server Error", "")}, "smoke call, voice URL", "answered 500"),
        ({"/voice/status": ("200 OK", "<Response/>")}, "smoke call, status callback", "expected an empty 200 or 204"),
        ({}, "smoke call, fallback URL", "answered 404"),
    ],
)
def test_a_line_that_would_fail_a_call_fails_the_smoke_call(answers, name, why):
    line = Recorder(answers)
    with served(line) as base:
        checks = {c.name: c for c in smoke_call(base, wanted(base), TOKEN, ACCOUNT, LINE)}
    assert not checks[name].ok and why in checks[name].detail
    assert str(checks[name]).startswith(f"FAIL  {name}: ")
    signed = [
        r for r in line.received if RequestValidator(TOKEN).validate(f"{base}{r[1]}", dict(parse_qsl(r[3])), r[4])
    ]
    assert len(signed) == 3 and len(line.received) == 5, "three signed requests, two forged ones"
