"""The webhooks: signatures, proxies, the fallback, faults, forged positions, health."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.config import SIMULATED_NOW
from ivr.errors import ConfigError
from ivr.flow.directory import FAMILY
from ivr.flow.loader import load_flow
from ivr.line.webhooks import EMPTY
from ivr.stats import events
from tests.paths import LINE_NUMBER, ROOT

from ..caller import Caller
from ..routes import key_paths

TOKEN = "0123456789abcdef0123456789abcdef"
FORM = {"CallSid": "CA" + "1" * 32, "From": "+33612345678", "To": "+33100000000"}
FLOW = load_flow(ROOT / "data", ROOT / "prompts")
OPERATOR = FLOW.nodes[FLOW.operator]  # the first ear: each of its services in turn, then other lines
# The line the fallback dials and reads: the first ear's first line (flow.platform), for every caller.
PLATFORM = FLOW.platform.dial
PLATFORM_WORDS = FLOW.platform.spoken
DOCTORS = FLOW.operator_of("doctor_needs")  # the doctors' line, for whoever said they are a doctor


def test_the_fallback_line_is_the_first_ears_and_serves_every_caller():
    """A fault may strike before the caller said who they are: the fallback dials a line for everyone."""
    assert OPERATOR.services[0] == FLOW.platform.id
    assert all(FLOW.platform.serves(c) for c in (*FLOW.professions, FAMILY))
    assert PLATFORM.startswith("+33") and PLATFORM_WORDS


def sign(url: str, form: dict, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


@pytest.fixture
def signed_app():
    return create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False)


def _is_fallback(response) -> bool:
    root = ET.fromstring(response.get_data(as_text=True))
    return (
        response.status_code == 200
        and root.find("Dial/Number").text == PLATFORM
        and root.find("Dial").get("action") is None
    )


# -- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/voice", "/voice/key?n=welcome", "/voice/key?n=doctor_needs&t=welcome&r=1", "/voice/fallback"]
)
def test_signed_request_is_accepted(signed_app, path):
    url = f"http://localhost{path}"
    response = signed_app.test_client().post(path, data=FORM, headers={"X-Twilio-Signature": sign(url, FORM)})
    assert response.status_code == 200


def test_a_whole_signed_call(signed_app):
    caller = Caller(signed_app.test_client(), headers=lambda url, form: {"X-Twilio-Signature": sign(url, form)})
    assert caller.keys(*key_paths(FLOW)["social_help"]).node == "social_help"
    assert caller.keys("0").dialled == PLATFORM
    for service in OPERATOR.services[1:]:
        assert caller.dial_ends("busy").dialled == FLOW.services[service].dial, "tried again"
    assert caller.dial_ends("busy").node == OPERATOR.on_failure


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "missing"),
        ({"X-Twilio-Signature": "Zm9yZ2Vk"}, "forged"),
        ({"X-Twilio-Signature": sign("http://localhost/voice", FORM, token="f" * 32)}, "wrong token"),
        ({"X-Twilio-Signature": sign("http://localhost/voice", {**FORM, "Digits": "1"})}, "other body"),
        ({"X-Twilio-Signature": sign("http://localhost/voice/key?n=welcome", FORM)}, "other URL"),
    ],
)
def test_unsigned_or_forged_request_is_refused(signed_app, headers, why, monkeypatch):
    monkeypatch.setattr("ivr.line.webhooks._answer", lambda *a: pytest.fail("answered a refused request"))
    response = signed_app.test_client().post("/voice", data=FORM, headers=headers)
    assert response.status_code == 403, why
    assert len(response.get_data()) < 300 and b"<Response" not in response.get_data()


def test_behind_an_https_proxy_with_forwarded_headers():
    public = "https://line.example.org/voice/key?n=welcome"
    headers = {
        "X-Twilio-Signature": sign(public, FORM),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "line.example.org",
    }
    behind = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER, "proxy_hops": 1}, dev=False).test_client()
    assert behind.post("/voice/key?n=welcome", data=FORM, headers=headers).status_code == 200
    naive = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False).test_client()
    assert naive.post("/voice/key?n=welcome", data=FORM, headers=headers).status_code == 403, (
        "without IVR_PROXY_HOPS the forwarded headers are not trusted"
    )


def test_behind_a_proxy_with_a_port():
    public = "https://line.example.org:8443/voice"
    headers = {
        "X-Twilio-Signature": sign(public, FORM),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "line.example.org:8443",
    }
    behind = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER, "proxy_hops": 1}, dev=False).test_client()
    assert behind.post("/voice", data=FORM, headers=headers).status_code == 200


def test_behind_a_proxy_with_a_path_prefix():
    """The line served under /line of the public host (X-Forwarded-Prefix): Twilio signs the prefix too."""
    public = "https://line.example.org/line/voice/key?n=welcome"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org", "X-Forwarded-Prefix": "/line"}
    behind = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER, "proxy_hops": 1}, dev=False).test_client()
    signed = {**forwarded, "X-Twilio-Signature": sign(public, FORM)}
    assert behind.post("/voice/key?n=welcome", data=FORM, headers=signed).status_code == 200
    unprefixed = {**forwarded, "X-Twilio-Signature": sign("https://line.example.org/voice/key?n=welcome", FORM)}
    assert behind.post("/voice/key?n=welcome", data=FORM, headers=unprefixed).status_code == 403


def test_standard_port_signed_either_way():
    """Twilio may sign https://host:443/...; the validator accepts both forms."""
    headers = {"X-Twilio-Signature": sign("https://line.example.org:443/voice", FORM)}
    app = create_app(
        {"auth_token": TOKEN, "caller_id": LINE_NUMBER, "public_url": "https://line.example.org"}, dev=False
    )
    assert app.test_client().post("/voice", data=FORM, headers=headers).status_code == 200


