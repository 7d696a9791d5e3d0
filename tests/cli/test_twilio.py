"""`ivr twilio`: Twilio's real client against a local stand-in for its API, and the line served locally."""

from __future__ import annotations

from importlib import metadata

import pytest
from click.testing import CliRunner

from ivr import create_app
from ivr.cli import main
from tests.paths import LINE_NUMBER

from ..paths import ROOT
from ..servers import served
from ..twilio_api import TwilioStandIn

ACCOUNT = "AC" + "a1" * 16
TOKEN = "0123456789abcdef0123456789abcdef"
KEY, SECRET = "SK" + "b2" * 16, "s3cr3t-" + "c" * 25
LINE = "+33974991234"
OTHER = "+33974995678"
HOST = "https://line.example.org"
COMMIT = "c0ffee" * 6 + "abcd"
CONNECTED = {
    "voice_url": f"{HOST}/voice",
    "voice_fallback_url": f"{HOST}/voice/fallback",
    "status_callback": f"{HOST}/voice/status",
}


@pytest.fixture
def twilio():
    with TwilioStandIn(ACCOUNT, TOKEN, api_key=(KEY, SECRET)) as standin:
        standin.line_sid = standin.add_number(LINE, "Ligne test", voice_url="https://demo.twilio.com/welcome/voice/")
        standin.add_number(OTHER, "Autre ligne")
        yield standin


@pytest.fixture
def env(monkeypatch):
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET", "IVR_PUBLIC_URL", "TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    return monkeypatch


def ivr(twilio, *args, input=None):
    return CliRunner().invoke(main, ["twilio", *args], obj={"twilio_http_client": twilio.http_client()}, input=input)


def line(twilio) -> dict:
    return twilio.numbers[twilio.line_sid]


# -- numbers --------------------------------------------------------------------------------------


def test_numbers_lists_every_number_and_where_its_calls_go(twilio, env):
    line(twilio).update(CONNECTED)
    result = ivr(twilio, "numbers", "--url", HOST)
    assert result.exit_code == 0, result.output
    assert f"{LINE}  Ligne test: calls reach {HOST}" in result.output
    assert f"{OTHER}  Autre ligne: calls do NOT reach {HOST}" in result.output
    assert f"Status callback  POST {HOST}/voice/status" in result.output
    assert "    Status callback  (none)\n" in result.output, "the other number has none"
    assert TOKEN not in result.output


def test_numbers_follows_twilios_pages(env):
    with TwilioStandIn(ACCOUNT, TOKEN, page_size=2) as standin:
        for n in range(5):
            standin.add_number(f"+3397499100{n}")
        result = ivr(standin, "numbers")
        assert result.exit_code == 0, result.output
        assert [r for r in result.output.splitlines() if r.startswith("+33")] == [
            f"+3397499100{n}  +3397499100{n}: calls do NOT reach a line like this one" for n in range(5)
        ]
        pages = [path for method, path, _ in standin.requests if method == "GET"]
        assert len(pages) == 3, "five numbers, two a page"


def test_numbers_with_an_api_key_instead_of_the_token(twilio, env):
    env.delenv("TWILIO_AUTH_TOKEN")
    env.setenv("TWILIO_API_KEY", KEY)
    env.setenv("TWILIO_API_SECRET", SECRET)
    result = ivr(twilio, "numbers")
    assert result.exit_code == 0, result.output
    assert LINE in result.output and SECRET not in result.output


@pytest.mark.parametrize(
    ("unset", "set_", "expected"),
    [
        (["TWILIO_ACCOUNT_SID"], {}, "TWILIO_ACCOUNT_SID is not set"),
        (["TWILIO_AUTH_TOKEN"], {}, "no Twilio credentials: set TWILIO_AUTH_TOKEN"),
        (["TWILIO_AUTH_TOKEN"], {"TWILIO_API_KEY": KEY}, "set both TWILIO_API_KEY and TWILIO_API_SECRET"),
    ],
)
def test_missing_credentials_are_named(twilio, env, unset, set_, expected):
    for name in unset:
        env.delenv(name)
    for name, value in set_.items():
        env.setenv(name, value)
    result = ivr(twilio, "numbers")
    assert result.exit_code == 1
    assert expected in result.output
    assert twilio.requests == [], "nothing is sent without credentials"


