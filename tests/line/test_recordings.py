"""The line with recorded prompts: <Play> exactly when a current file exists, <Say> otherwise."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydub.generators import Sine

from ivr import create_app
from ivr.audio import build as audio
from ivr.cli import main
from ivr.config import Settings
from ivr.errors import ConfigError
from ivr.flow.model import KEY_PROMPTS
from ivr.line.recordings import CACHE_CONTROL, durations
from ivr.line.runtime import Line
from tests.paths import ROOT

from ..audio.test_build import drop, manifest, recording, tone


def heard(body: str) -> list[str]:
    """Everything the caller hears, in order: "play <file key>" or "say <text>"."""
    out = []
    for el in ET.fromstring(body).iter():
        if el.tag == "Play":
            out.append("play " + re.sub(r"-[0-9a-f]{12}\.wav$", "", el.text.rsplit("/", 1)[-1]))
        elif el.tag == "Say":
            out.append("say " + " ".join("".join(el.itertext()).split()))
    return out


def app_for(data_copy, **settings):
    return create_app({"data_dir": data_copy.data, "prompts_dir": data_copy.prompts, **settings}, dev=True)


def entry_keys(flow) -> tuple[str, str]:
    """The first prompt said on arrival and the first menu choice's label."""
    entry = flow.nodes[flow.entry]
    return entry.intro[0], entry.options[0].say


@pytest.fixture
def recorded(data_copy):
    """A copy of the line with its first prompt and its first menu choice recorded."""
    for key, ms in zip(entry_keys(data_copy.load()), (900, 700), strict=True):
        drop(data_copy.prompts, key, recording(tone(ms)))
    audio.build(data_copy.load(), data_copy.prompts)
    return data_copy


def expected_answer(app, played: set[str]) -> list[str]:
    """What the caller hears on arrival when the prompts `played` have current files."""
    line = app.extensions["ivr"]
    p, entry = line.flow.prompts, line.flow.nodes[line.flow.entry]
    out = [f"play {k}" if k in played else f"say {p[k]}" for k in (*entry.intro, *entry.say)]
    for option in entry.options:
        label, key = option.say, KEY_PROMPTS[option.key]
        text, key_text = line.renderer.option_text(option), f"{p['press']} {p[key]}."
        if not {label, "press", key} & played:
            out.append(f"say {text}")
            continue
        assert text.startswith(p[label]) and text.endswith(key_text), text
        out.append(f"play {label}" if label in played else f"say {text.removesuffix(key_text).rstrip()}")
        out += ["play press", f"play {key}"] if {"press", key} <= played else [f"say {key_text}"]
    out += [f"play {k}" if k in played else f"say {p[k]}" for k in entry.after]  # "Ou restez en ligne."
    return out


def test_play_exactly_the_prompts_that_have_a_current_file(recorded):
    flow = recorded.load()
    first, label = entry_keys(flow)
    app = app_for(recorded)
    body = app.test_client().post("/voice").get_data(as_text=True)
    assert heard(body) == expected_answer(app, {first, label})
    assert heard(body)[0] == f"play {first}"
    assert f"play {label}" in heard(body)
    assert sum(h.startswith("play") for h in heard(body)) == 2
    assert re.search(rf"<Play>/audio/{first}-[0-9a-f]{{12}}\.wav</Play>", body)


def test_without_audio_every_prompt_is_said(data_copy):
    app = app_for(data_copy)
    body = app.test_client().post("/voice").get_data(as_text=True)
    assert "<Play>" not in body
    assert heard(body) == expected_answer(app, set())


def test_recorded_key_words_are_played_in_the_menu(recorded):
    for key in ("press", "press_1"):
        drop(recorded.prompts, key, recording(tone(300, 700)))
    audio.build(recorded.load(), recorded.prompts)
    flow = recorded.load()
    app = app_for(recorded)
    body = app.test_client().post("/voice").get_data(as_text=True)
    assert heard(body) == expected_answer(app, {*entry_keys(flow), "press", "press_1"})
    said = heard(body)
    i = said.index("play press")
    assert said[i - 1 : i + 2] == [f"play {entry_keys(flow)[1]}", "play press", "play press_1"]
    # "tapez" is recorded but "deux" is not: the pair is said, never half played.
    assert f"say {flow.prompts['press']} {flow.prompts['press_2']}." in said


