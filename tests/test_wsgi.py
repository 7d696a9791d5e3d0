"""The production entry, started exactly as the Procfile says, and `ivr check`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.flow.loader import load_flow
from tests.paths import LINE_NUMBER, ROOT

BIN = Path(sys.executable).parent
FLOW = load_flow(ROOT / "data", ROOT / "prompts")
# Where the doctors' menu leads to the social help: the choice broken below, and named in the refusal.
SOCIAL_OPTION = next(i for i, o in enumerate(FLOW.nodes["doctor_needs"].options) if o.target == "social_help")
SOCIAL_LINE = next(  # where that choice is written in data/flow.yaml
    i
    for i, s in enumerate((ROOT / "data" / "flow.yaml").read_text(encoding="utf-8").splitlines(), 1)
    if "target: social_help" in s
)


def procfile_command() -> str:
    line = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()[0]
    assert line.startswith("web: ")
    return line.removeprefix("web: ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_procfile(env_extra: dict, port: int, cwd: Path = ROOT, bin_dir: Path = BIN, environ: dict | None = None):
    """Start the Procfile's web: line as a host does, in `cwd`, with `bin_dir` first on the PATH,
    from `environ` (this process's environment by default)."""
    environ = os.environ if environ is None else environ
    env = {
        **environ,
        "PATH": f"{bin_dir}:{environ.get('PATH', os.defpath)}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "IVR_CALLER_ID": LINE_NUMBER,
        **env_extra,
    }
    env.pop("FLASK_RUN_FROM_CLI", None)
    return subprocess.Popen(
        ["bash", "-c", f"exec {procfile_command()}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TWILIO_AUTH_TOKEN": "", "IVR_ALLOW_UNSIGNED": ""}, "TWILIO_AUTH_TOKEN is not set"),
        ({"TWILIO_AUTH_TOKEN": "x", "IVR_MAX_TRIES": "lots"}, "IVR_MAX_TRIES must be a whole number"),
        ({"TWILIO_AUTH_TOKEN": "x", "IVR_CALLER_ID": ""}, "IVR_CALLER_ID is not set: the listening platform would see"),
        ({"TWILIO_AUTH_TOKEN": "x", "IVR_CALLER_ID": "08 92 12 34 56"}, "IVR_CALLER_ID is a premium-rate"),
        (
            {"TWILIO_AUTH_TOKEN": "x", "IVR_PLATFORM_NUMBER": "0800 800 854"},
            "IVR_PLATFORM_NUMBER is 0800 800 854, superseded: the platform is now 0800 288 038",
        ),
        (
            {"TWILIO_AUTH_TOKEN": "x", "IVR_DATA_DIR": "BROKEN"},
            f"data/flow.yaml:{SOCIAL_LINE} [nodes.doctor_needs.options[{SOCIAL_OPTION}].target]: "
            "unknown node 'nowhere'",
        ),
    ],
)
def test_procfile_refuses_to_start_with_one_clear_message(tmp_path, env, expected):
    if env.get("IVR_DATA_DIR") == "BROKEN":
        data = tmp_path / "data"
        data.mkdir()
        for name in ("flow.yaml", "directory.yaml", "councils.yaml"):
            (data / name).write_text((ROOT / "data" / name).read_text(encoding="utf-8"), encoding="utf-8")
        flow = data / "flow.yaml"
        flow.write_text(
            flow.read_text(encoding="utf-8").replace("target: social_help", "target: nowhere"), encoding="utf-8"
        )
        env = {**env, "IVR_DATA_DIR": str(data)}
    proc = run_procfile(env, free_port())
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert expected in err
    assert "Traceback" not in err


