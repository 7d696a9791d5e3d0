"""Twilio's status callback (/voice/status) and the version on /healthz."""

from __future__ import annotations

import logging
import subprocess
from importlib import metadata

import pytest
from click.testing import CliRunner
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.cli import main
from ivr.line import version
from tests.paths import LINE_NUMBER, ROOT

TOKEN = "0123456789abcdef0123456789abcdef"
NUMBER = "+33687654321"
SID = "CA" + "7" * 32
ENDED = {
    "CallSid": SID,
    "AccountSid": "AC" + "0" * 32,
    "From": NUMBER,
    "Caller": NUMBER,
    "To": "+33900000000",
    "Called": "+33900000000",
    "CallStatus": "completed",
    "CallDuration": "42",
    "Direction": "inbound",
    "ApiVersion": "2010-04-01",
    "CallbackSource": "call-progress-events",
    "SequenceNumber": "0",
}
URL = "http://localhost/voice/status"


@pytest.fixture
def signed_client():
    return create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER, "log_level": "INFO"}, dev=False).test_client()


def test_a_signed_status_callback_gets_an_empty_204_and_leaves_no_trace_of_the_caller(signed_client, caplog):
    caplog.set_level(logging.DEBUG)
    signature = RequestValidator(TOKEN).compute_signature(URL, ENDED)
    response = signed_client.post("/voice/status", data=ENDED, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204
    assert response.get_data() == b""
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert NUMBER not in logged and NUMBER[3:] not in logged and SID not in logged


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": RequestValidator("f" * 32).compute_signature(URL, ENDED)}],
    ids=["missing", "forged"],
)
def test_a_forged_status_callback_is_refused(signed_client, headers):
    response = signed_client.post("/voice/status", data=ENDED, headers=headers)
    assert response.status_code == 403


def test_the_status_callback_takes_only_post(signed_client):
    assert signed_client.get("/voice/status").status_code == 405


def test_healthz_shows_the_package_version_and_the_commit(monkeypatch):
    monkeypatch.setenv("GIT_COMMIT", "0badc0ffee" * 4)
    health = create_app(dev=True).test_client().get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["version"] == metadata.version("ivr") and health["commit"] == "0badc0ffee" * 4


def test_the_version_is_read_once_at_start_up(monkeypatch):
    monkeypatch.setenv("GIT_COMMIT", "a" * 40)
    client = create_app(dev=True).test_client()
    monkeypatch.setenv("GIT_COMMIT", "b" * 40)
    assert client.get("/healthz").get_json()["commit"] == "a" * 40


def test_the_commit_comes_from_the_host_or_from_git(tmp_path):
    assert version.running({"COMMIT_ID": " " + "c" * 40 + "\n"}, tmp_path)["commit"] == "c" * 40
    assert version.running({"SOURCE_VERSION": "d" * 40, "COMMIT_ID": "e" * 40}, tmp_path)["commit"] == "d" * 40
    assert version.running({}, tmp_path)["commit"] is None, "no variable and no checkout: unknown"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert version.running({}, ROOT)["commit"] == (head or None)


def test_the_command_says_the_same_version_and_commit_as_healthz(monkeypatch, tmp_path):
    monkeypatch.setenv("GIT_COMMIT", "0badc0ffee" * 4)
    health = create_app(dev=True).test_client().get("/healthz").get_json()
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"ivr {health['version']} (commit {health['commit']})\n"
    monkeypatch.delenv("GIT_COMMIT")
    monkeypatch.chdir(tmp_path)  # no variable, no checkout here
    assert CliRunner().invoke(main, ["--version"]).output == f"ivr {metadata.version('ivr')} (commit unknown)\n"