def test_configured_public_url_replaces_scheme_and_host():
    public = "https://line.example.org/voice/key?n=welcome&t="
    app = create_app(
        {"auth_token": TOKEN, "caller_id": LINE_NUMBER, "public_url": "https://line.example.org/"}, dev=False
    )
    client = app.test_client()
    ok = client.post(
        "/voice/key?n=welcome&t=",
        data=FORM,
        headers={"X-Twilio-Signature": sign(public, FORM)},
        base_url="http://10.0.0.7:8000",
    )
    assert ok.status_code == 200
    forged = client.post(
        "/voice/key?n=welcome&t=",
        data=FORM,
        base_url="http://10.0.0.7:8000",
        headers={"X-Twilio-Signature": sign("http://10.0.0.7:8000/voice/key?n=welcome&t=", FORM)},
    )
    assert forged.status_code == 403


def test_fallback_answers_even_when_signatures_fail(signed_app):
    """A misconfigured proxy breaks every signature: the fallback must still put callers through."""
    response = signed_app.test_client().post(
        "/voice/fallback", data={**FORM, "ErrorCode": "11200"}, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}
    )
    assert _is_fallback(response)


def test_health_needs_no_signature(signed_app):
    client = signed_app.test_client()
    for path in ("/", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200 and response.get_json()["status"] == "ok"


# -- start-up -------------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_token(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("IVR_ALLOW_UNSIGNED", raising=False)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setenv("IVR_CALLER_ID", LINE_NUMBER)
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set.*IVR_ALLOW_UNSIGNED=1"):
        create_app()
    monkeypatch.setenv("IVR_ALLOW_UNSIGNED", "1")
    assert create_app().test_client().post("/voice", data=FORM).status_code == 200


def test_production_refuses_to_start_without_the_lines_own_caller_id(monkeypatch):
    """Without a caller ID, Twilio passes the caller's own number to the platform: not anonymous."""
    monkeypatch.delenv("IVR_CALLER_ID", raising=False)
    monkeypatch.delenv("IVR_PASS_CALLER_NUMBER", raising=False)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    with pytest.raises(ConfigError, match="IVR_CALLER_ID is not set.*IVR_PASS_CALLER_NUMBER=1"):
        create_app({"auth_token": TOKEN})
    shared = create_app({"auth_token": TOKEN, "pass_caller_number": True})
    greeting = ET.fromstring(
        shared.test_client()
        .post("/voice", data=FORM, headers={"X-Twilio-Signature": sign("http://localhost/voice", FORM)})
        .get_data(as_text=True)
    ).findtext("Say")
    assert greeting == FLOW.prompts["greeting"] and "anonyme" not in greeting
    with pytest.raises(ConfigError, match="choose one"):
        create_app({"auth_token": TOKEN, "pass_caller_number": True, "caller_id": LINE_NUMBER})


def test_flask_run_is_development(monkeypatch, caplog):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    with caplog.at_level("WARNING", logger="ivr"):
        app = create_app()
    assert app.test_client().post("/voice", data=FORM).status_code == 200
    assert "TWILIO_AUTH_TOKEN is not set" in caplog.text


# -- faults ---------------------------------------------------------------------------------


def test_fallback_url_puts_through_and_reads_the_number(client):
    response = client.post(
        "/voice/fallback", data={**FORM, "ErrorCode": "11200", "ErrorUrl": "https://line.example.org/voice"}
    )
    assert _is_fallback(response)
    root = ET.fromstring(response.get_data(as_text=True))
    after = _says_after_the_dial(root)
    assert " ".join(after).count(PLATFORM_WORDS) == 2, "its number, twice"
    assert FLOW.services["suicide_line"].spoken in after[0], "then the other lines: the 3114"
    assert f"appelez le {FLOW.services['samu'].spoken}" in after[0], "in danger, the 15"


def _says_after_the_dial(root) -> list[str]:
    verbs = list(root)
    dial = next(i for i, verb in enumerate(verbs) if verb.tag == "Dial")
    return [" ".join("".join(v.itertext()).split()) for v in verbs[dial + 1 :] if v.tag == "Say"]


def test_any_exception_becomes_the_safe_answer(app, monkeypatch):
    def broken(query, digits):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["ivr"].answers, "key", broken)
    response = app.test_client().post("/voice/key?n=welcome", data={**FORM, "Digits": "1"})
    assert _is_fallback(response)