def test_a_wrong_token_shows_twilios_message_and_code_not_the_token(twilio, env):
    env.setenv("TWILIO_AUTH_TOKEN", "f" * 32)
    result = ivr(twilio, "numbers")
    assert result.exit_code == 1
    assert "Twilio refused (HTTP 401): Authenticate" in result.output
    assert "error 20003, https://www.twilio.com/docs/errors/20003" in result.output
    assert "f" * 32 not in result.output and TOKEN not in result.output


# -- connect --------------------------------------------------------------------------------------


def test_connect_shows_before_and_after_then_applies_with_yes(twilio, env):
    result = ivr(twilio, "connect", "09 74 99 12 34", "--url", HOST + "/", "--yes")
    assert result.exit_code == 0, result.output
    assert f"Voice URL: https://demo.twilio.com/welcome/voice/ -> {HOST}/voice" in result.output
    assert f"Fallback URL: (none) -> {HOST}/voice/fallback" in result.output
    assert f"Status callback: (none) -> {HOST}/voice/status" in result.output
    assert "Apply these changes?" not in result.output
    assert twilio.updates() == [
        {
            "VoiceUrl": f"{HOST}/voice",
            "VoiceMethod": "POST",
            "VoiceFallbackUrl": f"{HOST}/voice/fallback",
            "VoiceFallbackMethod": "POST",
            "StatusCallback": f"{HOST}/voice/status",
            "StatusCallbackMethod": "POST",
        }
    ]
    assert {k: line(twilio)[k] for k in CONNECTED} == CONNECTED
    assert twilio.numbers != {} and all(
        n["voice_url"] is None for n in twilio.numbers.values() if n["phone_number"] == OTHER
    ), "the other number is untouched"
    again = ivr(twilio, "connect", LINE, "--url", HOST)
    assert again.exit_code == 0 and "already points at the line: nothing to change" in again.output
    assert len(twilio.updates()) == 1


def test_connect_asks_and_applies_when_confirmed(twilio, env):
    result = ivr(twilio, "connect", LINE, "--url", HOST, input="y\n")
    assert result.exit_code == 0, result.output
    assert "Apply these changes? [y/N]" in result.output
    assert line(twilio)["voice_url"] == f"{HOST}/voice"


@pytest.mark.parametrize(
    ("args", "input", "said"),
    [
        (["--dry-run"], None, "Dry run: nothing changed."),
        ([], "n\n", "Nothing changed."),
        ([], "\n", "Nothing changed."),
    ],
)
def test_connect_changes_nothing_on_a_dry_run_or_a_refusal(twilio, env, args, input, said):
    before = {sid: dict(n) for sid, n in twilio.numbers.items()}
    result = ivr(twilio, "connect", LINE, "--url", HOST, *args, input=input)
    assert f"Voice URL: https://demo.twilio.com/welcome/voice/ -> {HOST}/voice" in result.output
    assert said in result.output
    assert result.exit_code == (0 if args else 1)
    assert twilio.updates() == [] and twilio.numbers == before


def test_connect_a_static_fallback_on_another_host(twilio, env):
    fallback = "https://static.example.net/fallback.xml"
    result = ivr(
        twilio, "connect", LINE, "--url", HOST, "--fallback-url", fallback, "--fallback-method", "GET", "--yes"
    )
    assert result.exit_code == 0, result.output
    assert (line(twilio)["voice_fallback_url"], line(twilio)["voice_fallback_method"]) == (fallback, "GET")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--url", "http://line.example.org"], "is not an https URL of the line"),
        (["--url", "http://127.0.0.1:5000"], "is not an https URL of the line"),
        (["--url", "line.example.org"], "is not an https URL of the line"),
        (["--url", HOST, "--fallback-url", "http://static.example.net/f.xml"], "is not an https URL"),
    ],
)
def test_connect_needs_https(twilio, env, args, expected):
    result = ivr(twilio, "connect", LINE, *args, "--yes")
    assert result.exit_code == 1 and expected in result.output
    assert twilio.updates() == []


def test_a_number_not_in_the_account_is_named(twilio, env):
    result = ivr(twilio, "connect", "+33974990000", "--url", HOST, "--yes")
    assert result.exit_code == 1
    assert "+33974990000 is not a phone number of this Twilio account" in result.output
    assert twilio.updates() == []


def test_a_refused_update_shows_twilios_message_and_code(twilio, env):
    twilio.refusal = {
        "code": 20429,
        "message": "Too Many Requests",
        "status": 429,
        "more_info": "https://www.twilio.com/docs/errors/20429",
    }
    result = ivr(twilio, "connect", LINE, "--url", HOST, "--yes")
    assert result.exit_code == 1
    assert "Twilio refused (HTTP 429): Too Many Requests; error 20429" in result.output