@pytest.mark.parametrize("damage", ["delete", "garble"])
def test_a_missing_or_unreadable_file_at_start_up_falls_back_to_speech(recorded, damage, caplog):
    first, _ = entry_keys(recorded.load())
    file = recorded.prompts / "audio" / manifest(recorded.prompts)["prompts"][first]["file"]
    if damage == "delete":
        file.unlink()
    else:
        file.write_bytes(b"not a wave file")
    caplog.set_level(logging.WARNING, logger="ivr")  # whatever level an earlier test left on "ivr"
    app = app_for(recorded)
    assert heard(app.test_client().post("/voice").get_data(as_text=True))[0] == f"say {recorded.load().prompts[first]}"
    assert app.extensions["ivr"].audio.broken == (first,)
    assert f"spoken instead: {first}" in caplog.text


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda m: [m], "a list, not a mapping"),
        (lambda m: {**m, "prompts": list(m["prompts"])}, "prompts is a list"),
        (lambda m: {**m, "prompts": {k: "x.wav" for k in m["prompts"]}}, "is not a mapping"),
        (lambda m: {**m, "prompts": {k: {**e, "seconds": "long"} for k, e in m["prompts"].items()}}, "no duration"),
        (
            lambda m: {
                **m,
                "prompts": {k: {x: v for x, v in e.items() if x != "seconds"} for k, e in m["prompts"].items()},
            },
            "no duration",
        ),
        (lambda m: {**m, "prompts": {k: {**e, "file": None} for k, e in m["prompts"].items()}}, "names no file"),
    ],
)
def test_a_manifest_of_the_wrong_shape_leaves_every_prompt_spoken(recorded, change, why, caplog):
    path = recorded.prompts / "audio" / "manifest.json"
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="ivr")
    app = app_for(recorded)
    assert [h for h in heard(app.test_client().post("/voice").get_data(as_text=True)) if h.startswith("play")] == []
    [line] = [r.getMessage() for r in caplog.records if "manifest.json" in r.getMessage()]
    assert why in line and "every prompt is spoken" in line and "\n" not in line


def test_a_stale_recording_is_said(recorded):
    first, _ = entry_keys(recorded.load())
    recorded.edit("prompts", lambda doc: doc["prompts"].update({first: "Bonjour, et bienvenue."}))
    app = app_for(recorded)
    assert heard(app.test_client().post("/voice").get_data(as_text=True))[0] == "say Bonjour, et bienvenue."
    assert app.extensions["ivr"].audio.stale == (first,)


def test_audio_files_are_served_for_good(recorded):
    client = app_for(recorded).test_client()
    url = ET.fromstring(client.post("/voice").get_data(as_text=True)).find("Play").text
    response = client.get(url)
    body = response.get_data()
    response.close()
    assert (response.status_code, response.mimetype) == (200, "audio/wav")
    assert response.headers["Cache-Control"] == CACHE_CONTROL
    assert body[:4] == b"RIFF"
    assert client.get("/audio/manifest.json").status_code == 404  # only the files the line plays
    assert client.get("/audio/..%2Fprompts%2Ffr.yaml").status_code == 404


def test_a_file_gone_after_start_up_is_a_404_not_a_crash(recorded):
    client = app_for(recorded).test_client()
    first, _ = entry_keys(recorded.load())
    file = manifest(recorded.prompts)["prompts"][first]["file"]
    (recorded.prompts / "audio" / file).unlink()
    assert client.get(f"/audio/{file}").status_code == 404
    # The TwiML, built from what was checked at start-up, still plays it (see docs/recordings.md).
    assert heard(client.post("/voice").get_data(as_text=True))[0] == f"play {first}"


def test_audio_from_a_cdn_or_the_public_url(recorded):
    first, _ = entry_keys(recorded.load())
    cdn = app_for(recorded, audio_base_url="https://cdn.example.org/ivr")
    assert re.search(
        rf"<Play>https://cdn\.example\.org/ivr/{first}-[0-9a-f]{{12}}\.wav</Play>",
        cdn.test_client().post("/voice").get_data(as_text=True),
    )
    public = app_for(recorded, public_url="https://line.example.org")
    body = public.test_client().post("/voice").get_data(as_text=True)
    assert f"<Play>https://line.example.org/audio/{first}-" in body


def test_audio_base_url_must_be_a_url():
    with pytest.raises(ConfigError, match="IVR_AUDIO_BASE_URL"):
        Settings.from_env({"IVR_AUDIO_BASE_URL": "cdn.example.org"})


def test_an_assembled_number_is_played_where_the_number_is_read(data_copy):
    folder = data_copy.prompts / "recordings" / "numbers"
    folder.mkdir(parents=True)
    for n in sorted({n for g in audio.number_clips(data_copy.load().platform.number) for n in g}):
        Sine(300 + n).to_audio_segment(duration=400, volume=-10).export(folder / f"{n}.wav", format="wav").close()
    audio.build(data_copy.load(), data_copy.prompts)
    flow = data_copy.load()
    app = app_for(data_copy)
    assert heard(app.extensions["ivr"].renderer.fallback) == [
        f"say {flow.prompts['fallback']}",
        f"say {flow.prompts['fallback_after']}",
        f"play number-{flow.platform.id}",
        f"say {flow.prompts['readout_repeat']}",
        f"play number-{flow.platform.id}",
    ]