@pytest.mark.parametrize(
    "query",
    [
        "n=nowhere",  # unknown node
        "",  # no position at all
        "n=social_help",  # a node reached without its trail
        "n=social_help&t=welcome",  # a move the flow does not have
        "n=doctor_needs&t=assault",  # a trail that does not start at the entry
        "n=welcome&r=7",  # retry counter out of range
        "n=welcome&r=-1",
        "n=welcome&r=99999999999999999999",
        "n=welcome&t=" + ".welcome" * 500,  # huge trail
    ],
)
def test_forged_positions_get_the_safe_answer(client, query):
    assert _is_fallback(client.post(f"/voice/key?{query}", data={**FORM, "Digits": "1"}))


def test_dial_callback_for_a_menu_gets_the_safe_answer(client):
    assert _is_fallback(client.post("/voice/dial?n=welcome", data={**FORM, "DialCallStatus": "completed"}))


def test_unknown_dial_status_reads_the_number(client):
    last = len(OPERATOR.services) - 1  # the last try: nobody else to call
    query = f"n={FLOW.operator}&t=welcome&r={last}"
    response = client.post(f"/voice/dial?{query}", data={**FORM, "DialCallStatus": "weird"})
    assert f"n={OPERATOR.on_failure}" in response.get_data(as_text=True)


def test_get_is_not_a_webhook_method(client):
    """POST only: a GET would put the caller's number in the URL, hence in access logs."""
    response = client.get("/voice?From=%2B33612345678")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    assert b"3361" not in response.get_data()