def test_procfile_serves_the_line(tmp_path):
    port = free_port()
    proc = run_procfile({"TWILIO_AUTH_TOKEN": "x"}, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/voice", data=b"CallSid=CA1", method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        info.value.close()
        assert info.value.code == 403, "an unsigned request is refused"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@pytest.fixture
def on_the_day_of_the_review(monkeypatch):
    monkeypatch.setattr("ivr.cli.check.today_is", lambda: date(2026, 11, 24))


def test_check_lists_numbers_with_sources_and_calls(on_the_day_of_the_review):
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    out = result.output
    lines = out.splitlines()
    assert "The call flow is valid" in out and "its prompts take keys and words (prompts/fr.yaml, words)" in out
    assert "09 80 80 03 07" in out and "seed 003_d1ef49de34176248.txt" in out
    assert 'said: "zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro sept"' in out
    i = next(i for i, line in enumerate(lines) if line.strip().startswith("31 14"))
    assert "[TO CONFIRM] emergency number: not to be called for a test" in lines[i]
    assert "https://3114.fr (consulted 2026-11-24)" in lines[i + 1]
    platform = next(i for i, line in enumerate(lines) if line.strip().startswith("0800 288 038"))
    assert "[seed] never called: TO CALL" in lines[platform]
    assert "seed 004_ecb87066e0f6f928.txt (undated)" in lines[platform + 1]
    social = next(i for i, line in enumerate(lines) if line.strip().startswith("09 80 80 03 07"))
    assert "[seed] never called: TO CALL" in lines[social]
    assert lines[social + 1].strip() == "sources: seed 003_d1ef49de34176248.txt (dated 2018)"
    emergency = [s.number for s in FLOW.services.values() if s.emergency]
    assert {"15", "17", "112", "114", "31 14"} <= set(emergency), emergency
    assert (
        f"Emergency numbers ({', '.join(emergency)}): not to be called for a test; checked against their sources."
        in out
    )
    assert all(s.called is None for s in FLOW.services.values()), "nobody has called a number from this line yet"
    due = [s for s in FLOW.services.values() if not s.emergency]
    start = lines.index(f"To confirm: call it ({len(due)}), never called or called more than 180 days ago:")
    assert lines[start + 1 : start + 1 + len(due)] == [f"  {s.number:<16} {s.id:<14} {s.name}" for s in due]
    assert "write the day in its `called:` in data/directory.yaml" in lines[start + 1 + len(due)]
    superseded = next(line for line in lines if line.strip().startswith("0800 800 854"))
    assert "2018-03 to 2019, replaced by 0800 288 038 (platform)" in superseded


def test_check_says_when_the_prompts_take_keys_only(on_the_day_of_the_review, monkeypatch):
    monkeypatch.setenv("IVR_SPEECH", "0")
    result = CliRunner().invoke(main, ["check"])
    assert "its prompts take keys only (IVR_SPEECH=0)" in result.output


def test_check_strict_fails_while_a_number_was_never_called(on_the_day_of_the_review, monkeypatch):
    assert CliRunner().invoke(main, ["check", "--strict"]).exit_code == 1
    monkeypatch.setenv("IVR_NUMBER_MAX_AGE", "3650")
    result = CliRunner().invoke(main, ["check", "--strict", "--max-age", "4000"])
    assert result.exit_code == 1 and "0800 288 038     platform" in result.output, "no age makes up for no call"


def test_check_reports_every_problem_and_fails(data_copy):
    data_copy.edit("flow", lambda d: d["nodes"]["welcome"]["options"][0].update(key="0", target="nowhere"))
    result = CliRunner().invoke(main, ["check", "--data", str(data_copy.data), "--prompts", str(data_copy.prompts)])
    assert result.exit_code == 1
    assert "NOT valid: 2 problem(s)" in result.output
    assert "nodes.welcome.options[0].key" in result.output
    assert "nodes.welcome.options[0].target" in result.output


def test_a_bad_log_level_is_named():
    from ivr.config import Settings
    from ivr.errors import ConfigError

    with pytest.raises(ConfigError, match="IVR_LOG_LEVEL must be"):
        Settings.from_env({"IVR_LOG_LEVEL": "chatty"})