# -- check ----------------------------------------------------------------------------------------


@pytest.fixture
def local_line(env):
    env.setenv("GIT_COMMIT", COMMIT)
    with served(create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False)) as base:
        yield base


def connect_to(twilio, base: str) -> None:
    line(twilio).update(
        voice_url=f"{base}/voice", voice_fallback_url=f"{base}/voice/fallback", status_callback=f"{base}/voice/status"
    )


def test_check_passes_on_a_number_pointing_at_a_working_line(twilio, env, local_line):
    connect_to(twilio, local_line)
    result = ivr(twilio, "check", LINE, "--url", local_line)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [r.split(":")[0] for r in lines] == [
        "ok    live version",
        "ok    number's Voice URL",
        "ok    number's Fallback URL",
        "ok    number's Status callback",
        "ok    smoke call, voice URL",
        "ok    smoke call, fallback URL",
        "ok    smoke call, status callback",
        "ok    forged request, voice URL",
        "ok    forged request, status callback",
    ]
    assert lines[0] == f"ok    live version: {metadata.version('ivr')}, commit {COMMIT[:12]}"
    assert f"POST {local_line}/voice answered 200" in result.output and "TwiML (Say, Gather" in result.output
    assert f"POST {local_line}/voice/status answered 204" in result.output
    assert result.output.count("answered 403") == 2
    assert twilio.updates() == [], "check changes nothing"


def test_check_fails_on_a_number_pointing_elsewhere(twilio, env, local_line):
    result = ivr(twilio, "check", LINE, "--url", local_line)
    assert result.exit_code == 1
    assert (
        f"FAIL  number's Voice URL: POST https://demo.twilio.com/welcome/voice/, expected POST {local_line}/voice"
        in result.output
    )
    assert f"FAIL  number's Status callback: (none), expected POST {local_line}/voice/status" in result.output
    assert "ok    smoke call, voice URL" in result.output, "the smoke call still runs"


def test_check_fails_when_the_line_obeys_forged_requests(twilio, env):
    with served(create_app({"auth_token": None}, dev=True)) as base:
        connect_to(twilio, base)
        result = ivr(twilio, "check", LINE, "--url", base)
    assert result.exit_code == 1
    assert f"FAIL  forged request, voice URL: POST {base}/voice answered 200" in result.output
    assert "expected 403" in result.output


def test_check_fails_when_nothing_answers(twilio, env):
    with served(create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False)) as base:
        connect_to(twilio, base)
    result = ivr(twilio, "check", LINE, "--url", base)  # the line is gone
    assert result.exit_code == 1
    assert f"FAIL  smoke call, voice URL: POST {base}/voice: no answer" in result.output
    assert f"FAIL  live version: GET {base}/healthz: no answer" in result.output


def test_check_with_an_api_key_still_needs_the_token_to_sign(twilio, env, local_line):
    connect_to(twilio, local_line)
    env.delenv("TWILIO_AUTH_TOKEN")
    env.setenv("TWILIO_API_KEY", KEY)
    env.setenv("TWILIO_API_SECRET", SECRET)
    result = ivr(twilio, "check", LINE, "--url", local_line)
    assert result.exit_code == 1
    assert "ok    number's Voice URL" in result.output
    assert "FAIL  smoke call: TWILIO_AUTH_TOKEN is needed to sign requests" in result.output


def test_check_needs_https_except_for_a_line_on_this_machine(twilio, env):
    result = ivr(twilio, "check", LINE, "--url", "http://line.example.org")
    assert result.exit_code == 1 and "is not an https URL of the line" in result.output
    assert twilio.requests == []


def test_the_operators_go_live_names_every_command_and_option():
    guide = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    go_live = guide[guide.index("## Go live") :]
    go_live = go_live[: go_live.index("\n## ")]
    group = main.commands["twilio"]
    for name, command in group.commands.items():
        assert f"ivr twilio {name}" in go_live, name
        for option in command.params:
            for flag in option.opts:
                if flag.startswith("--"):
                    assert f"`{flag}" in go_live or f" {flag} " in go_live, f"ivr twilio {name} {flag}"
    assert "ivr check --production" in go_live and "IVR_NUMBER_MAX_AGE" in go_live
    assert "## Connect a Twilio number" not in guide
