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
from ivr.deploy.readiness import numbers_called, production_checks
from ivr.flow.directory import FAMILY
from ivr.flow.loader import load_flow
from ivr.flow.recordings import text_hash
from tests.paths import ROOT

LIVE = {"TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef", "IVR_CALLER_ID": "+33974991234", "IVR_PROXY_HOPS": "1"}
TODAY = dt.date(2026, 11, 24)
NAMES = [
    "TWILIO_AUTH_TOKEN",
    "IVR_ALLOW_UNSIGNED",
    "IVR_SIMULATOR",
    "IVR_NOW",
    "IVR_CALLER_ID",
    "IVR_PUBLIC_URL",
    "proxy",
    "settings",
    "IVR_SPEECH",
    "call flow",
    "platform number",
    "numbers called",
    "recordings",
]


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> Path:
    """A copy of data/ where someone called every number on 2026-11-24."""
    folder = tmp_path_factory.mktemp("checked")
    shutil.copytree(ROOT / "data", folder / "data")
    directory = folder / "data" / "directory.yaml"
    directory.write_text(
        re.sub(r"(\n    number: [^\n]*)", r'\1\n    called: "2026-11-24"', directory.read_text(encoding="utf-8")),
        encoding="utf-8",
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
    # The operator's first line, the first ear: a line for every caller, dialled as the directory writes it.
    flow = load_flow(ROOT / "data", ROOT / "prompts")
    platform = flow.platform
    assert all(platform.serves(c) for c in (*flow.professions, FAMILY))
    assert platform.dial and found["platform number"].detail == f"{platform.id}: {platform.dial}"
    assert LIVE["TWILIO_AUTH_TOKEN"] not in "".join(map(str, found.values())), "the token is never shown"


@pytest.mark.parametrize(("value", "said"), [(None, "on: the line listens"), ("0", "off: keys only")])
def test_whether_the_line_listens_to_speech_is_said_and_never_a_failure(checks, value, said):
    env = LIVE if value is None else {**LIVE, "IVR_SPEECH": value}
    found = checks(env)["IVR_SPEECH"]
    assert found.ok and found.detail.startswith(said)
    assert "Twilio's speech recognition" in found.detail


def test_the_data_as_it_stands_has_every_number_to_call_but_emergency_ones(checks):
    found = checks(LIVE, ROOT / "data")
    assert [n for n, c in found.items() if not c.ok] == ["numbers called"]
    services = load_flow(ROOT / "data", ROOT / "prompts").services.values()
    assert all(s.called is None for s in services), "nobody has called a number from this line yet"
    due = [s for s in services if not s.emergency]
    emergency = [s for s in services if s.emergency]
    assert {"samu", "police", "emergency_eu", "emergency_sms", "suicide_line"} <= {s.id for s in emergency}
    assert all(s.dial is None and s.serves(FAMILY) for s in emergency), "short numbers, for everyone"
    check = found["numbers called"]
    assert check.detail.startswith(f"{len(due)} number(s) never called from this line or not within 180 days")
    numbers = ", ".join(s.number for s in emergency)
    assert f"emergency and national short numbers ({numbers}): not to be called for a test" in check.detail
    assert check.items == tuple(f"{s.number:<16} {s.id:<14} {s.name} (never called: TO CALL)" for s in due)
    assert str(check).splitlines()[1:] == [f"        {item}" for item in check.items], "one number a line"


def test_passing_callers_numbers_on_is_a_choice_not_a_gap(checks):
    found = checks({**LIVE, "IVR_CALLER_ID": "", "IVR_PASS_CALLER_NUMBER": "1"})
    assert found["IVR_CALLER_ID"].ok and "does not say" in found["IVR_CALLER_ID"].detail


@pytest.mark.parametrize(
    ("change", "name", "why"),
    [
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN", "not set"),
        ({"IVR_ALLOW_UNSIGNED": "1"}, "IVR_ALLOW_UNSIGNED", "never on the live line"),
        ({"IVR_SIMULATOR": "yes"}, "IVR_SIMULATOR", "never on the live line"),
        ({"IVR_NOW": "2026-12-01T10:00+01:00"}, "IVR_NOW", "the line's clock stands still"),
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
        "numbers called",
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


def test_numbers_not_called_for_too_long_fail(flow):
    def on(day):
        return {sid: replace(service, called=day) for sid, service in flow.services.items()}

    old = {
        **on(dt.date(2026, 10, 1)),
        "mots": replace(flow.services["mots"], called=dt.date(2026, 5, 27)),
        "cdo_14": replace(flow.services["cdo_14"], called=None),
        "samu": replace(flow.services["samu"], called=None),  # an emergency number: never called for a test
    }
    found = numbers_called(replace(flow, services=old), TODAY, 180)
    assert not found.ok and found.detail.startswith("2 number(s) never called from this line or not within 180 days")
    mots, cdo_14 = found.items
    assert mots.startswith(f"{flow.services['mots'].number:<16} mots ") and mots.endswith(
        "(called 2026-05-27, 181 days ago: TO CALL AGAIN)"
    )
    assert cdo_14.startswith(f"{flow.services['cdo_14'].number:<16} cdo_14 ")
    assert cdo_14.endswith("(never called: TO CALL)")
    assert numbers_called(replace(flow, services=on(dt.date(2026, 5, 28))), TODAY, 180).ok
    assert not numbers_called(replace(flow, services=on(dt.date(2026, 5, 28))), TODAY, 179).ok
    future = numbers_called(replace(flow, services=on(dt.date(2026, 11, 25))), TODAY, 180)
    assert not future.ok and "(called 2026-11-25, after today: TO CALL)" in future.items[0]


def test_the_command_prints_one_line_per_check_and_fails_on_a_gap(monkeypatch, checked):
    monkeypatch.delenv("IVR_NOW")  # the tests' clock: the live line keeps the real time
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
