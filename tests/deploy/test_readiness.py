"""`ivr check --production`: one line per thing the live line needs, and a failure for each gap."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.deploy.readiness import numbers_checked, production_checks
from ivr.flow.loader import load_flow
from ivr.flow.recordings import text_hash
from tests.paths import ROOT

LIVE = {"TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef", "IVR_CALLER_ID": "+33974991234", "IVR_PROXY_HOPS": "1"}
TODAY = dt.date(2026, 11, 24)
NAMES = [
    "TWILIO_AUTH_TOKEN",
    "IVR_ALLOW_UNSIGNED",
    "IVR_SIMULATOR",
    "IVR_CALLER_ID",
    "IVR_PUBLIC_URL",
    "proxy",
    "settings",
    "IVR_SPEECH",
    "call flow",
    "platform number",
    "numbers checked",
    "recordings",
]


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> Path:
    """A copy of data/ where every number was checked on 2026-11-24."""
    folder = tmp_path_factory.mktemp("checked")
    shutil.copytree(ROOT / "data", folder / "data")
    directory = folder / "data" / "directory.yaml"
    directory.write_text(
        re.sub(r'checked: "[0-9-]+"', 'checked: "2026-11-24"', directory.read_text(encoding="utf-8")), encoding="utf-8"
    )
    return folder / "data"


@pytest.fixture
def checks(checked):
    def run(env: dict, data=None, prompts=ROOT / "prompts") -> dict:
        return {c.name: c for c in production_checks(env, data or checked, prompts, TODAY)}

    return run


def test_a_live_configuration_passes_every_check(checks):
    found = checks(LIVE)
    assert list(found) == NAMES
    assert [c for c in found.values() if not c.ok] == []
    assert found["platform number"].detail == "platform: +33800288038"
    assert LIVE["TWILIO_AUTH_TOKEN"] not in "".join(map(str, found.values())), "the token is never shown"


@pytest.mark.parametrize(("value", "said"), [(None, "on: the line listens"), ("0", "off: keys only")])
def test_whether_the_line_listens_to_speech_is_said_and_never_a_failure(checks, value, said):
    env = LIVE if value is None else {**LIVE, "IVR_SPEECH": value}
    found = checks(env)["IVR_SPEECH"]
    assert found.ok and found.detail.startswith(said)
    assert "Twilio's speech recognition" in found.detail


def test_the_data_as_it_stands_has_a_number_to_check_again(checks):
    found = checks(LIVE, ROOT / "data")
    assert [n for n, c in found.items() if not c.ok] == ["numbers checked"]
    services = load_flow(ROOT / "data", ROOT / "prompts").services.values()
    due = [s.id for s in services if s.checked_on is None or (TODAY - s.checked_on).days > 180]
    assert "social_service" in due, "the 2018 bulletin's number, never checked since"
    detail = found["numbers checked"].detail
    assert f"{len(due)} number(s) not checked for more than 180 days: " in detail
    listed = detail.split("180 days: ", 1)[1].split(";", 1)[0].split(", ")
    assert sorted(listed) == sorted(due)


def test_passing_callers_numbers_on_is_a_choice_not_a_gap(checks):
    found = checks({**LIVE, "IVR_CALLER_ID": "", "IVR_PASS_CALLER_NUMBER": "1"})
    assert found["IVR_CALLER_ID"].ok and "does not say" in found["IVR_CALLER_ID"].detail


@pytest.mark.parametrize(
    ("change", "name", "why"),
    [
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN", "not set"),
        ({"IVR_ALLOW_UNSIGNED": "1"}, "IVR_ALLOW_UNSIGNED", "never on the live line"),
        ({"IVR_SIMULATOR": "yes"}, "IVR_SIMULATOR", "never on the live line"),
        ({"IVR_CALLER_ID": ""}, "IVR_CALLER_ID", "not set"),
        ({"IVR_CALLER_ID": "12345"}, "IVR_CALLER_ID", "not a valid phone number"),
        ({"IVR_PUBLIC_URL": "http://line.example.org"}, "IVR_PUBLIC_URL", "must be https://host"),
        ({"IVR_PUBLIC_URL": "https://line.example.org/voice"}, "IVR_PUBLIC_URL", "must be only https://host"),
        ({"IVR_PROXY_HOPS": ""}, "proxy", "neither IVR_PROXY_HOPS nor IVR_PUBLIC_URL is set"),
        ({"IVR_PROXY_HOPS": "one"}, "proxy", "must be a whole number"),
        ({"IVR_PROXY_HOPS": "9"}, "proxy", "out of range"),
        ({"IVR_GATHER_TIMEOUT": "0"}, "settings", "IVR_GATHER_TIMEOUT=0 is out of range"),
        ({"IVR_PLATFORM_NUMBER": "+33612345678"}, "platform number", "unset it on the live line"),
    ],
)
def test_each_gap_fails_its_own_check(checks, change, name, why):
    found = checks({**LIVE, **change})
    assert not found[name].ok and why in found[name].detail
    others = [c.name for c in found.values() if not c.ok and c.name not in (name, "settings")]
    assert others == []


def test_a_public_url_names_the_public_address_without_proxy_hops(checks):
    found = checks({**LIVE, "IVR_PROXY_HOPS": "", "IVR_PUBLIC_URL": "https://line.example.org"})
    assert found["proxy"].ok and found["IVR_PUBLIC_URL"].ok


def test_a_broken_flow_fails_the_checks_that_need_it(checks, data_copy):
    data_copy.edit("flow", lambda doc: doc["nodes"]["doctor_needs"]["options"][2].update(target="nowhere"))
    found = checks(LIVE, data_copy.data, data_copy.prompts)
    assert not found["call flow"].ok and "unknown node 'nowhere'" in found["call flow"].detail
    assert [n for n, c in found.items() if not c.ok] == [
        "call flow",
        "platform number",
        "numbers checked",
        "recordings",
    ]


def test_stale_and_broken_recordings_fail(checks, checked, data_copy, flow):
    audio = data_copy.prompts / "audio"
    audio.mkdir()
    recorded = {"source": "recorded", "seconds": 2.0}
    manifest = {
        "numbers": {},
        "prompts": {
            "greeting": {"text_sha256": "0" * 64, "file": "greeting-0.wav", **recorded},  # recorded for another text
            "emergency": {"text_sha256": text_hash(flow.prompts["emergency"]), "file": "emergency-1.wav", **recorded},
        },
    }
    (audio / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = checks(LIVE, checked, data_copy.prompts)
    assert not found["recordings"].ok
    assert "greeting (stale), emergency (broken)" in found["recordings"].detail


def test_numbers_not_checked_for_too_long_fail(flow):
    def on(day):
        return {sid: replace(service, checked_on=day) for sid, service in flow.services.items()}

    old = {
        **on(dt.date(2026, 10, 1)),
        "mots": replace(flow.services["mots"], checked_on=dt.date(2026, 5, 27)),
        "samu": replace(flow.services["samu"], checked_on=None),
    }
    found = numbers_checked(replace(flow, services=old), TODAY, 180)
    assert not found.ok and "2 number(s) not checked for more than 180 days: mots, samu" in found.detail
    assert numbers_checked(replace(flow, services=on(dt.date(2026, 5, 28))), TODAY, 180).ok
    assert not numbers_checked(replace(flow, services=on(dt.date(2026, 5, 28))), TODAY, 179).ok


def test_the_command_prints_one_line_per_check_and_fails_on_a_gap(monkeypatch, checked):
    for name, value in {**LIVE, "IVR_DATA_DIR": str(checked)}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    result = runner.invoke(main, ["check", "--production"])
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()[: len(NAMES)]] == [f"ok    {n}" for n in NAMES]
    assert "Ready for the live line." in result.output
    monkeypatch.delenv("IVR_CALLER_ID")
    result = runner.invoke(main, ["check", "--production"])
    assert result.exit_code == 1
    assert "FAIL  IVR_CALLER_ID: not set" in result.output and "1 check(s) failed" in result.output


def test_without_production_the_check_is_unchanged(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("The call flow is valid:") and "TWILIO_AUTH_TOKEN" not in result.output