def test_durations_come_from_the_manifest(recorded):
    line = Line.build(Settings(data_dir=recorded.data, prompts_dir=recorded.prompts))
    entries = manifest(recorded.prompts)["prompts"]
    first, label = entry_keys(line.flow)
    assert durations(line) == {k: entries[k]["seconds"] for k in (first, label)}
    assert 1.0 <= durations(line)[first] <= 1.2  # 200 ms lead-in + 900 ms of voice


def test_report_lists_every_prompt_and_fails_on_stale(recorded):
    runner = CliRunner()
    env = {"IVR_DATA_DIR": str(recorded.data), "IVR_PROMPTS_DIR": str(recorded.prompts)}
    result = runner.invoke(main, ["prompts", "report"], env=env)
    assert result.exit_code == 0, result.output
    flow = recorded.load()
    first, _ = entry_keys(flow)
    assert re.search(rf"^{first}\s+recorded\s+1\.\d\d\s+recordings/{first}\.wav$", result.output, re.M)
    assert re.search(r"^wrong_key\s+speech \(missing\)\s+~\d\.\d$", result.output, re.M)
    numbers = sum(bool(s.words) for s in flow.services.values())
    assert f"2 of {len(flow.prompts) + numbers} played from audio files" in result.output

    recorded.edit("prompts", lambda doc: doc["prompts"].update({first: "Bonjour, et bienvenue."}))
    (recorded.prompts / "recordings" / "greting.wav").write_bytes(b"")
    result = runner.invoke(main, ["prompts", "report"], env=env)
    assert result.exit_code == 1
    assert f"stale (1): {first}" in result.output
    assert "named after no prompt, ignored: greting.wav" in result.output


def test_build_command_makes_placeholders(data_copy):
    env = {"IVR_DATA_DIR": str(data_copy.data), "IVR_PROMPTS_DIR": str(data_copy.prompts)}
    result = CliRunner().invoke(main, ["prompts", "build", "--placeholders"], env=env)
    assert result.exit_code == 0, result.output
    assert re.search(r"^wrong_key\s+placeholder\s+\d+\.\d\d$", result.output, re.M)
    assert "of them placeholders" in result.output


def _build_in(data_copy, path: str) -> subprocess.CompletedProcess:
    """Run `ivr prompts build` as staff do, from a folder holding data/ and prompts/, with this PATH."""
    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        [str(bin_dir / "ivr"), "prompts", "build"],
        cwd=data_copy.data.parent,
        text=True,
        capture_output=True,
        env={"PATH": path, "HOME": str(data_copy.data.parent)},
        timeout=120,
    )


def test_build_without_ffmpeg_says_so_in_one_line(data_copy):
    (data_copy.prompts / "recordings").mkdir()
    (data_copy.prompts / "recordings" / "greeting.m4a").write_bytes(b"an m4a recording")
    result = _build_in(data_copy, str(Path(sys.executable).parent))  # no /usr/bin: no ffmpeg
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: greeting.m4a: reading M4A needs ffmpeg (apt-get install ffmpeg); or record it as WAV"
    )


def test_build_with_audio_not_a_folder_says_so_in_one_line(data_copy):
    (data_copy.prompts / "audio").write_text("not a folder", encoding="utf-8")
    result = _build_in(data_copy, os.environ["PATH"])
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "is not a folder" in result.stderr


def test_the_docs_document_the_audio_setting_and_command():
    recordings = (ROOT / "docs" / "recordings.md").read_text(encoding="utf-8")
    assert "`IVR_AUDIO_BASE_URL`" in recordings
    assert "ivr prompts build" in recordings


def test_the_simulated_caller_hears_recordings_for_their_length(recorded):
    """`ivr call` and `ivr routes` time a played prompt by its file, fetched from the line."""
    from ivr.simulator.player import Call
    from ivr.simulator.transport import flask_audio_length, flask_transport

    app = app_for(recorded)
    line = app.extensions["ivr"]
    greeting = line.flow.nodes[line.flow.entry].intro[0]
    seconds = durations(line)[greeting]
    call = Call(flask_transport(app), "http://localhost/voice", audio_length=flask_audio_length(app)).start()
    play = next(e for e in call.events if e.kind == "play")
    assert play.seconds == pytest.approx(seconds) and 0.9 < seconds < 1.5
    assert call.events[call.events.index(play) + 1].at == pytest.approx(seconds)