@pytest.mark.parametrize("path", ["/voice/", "/voice/key/", "/voice/keys", "/VOICE", "/voice/key/1"])
def test_a_path_beside_the_webhooks_is_not_one(client, path):
    """Only the webhooks' exact paths are answered as webhooks; the rest is Flask's, which knows none."""
    assert client.post(path, data={**FORM, "Digits": "1"}).status_code == 404


def test_the_webhooks_are_answered_before_flask(app):
    """Twilio waits for them: they never pay for Flask's request context (bench/, docs/performance.md);
    the pages behind them still do."""
    from flask import request_started

    started: list[str] = []

    def note(sender, **extra):
        started.append("flask")

    with request_started.connected_to(note, app):
        client = app.test_client()
        assert client.post("/voice", data=FORM).status_code == 200
        assert client.post("/voice/key?n=welcome", data={**FORM, "Digits": "1"}).status_code == 200
        assert started == []
        assert client.get("/healthz").status_code == 200
        assert started == ["flask"]


def test_a_fault_whose_count_fails_too_still_answers_the_fallback(app, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError(f"From={FORM['From']}")

    line = app.extensions["ivr"]
    monkeypatch.setattr(line.answers, "key", broken)
    monkeypatch.setitem(app.extensions, "ivr", replace(line, count=broken))
    with caplog.at_level(logging.ERROR, logger="ivr.call"):
        response = app.test_client().post("/voice/key?n=welcome", data={**FORM, "Digits": "1"})
    assert _is_fallback(response)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["fault on /voice/key"] * 2
    assert "RuntimeError" in caplog.text and FORM["From"] not in caplog.text


# -- computed once --------------------------------------------------------------------------


def test_each_distinct_answer_is_computed_once(app, monkeypatch):
    client = app.test_client()
    first = client.post("/voice/key?n=welcome", data={**FORM, "Digits": "1"}).get_data()
    monkeypatch.setattr("ivr.flow.moves.press", lambda *a: pytest.fail("computed again"))
    again = client.post("/voice/key?n=welcome", data={**FORM, "Digits": "1", "CallSid": "CA" + "9" * 32})
    assert again.get_data() == first
    assert b"n=doctor_needs" in first


def test_an_oversized_body_is_read_no_further(client):
    response = client.post("/voice/key?n=welcome", data={"Digits": "1", "Pad": "x" * 200_000})
    assert response.status_code == 200 and b"n=doctor_needs" in response.get_data()


# -- refused cheaply --------------------------------------------------------------------------


def _environ(app, path: str, body: bytes, **headers) -> dict:
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(
        path=path, method="POST", data=body, headers=headers, content_type="application/x-www-form-urlencoded"
    ).get_environ()


def _status(app, environ) -> str:
    return _wsgi(app, environ)[0]


def test_a_request_without_a_signature_is_refused_before_its_body_is_read(signed_app):
    environ = _environ(signed_app, "/voice", b"CallSid=CA1&Digits=1")
    assert _status(signed_app, environ).startswith("403")
    assert environ["wsgi.input"].tell() == 0


def test_a_body_bigger_than_twilios_is_refused_unread(signed_app):
    from ivr.line.form import MAX_BODY

    big = {**FORM, "Pad": "x" * MAX_BODY}
    url = "http://localhost/voice"
    environ = _environ(signed_app, "/voice", urlencode(big).encode(), **{"X-Twilio-Signature": sign(url, big)})
    assert _status(signed_app, environ).startswith("403"), "Twilio never sends that much: even signed, refused"
    assert environ["wsgi.input"].tell() == 0


@pytest.mark.parametrize("letter", ["é", "x", "€"])
def test_the_longest_speech_twilio_can_send_is_answered(signed_app, letter):
    """Twilio takes at most 60 s of speech: a SpeechResult at the bound the form derives from it, in
    letters of 1, 2 and 3 bytes (each escaped), signed, is read whole and answered."""
    from ivr.line.form import MAX_SPEECH

    form = {**FORM, "SpeechResult": letter * MAX_SPEECH, "Confidence": "0.9"}
    url = "http://localhost/voice/key?n=welcome"
    response = signed_app.test_client().post(
        "/voice/key?n=welcome", data=form, headers={"X-Twilio-Signature": sign(url, form)}
    )
    assert response.status_code == 200 and b"<Response>" in response.data


def test_a_form_with_more_fields_than_twilios_is_refused(signed_app):
    many = {**FORM, **{f"f{i}": "v" for i in range(100)}}
    headers = {"X-Twilio-Signature": sign("http://localhost/voice", many)}
    assert signed_app.test_client().post("/voice", data=many, headers=headers).status_code == 403


def test_content_type_in_any_case_is_a_form(signed_app):
    form = {**FORM, "Digits": "1"}
    headers = {
        "X-Twilio-Signature": sign("http://localhost/voice/key?n=welcome", form),
        "Content-Type": "Application/X-WWW-Form-Urlencoded",
    }
    response = signed_app.test_client().post("/voice/key?n=welcome", data=urlencode(form), headers=headers)
    assert response.status_code == 200 and b"n=doctor_needs" in response.data


@pytest.mark.parametrize(
    ("hops", "headers"),
    [
        (0, {"Host": "127.0.0.1:abc"}),
        (0, {"Host": "[::1"}),
        (0, {"Host": "line.example.org:99999999"}),
        (1, {"X-Forwarded-Port": "abc", "X-Forwarded-Proto": "https"}),
        (1, {"X-Forwarded-Host": "[::1", "X-Forwarded-Proto": "https"}),
    ],
)
def test_a_request_that_breaks_the_signature_check_is_refused_not_a_fault(hops, headers, caplog):
    app = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER, "proxy_hops": hops}, dev=False)
    host = headers.get("Host")
    extra = {k: v for k, v in headers.items() if k != "Host"}
    with caplog.at_level("DEBUG", logger="ivr"):
        response = app.test_client().post(
            "/voice",
            data=FORM,
            headers={"X-Twilio-Signature": "Zm9yZ2Vk", **extra},
            environ_overrides={"HTTP_HOST": host} if host else None,
        )
    assert response.status_code == 403
    assert "fault" not in caplog.text and not [r for r in caplog.records if r.levelno >= 40]


