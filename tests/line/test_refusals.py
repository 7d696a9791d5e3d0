"""Requests Twilio did not sign are summarised, one line a minute, never written one by one."""

from __future__ import annotations

import logging

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.line import refusals
from tests.paths import LINE_NUMBER

TOKEN = "t" * 32


@pytest.fixture(autouse=True)
def fresh():
    refusals.flush(lambda: 0.0)  # what earlier tests left is written elsewhere
    yield
    refusals.flush(lambda: 0.0)


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ivr.call"]


def test_one_summary_a_minute_with_the_counts(caplog):
    now = [100.0]
    with caplog.at_level(logging.WARNING, logger="ivr.call"):
        for _ in range(3):
            refusals.note(refusals.REFUSED, lambda: now[0])
        now[0] = 130.0
        refusals.note(refusals.FALLBACK, lambda: now[0])
        assert _lines(caplog) == [], "nothing within the minute"
        now[0] = 160.0
        refusals.note(refusals.REFUSED, lambda: now[0])
        now[0] = 170.0
        refusals.note(refusals.REFUSED, lambda: now[0])
        refusals.flush(lambda: now[0])
    assert _lines(caplog) == [
        "not signed by Twilio in the last 60 s: 4 refused, 1 fallback answered",
        "not signed by Twilio in the last 0 s: 1 refused, 0 fallback answered",
    ]


def test_flush_without_refusals_writes_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger="ivr.call"):
        refusals.flush()
    assert _lines(caplog) == []


def test_unsigned_requests_are_neither_logged_nor_counted(caplog):
    from dataclasses import replace

    app = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False)
    counted: list = []
    app.extensions["ivr"] = replace(app.extensions["ivr"], count=counted.append)
    client = app.test_client()
    forged = {"X-Twilio-Signature": "Zm9yZ2Vk"}
    with caplog.at_level(logging.INFO, logger="ivr.call"):
        assert client.post("/voice", data={"CallSid": "CA1"}).status_code == 403
        assert client.post("/voice", data={"CallSid": "CA1"}, headers=forged).status_code == 403
        assert client.post("/voice/fallback", data={"ErrorCode": "06112233"}).status_code == 200
        assert client.post("/voice/fallback", data={"ErrorCode": "𝟏𝟏𝟐𝟎𝟎"}, headers=forged).status_code == 200
        assert _lines(caplog) == [] and counted == []
        signature = RequestValidator(TOKEN).compute_signature("http://localhost/voice/fallback", {"ErrorCode": "𝟏𝟏𝟐𝟎𝟎"})
        headers = {"X-Twilio-Signature": signature}
        assert client.post("/voice/fallback", data={"ErrorCode": "𝟏𝟏𝟐𝟎𝟎"}, headers=headers).status_code == 200
        refusals.flush()
    assert _lines(caplog)[0] == "fallback URL called (ErrorCode=-)", "signed, but not ASCII digits"
    assert counted == [(("fallback", "", "other"),)]
    assert _lines(caplog)[1].endswith(": 2 refused, 2 fallback answered")
