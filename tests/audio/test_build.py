"""The audio build: telephone-ready files, loudness, trimmed silence, hashed names, stale texts, numbers."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from pydub import AudioSegment
from pydub.generators import Sine, WhiteNoise
from pydub.silence import detect_leading_silence

from ivr.audio import build as audio
from ivr.flow.recordings import load_audio, text_hash

RATE = 44100  # what a recorder gives, before the build
NOISE_DBFS = -65.0  # the room's hiss under the "silence" of a recording


def tone(ms: int, freq: int = 440, volume: float = -12.0) -> AudioSegment:
    return Sine(freq, sample_rate=RATE).to_audio_segment(duration=ms, volume=volume)


def recording(voice: AudioSegment, before: int = 700, after: int = 500) -> AudioSegment:
    """A stereo "recording": room noise, the voice, room noise."""
    noise = WhiteNoise(sample_rate=RATE).to_audio_segment(duration=before + len(voice) + after, volume=NOISE_DBFS)
    mono = noise.overlay(voice, position=before)
    return AudioSegment.from_mono_audiosegments(mono, mono)


def drop(prompts: Path, name: str, sound: AudioSegment, fmt: str = "wav") -> Path:
    path = prompts / "recordings" / f"{name}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"format": "mp4", "codec": "aac"} if fmt == "m4a" else {"format": fmt}
    sound.export(path, **kwargs).close()
    return path


def manifest(prompts: Path) -> dict:
    return json.loads((prompts / "audio" / "manifest.json").read_text(encoding="utf-8"))


def output(prompts: Path, entry: dict) -> Path:
    return prompts / "audio" / entry["file"]


@pytest.mark.parametrize("fmt", ["wav", "mp3", "m4a", "ogg"])
def test_a_recording_becomes_a_telephone_file(data_copy, fmt):
    drop(data_copy.prompts, "greeting", recording(tone(1000)), fmt)
    audio.build(data_copy.load(), data_copy.prompts)
    entry = manifest(data_copy.prompts)["prompts"]["greeting"]
    assert entry["source"] == "recorded"
    assert entry["from"] == f"recordings/greeting.{fmt}"
    with wave.open(str(output(data_copy.prompts, entry))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    sound = audio.load(output(data_copy.prompts, entry))
    # 700 ms of noise before and 500 after are cut; the lead-in is added.
    assert audio.LEAD_IN_MS + 960 <= len(sound) <= audio.LEAD_IN_MS + 1060
    assert entry["seconds"] == pytest.approx(len(sound) / 1000, abs=0.001)


def test_silence_is_trimmed_and_loudness_levelled(data_copy):
    drop(data_copy.prompts, "greeting", recording(tone(1500, volume=-30.0), before=900, after=800))
    audio.build(data_copy.load(), data_copy.prompts)
    sound = audio.load(output(data_copy.prompts, manifest(data_copy.prompts)["prompts"]["greeting"]))
    lead = detect_leading_silence(sound, silence_threshold=-50.0, chunk_size=5)
    tail = detect_leading_silence(sound.reverse(), silence_threshold=-50.0, chunk_size=5)
    assert audio.LEAD_IN_MS - 5 <= lead <= audio.LEAD_IN_MS + 10
    assert tail <= 10
    voice = sound[audio.LEAD_IN_MS :]
    assert voice.dBFS == pytest.approx(audio.TARGET_DBFS, abs=1.0)  # the input was at -33 dBFS RMS


def test_names_change_with_the_content_and_old_files_go(data_copy):
    flow = data_copy.load()
    drop(data_copy.prompts, "greeting", recording(tone(800, 440)))
    audio.build(flow, data_copy.prompts)
    first = manifest(data_copy.prompts)["prompts"]["greeting"]["file"]
    audio.build(flow, data_copy.prompts)
    assert manifest(data_copy.prompts)["prompts"]["greeting"]["file"] == first  # same content, same name
    drop(data_copy.prompts, "greeting", recording(tone(800, 660)))
    audio.build(flow, data_copy.prompts)
    second = manifest(data_copy.prompts)["prompts"]["greeting"]["file"]
    assert second.startswith("greeting-") and second != first
    assert sorted(p.name for p in (data_copy.prompts / "audio").glob("*.wav")) == [second]


def test_a_changed_text_makes_its_recording_stale_until_recorded_again(data_copy):
    drop(data_copy.prompts, "greeting", recording(tone(800)))
    audio.build(data_copy.load(), data_copy.prompts)
    assert list(load_audio(data_copy.load(), data_copy.prompts, "/audio/").urls) == ["greeting"]

    data_copy.edit("prompts", lambda doc: doc["prompts"].update(greeting="Bonjour, et bienvenue."))
    flow = data_copy.load()
    found = load_audio(flow, data_copy.prompts, "/audio/")
    assert (dict(found.urls), found.stale) == ({}, ("greeting",))
    # Building again with the same recording does not bless it for the new text.
    audio.build(flow, data_copy.prompts)
    assert load_audio(flow, data_copy.prompts, "/audio/").stale == ("greeting",)
    # A new recording is for the new text.
    drop(data_copy.prompts, "greeting", recording(tone(900)))
    audio.build(flow, data_copy.prompts)
    found = load_audio(flow, data_copy.prompts, "/audio/")
    assert (list(found.urls), found.stale) == (["greeting"], ())
    assert manifest(data_copy.prompts)["prompts"]["greeting"]["text_sha256"] == text_hash("Bonjour, et bienvenue.")


def test_placeholders_only_when_asked_and_marked(data_copy):
    flow = data_copy.load()
    drop(data_copy.prompts, "greeting", recording(tone(800)))
    audio.build(flow, data_copy.prompts)
    assert list(manifest(data_copy.prompts)["prompts"]) == ["greeting"]

    audio.build(flow, data_copy.prompts, placeholders=True)
    entries = manifest(data_copy.prompts)["prompts"]
    assert set(entries) == set(flow.prompts)
    assert {k for k, e in entries.items() if e["source"] == "recorded"} == {"greeting"}
    assert {e["source"] for k, e in entries.items() if k != "greeting"} == {"placeholder"}
    with wave.open(str(output(data_copy.prompts, entries["wrong_key"]))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    # espeak-ng says "Cette touche ne correspond à aucun choix." in one to five seconds.
    assert 1.0 <= entries["wrong_key"]["seconds"] <= 5.0
    voice = audio.load(output(data_copy.prompts, entries["wrong_key"]))[audio.LEAD_IN_MS :]
    assert voice.dBFS == pytest.approx(audio.TARGET_DBFS, abs=1.0)


@pytest.mark.parametrize(
    "written, clips",
    [
        ("0 800 800 854", [[0], [800], [800], [800, 54]]),
        ("09 80 80 03 07", [[0, 9], [80], [80], [0, 3], [0, 7]]),
        ("112", [[100, 12]]),
        ("31 14", [[31], [14]]),
        ("000", [[0, 0, 0]]),
        ("101", [[100, 1]]),
    ],
)
def test_number_clips_follow_the_spoken_groups(written, clips):
    assert audio.number_clips(written) == clips


def test_a_number_is_assembled_from_word_clips(data_copy):
    platform = data_copy.load().platform  # "0 800 800 854": zéro, huit cents, huit cents, huit cent cinquante-quatre
    groups = audio.number_clips(platform.number)
    lengths = {n: 400 + 60 * i for i, n in enumerate(sorted({n for g in groups for n in g}))}
    folder = data_copy.prompts / "recordings" / "numbers"
    folder.mkdir(parents=True)
    for n, ms in lengths.items():
        recording(tone(ms, 300 + n), before=300, after=200).export(folder / f"{n}.wav", format="wav").close()
    audio.build(data_copy.load(), data_copy.prompts)
    entry = manifest(data_copy.prompts)["numbers"][platform.id]
    assert entry["clips"] == sorted(lengths)

    part = {n: len(audio.prepare(audio.load(folder / f"{n}.wav"))) for n in lengths}
    assert all(lengths[n] - 20 <= part[n] <= lengths[n] + 10 for n in lengths), part  # trimmed to the words
    expected = (
        audio.LEAD_IN_MS
        + sum(part[n] for g in groups for n in g)
        + (len(groups) - 1) * audio.GROUP_PAUSE_MS
        + sum(len(g) - 1 for g in groups) * audio.WORD_GAP_MS
    )
    sound = audio.load(output(data_copy.prompts, entry))
    assert abs(len(sound) - expected) <= 3
    assert entry["seconds"] == pytest.approx(expected / 1000, abs=0.003)
