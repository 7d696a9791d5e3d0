"""The caller's number never reaches a log line, an exception message or a file."""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.flow.loader import load_flow
from tests.paths import ROOT

from ..caller import Caller
from ..routes import key_paths
from ..servers import post_status, wait_until_up
from ..test_wsgi import free_port, run_procfile

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
SOCIAL = next(o.key for o in FLOW.nodes["doctor_needs"].options if o.target == "social_help")
NUMBER = "+33687654321"
FORMS_OF_NUMBER = [NUMBER, "0687654321", "687654321", "06 87 65 43 21", urllib.parse.quote(NUMBER), "87654321"]


def _leaks(text: str) -> list[str]:
    return [form for form in FORMS_OF_NUMBER if form in text]


def _every_call(client, flow):
    for keys in key_paths(flow).values():
        caller = Caller(client, caller_number=NUMBER)
        doc = caller.keys(*keys)
        if doc.gather is not None:
            Caller(client, caller_number=NUMBER).keys(*keys, "")
            Caller(client, caller_number=NUMBER).keys(*keys, "9", "8")
        elif doc.dial is not None:
            # Nobody answers any try: the other lines are read.
            for i in range(len(flow.nodes[_transfer(doc)].services)):
                caller.dial_ends("busy" if i % 2 == 0 else "no-answer")
            caller.press("0")
            caller.dial_ends("completed")
    client.post("/voice/fallback", data={"From": NUMBER, "Caller": NUMBER, "ErrorCode": "11200"})
    client.post("/voice/key?n=forged", data={"From": NUMBER, "Caller": NUMBER, "Digits": "1"})


def _transfer(doc) -> str:
    """The transfer node a document dials from."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(doc.dial.get("action")).query)["n"][0]


def _files_snapshot(*roots: Path) -> dict[Path, float]:
    return {
        p: p.stat().st_mtime
        for root in roots
        for p in root.rglob("*")
        if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts
    }


def test_complete_calls_leave_no_trace_in_logs_or_files(caplog, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    before = _files_snapshot(ROOT)
    app = create_app(dev=True)
    with caplog.at_level(logging.DEBUG, logger="ivr"):  # whatever level an earlier test left on "ivr"
        _every_call(app.test_client(), app.extensions["ivr"].flow)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "answered at social_help" in logged, "operators see where calls go"
    assert "CA" + "0" * 8 not in logged and not re.search(r"CA[0-9a-f]{32}", logged), "never which call"
    assert _leaks(logged) == []
    after = _files_snapshot(ROOT, tmp_path)
    written = [
        p
        for p, mtime in after.items()
        if before.get(p) != mtime
        and "__pycache__" not in p.parts
        and ".pytest_cache" not in p.parts
        and ".hypothesis" not in p.parts
    ]
    for path in written:
        assert _leaks(path.read_text(encoding="utf-8", errors="replace")) == [], path


def test_an_exception_carrying_the_number_is_not_logged(app, caplog, monkeypatch):
    def broken(query, digits, now=None):
        raise RuntimeError(f"From={NUMBER}")

    monkeypatch.setattr(app.extensions["ivr"].answers, "key", broken)
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().post("/voice/key?n=welcome", data={"From": NUMBER, "CallSid": "CA1"})
    assert response.status_code == 200
    assert "RuntimeError" in caplog.text
    assert _leaks(caplog.text) == []


def test_production_server_logs_no_caller_number(tmp_path):
    """Run the Procfile's gunicorn (access log on) and play signed calls over HTTP."""
    token = "a" * 32
    port = free_port()
    proc = run_procfile({"TWILIO_AUTH_TOKEN": token, "TMPDIR": str(tmp_path), "IVR_LOG_LEVEL": "INFO"}, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base)

        def post(path: str, form: dict, signed: bool = True) -> int:
            form = {"CallSid": "CA" + "2" * 32, "From": NUMBER, "Caller": NUMBER, "To": NUMBER, **form}
            headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(base + path, form)}
            return post_status(base + path, form, headers if signed else {})

        assert post("/voice", {}) == 200
        assert post("/voice/key?n=welcome", {"Digits": "1"}) == 200
        assert post("/voice/key?n=doctor_needs&t=welcome", {"Digits": SOCIAL}) == 200
        said = {"SpeechResult": f"aide financière, rappelez-moi au {NUMBER}", "Confidence": "0.93"}
        assert post("/voice/key?n=doctor_needs&t=welcome", said) == 200
        assert post("/voice/dial?n=listening_team&t=welcome", {"DialCallStatus": "busy"}) == 200
        assert post("/voice/key?n=bogus", {"Digits": "1"}) == 200
        assert post("/voice", {}, signed=False) == 403
        time.sleep(0.5)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    logs = out + err
    assert "POST /voice/key 200" in logs, "the access log is on, without query strings"
    assert "POST /voice 403" in logs
    assert "answered at social_help" in logs, "operators see where calls go at INFO"
    assert "CA2222" not in logs, "never which call"
    assert "rappelez" not in logs and "financi" not in logs, "never what the caller said"
    assert _leaks(logs) == []
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert _leaks(path.read_text(errors="replace")) == [], path


WEBHOOK_CODE = sorted(
    p.relative_to(ROOT).as_posix() for package in ("flow", "line") for p in (ROOT / "ivr" / package).glob("*.py")
)


@pytest.mark.parametrize("name", WEBHOOK_CODE)
def test_webhook_code_never_reads_the_callers_number(name):
    source = (ROOT / name).read_text(encoding="utf-8")
    for field in ('"From"', '"Caller"', "'From'", "'Caller'"):
        assert field not in source, f"{name} reads {field}"