def test_a_forged_64_kb_request_costs_at_most_twice_a_small_one():
    """Measured in this process, interleaved: the ratio holds on a busy machine, the times do not."""
    from bench.forged import costs

    measured = costs(rounds=15, per_round=40)
    assert measured["forged 64 kB"] < 2 * measured["forged small"], measured


# -- what the server is handed (WSGI) ---------------------------------------------------------


def _counting(app) -> list:
    """What the app's line counts from now on, in order (its statistics replaced by a list)."""
    counted: list = []
    app.extensions["ivr"] = replace(app.extensions["ivr"], count=counted.append)
    return counted


def _wsgi(app, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: list = []
    body = b"".join(app.wsgi_app(environ, lambda status, headers, exc_info=None: seen.append((status, headers))))
    return seen[0][0], seen[0][1], body


@pytest.mark.parametrize(
    ("path", "form"),
    [("/voice", FORM), ("/voice/key?n=welcome", {**FORM, "Digits": "1"}), ("/voice/fallback", FORM)],
)
def test_a_webhook_answers_twiml_with_its_length(signed_app, path, form):
    """gunicorn sends what it is handed: without Content-Length an answer would go chunked."""
    headers = {"X-Twilio-Signature": sign(f"http://localhost{path}", form)}
    status, given, body = _wsgi(signed_app, _environ(signed_app, path, urlencode(form).encode(), **headers))
    assert status == "200 OK" and body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response>')
    assert given == [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))]


def test_a_refusal_is_short_plain_text_with_its_length(signed_app):
    status, given, body = _wsgi(signed_app, _environ(signed_app, "/voice", b"CallSid=CA1"))
    assert (status, body) == ("403 Forbidden", b"Forbidden\n")
    assert given == [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "10")]


def test_the_status_callback_is_answered_with_nothing(signed_app):
    ended = {**FORM, "CallStatus": "completed", "CallDuration": "42"}
    headers = {"X-Twilio-Signature": sign("http://localhost/voice/status", ended)}
    environ = _environ(signed_app, "/voice/status", urlencode(ended).encode(), **headers)
    assert _wsgi(signed_app, environ) == ("204 No Content", [], b"")


class _Broken:
    """A body the server cannot read (a client gone, a malformed chunk)."""

    def read(self, *args):
        raise OSError("connection reset")


def test_a_body_that_cannot_be_read_is_a_400_and_nothing_else(app, caplog):
    counted = _counting(app)
    environ = {**_environ(app, "/voice/key?n=welcome", b"Digits=1"), "wsgi.input": _Broken()}
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        assert _wsgi(app, environ)[::2] == ("400 Bad Request", b"Bad Request\n")
    assert counted == [] and caplog.records == []


def test_the_fallback_answers_a_body_that_cannot_be_read_without_a_fault(app, caplog):
    environ = {**_environ(app, "/voice/fallback", b"ErrorCode=11200"), "wsgi.input": _Broken()}
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        status, _, body = _wsgi(app, environ)
    assert status == "200 OK" and body == app.extensions["ivr"].answers.fallback.document
    assert [r.getMessage() for r in caplog.records] == ["fallback URL called (ErrorCode=-)"]


def test_an_unsigned_fallback_is_answered_unread(signed_app):
    environ = _environ(signed_app, "/voice/fallback", b"ErrorCode=11200")
    assert _wsgi(signed_app, environ)[0] == "200 OK"
    assert environ["wsgi.input"].tell() == 0


def test_a_signed_fallback_logs_and_counts_twilios_error_code(signed_app, caplog):
    counted = _counting(signed_app)
    form = {**FORM, "ErrorCode": "11200"}
    headers = {"X-Twilio-Signature": sign("http://localhost/voice/fallback", form)}
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        assert signed_app.test_client().post("/voice/fallback", data=form, headers=headers).status_code == 200
    assert [r.getMessage() for r in caplog.records] == ["fallback URL called (ErrorCode=11200)"]
    assert counted == [(events.fallback_key("11200"),)]


def test_each_answer_logs_where_in_the_flow_and_counts_once(app, caplog):
    line = app.extensions["ivr"]
    counted = _counting(app)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        client.post("/voice", data=FORM)
        client.post("/voice/key?n=welcome", data={**FORM, "Digits": "1"})
        client.post("/voice/key?n=welcome", data={**FORM, "AccountSid": events.SIMULATED_ACCOUNT, "Digits": "1"})
    after = line.answers.key("n=welcome", "1")
    assert [r.getMessage() for r in caplog.records] == [
        f"answered at {FLOW.entry}",
        f"answered {after.where}",
        f"answered {after.where}",
    ]
    assert counted == [line.answers.entry.counts, after.counts], "a simulated call is never counted"


def test_another_method_is_told_which_one_the_webhook_takes(app):
    environ = {**_environ(app, "/voice/dial", b""), "REQUEST_METHOD": "PUT"}
    assert _wsgi(app, environ) == (
        "405 Method Not Allowed",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "19"), ("Allow", "POST")],
        b"Method Not Allowed\n",
    )


def test_a_signed_fallback_without_an_error_code_is_counted_as_other(signed_app, caplog):
    counted = _counting(signed_app)
    headers = {"X-Twilio-Signature": sign("http://localhost/voice/fallback", FORM)}
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        assert signed_app.test_client().post("/voice/fallback", data=FORM, headers=headers).status_code == 200
    assert [r.getMessage() for r in caplog.records] == ["fallback URL called (ErrorCode=-)"]
    assert counted == [(events.fallback_key(""),)]


def test_a_fault_is_logged_with_its_type_and_three_code_locations_innermost_first(app, monkeypatch, caplog):
    def broken(*args):
        raise KeyError(FORM["From"])

    monkeypatch.setattr(app.extensions["ivr"].answers, "dial", broken)
    with caplog.at_level(logging.ERROR, logger="ivr.call"):
        assert _is_fallback(app.test_client().post("/voice/dial?n=welcome", data={"DialCallStatus": "busy"}))
    [message] = [r.getMessage() for r in caplog.records]
    head, _, where = message.removesuffix("; answered with the fallback").partition(" at ")
    assert head == "fault on /voice/dial: KeyError"
    frames = where.split(" < ")
    assert len(frames) == 3 and frames[0].startswith("test_webhooks.py:") and frames[0].endswith(" broken")
    assert all("/" not in frame and re.fullmatch(r"\S+\.py:\d+ \S+", frame) for frame in frames), frames


def test_a_fault_on_the_whisper_connects_the_call_with_nothing_said(monkeypatch, caplog):
    app = create_app({"whisper": True}, dev=True)

    def broken(query):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["ivr"].answers, "whisper", broken)
    response = app.test_client().post(f"/voice/whisper?n={FLOW.operator}&t=welcome", data=FORM)
    assert (response.status_code, response.get_data()) == (200, EMPTY)


def test_the_whisper_logs_where_it_is_and_nothing_else(caplog):
    app = create_app({"whisper": True}, dev=True)
    query = f"n={DOCTORS}&t=welcome.doctor_needs"
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        app.test_client().post(f"/voice/whisper?{query}", data=FORM)
        app.test_client().post(f"/voice/whisper?{query}&d=1", data=FORM)
    logged = [r.getMessage() for r in caplog.records if r.name == "ivr.call"]
    where = app.extensions["ivr"].answers.whisper(query).where
    assert where == f"whisper at {DOCTORS}"
    assert logged == [f"answered {where}"] * 2, "nothing of the trail, nor of distress"


@pytest.mark.parametrize(
    ("path", "form", "method"),
    [
        ("/voice/key?n=welcome", {"Digits": "1"}, "key"),
        ("/voice/key?n=welcome", {"SpeechResult": "médecin", "Confidence": "0.9"}, "said"),
        (f"/voice/dial?n={DOCTORS}&t=welcome.doctor_needs&r=0", {"DialCallStatus": "busy"}, "dial"),
    ],
)
def test_a_simulated_instant_reaches_the_answer_and_only_as_an_instant(app, monkeypatch, path, form, method):
    """The keypad page's clock travels in a WSGI environ key (ivr.config.SIMULATED_NOW): an instant is
    the call's time, anything else is ignored (the line's own clock)."""
    answers = app.extensions["ivr"].answers
    real, seen = getattr(answers, method), []

    def spy(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(answers, method, spy)
    client, instant = app.test_client(), datetime(2026, 12, 25, 2, tzinfo=UTC)
    for simulated in (instant, "2026-12-25T03:00", None):
        overrides = {} if simulated is None else {SIMULATED_NOW: simulated}
        assert client.post(path, data=form, environ_overrides=overrides).status_code == 200
    assert seen == [instant, None, None]


def test_a_status_callback_without_its_fields_is_counted_as_other(app):
    counted = _counting(app)
    response = app.test_client().post("/voice/status", data={"CallSid": FORM["CallSid"]})
    assert (response.status_code, response.get_data()) == (204, b"")
    assert counted == [(events.ended_key("", ""),)] and events.ended_key("", "")[1:] == (events.OTHER, events.OTHER)
