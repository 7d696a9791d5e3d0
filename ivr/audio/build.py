"""Build telephone-ready prompt files from recordings (pydub), with a manifest."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..flow.model import Flow
from ..flow.recordings import AUDIO_DIR, MANIFEST, NUMBERS_DIR, RECORDINGS_DIR, read_manifest, text_hash
from ..flow.timing import PAUSE_SECONDS

# Twilio turns every <Play> file into 8 kHz mono G.711 for the phone network. Giving it
# 8 kHz mono 16-bit PCM WAV leaves it nothing to resample, keeps exact durations (MP3
# pads its frames) and costs 16 kB a second.
SAMPLE_RATE = 8000
CHANNELS = 1
SAMPLE_WIDTH = 2
TARGET_DBFS = -20.0  # loudness of every prompt: RMS level in dBFS
SILENCE_BELOW_PEAK_DB = 40.0  # quieter than the peak by this much counts as silence
LEAD_IN_MS = 200  # silence before each prompt, so consecutive prompts do not run together
WORD_GAP_MS = 40  # between the words of one group of digits
GROUP_PAUSE_MS = round(PAUSE_SECONDS[","] * 1000)  # between groups, as the comma of the spoken text
FORMATS = ("wav", "mp3", "m4a", "ogg")
PLACEHOLDER_VOICE = "fr"  # espeak-ng's French voice


def _pydub():
    """Import pydub only when building, so the web app runs without it."""
    try:
        with warnings.catch_warnings():  # without ffmpeg pydub warns on import; load() says it in one line
            warnings.simplefilter("ignore", RuntimeWarning)
            import pydub
            import pydub.silence
    except ImportError as exc:
        raise RuntimeError("building audio needs pydub: run scripts/setup audio (the audio extra)") from exc
    return pydub


def telephone(sound):
    """Return the sound in the telephone format: 8 kHz, mono, 16-bit."""
    return sound.set_channels(CHANNELS).set_frame_rate(SAMPLE_RATE).set_sample_width(SAMPLE_WIDTH)


def trim(sound):
    """Cut the silence before and after the voice."""
    detect = _pydub().silence.detect_leading_silence
    threshold = sound.max_dBFS - SILENCE_BELOW_PEAK_DB
    start = detect(sound, silence_threshold=threshold)
    end = detect(sound.reverse(), silence_threshold=threshold)
    return sound[start : len(sound) - end] if start < len(sound) - end else sound[:0]


def level(sound):
    """Bring the sound's RMS loudness to TARGET_DBFS."""
    return sound.apply_gain(TARGET_DBFS - sound.dBFS) if sound.rms else sound


def prepare(sound):
    """Make a clip telephone-ready: format, trimmed, levelled (no lead-in)."""
    return level(trim(telephone(sound)))


def silence(ms: int):
    """Return silence in the telephone format."""
    return _pydub().AudioSegment.silent(duration=ms, frame_rate=SAMPLE_RATE).set_sample_width(SAMPLE_WIDTH)


def load(path: Path):
    """Read a recording in any format ffmpeg knows (WAV needs no ffmpeg)."""
    fmt = Path(path).suffix[1:].lower()
    if fmt != "wav" and not (shutil.which("ffmpeg") or shutil.which("avconv")):
        raise RuntimeError(
            f"{Path(path).name}: reading {fmt.upper()} needs ffmpeg (apt-get install ffmpeg); or record it as WAV"
        )
    with open(path, "rb") as f:  # pydub leaves the files it opens itself open
        return _pydub().AudioSegment.from_file(f, format=None if fmt == "m4a" else fmt)


def placeholder(text: str, workdir: Path):
    """Synthesise a stand-in for a missing recording with espeak-ng, offline."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("placeholders need espeak-ng (apt-get install espeak-ng)")
    out = workdir / "placeholder.wav"
    subprocess.run(["espeak-ng", "-v", PLACEHOLDER_VOICE, "-w", str(out), "--", text], check=True, capture_output=True)
    return load(out)


def number_clips(written: str) -> list[list[int]]:
    """Split each group of a number into the numbers whose clips say it: "0 800" -> [[0], [800]].

    Mirrors ivr.flow.words.group_words: leading zeros one by one, then hundreds, then the rest
    ("854" -> [800, 54]); a hundreds clip is the hundred said alone ("huit cents").
    """
    groups = []
    for group in written.split():
        rest = group.lstrip("0")
        clips = [0] * (len(group) - len(rest))
        value = int(rest) if rest else 0
        if value >= 100:
            clips.append(value // 100 * 100)
            value %= 100
            if value:
                clips.append(value)
        elif rest:
            clips.append(value)
        groups.append(clips)
    return groups


def assemble(groups: list[list[object]]):
    """Join prepared clips: words of a group close together, groups apart, after a lead-in."""
    out = silence(LEAD_IN_MS)
    for i, clips in enumerate(groups):
        if i:
            out += silence(GROUP_PAUSE_MS)
        for j, clip in enumerate(clips):
            if j:
                out += silence(WORD_GAP_MS)
            out += clip
    return out


def find_recording(folder: Path, key: str) -> Path | None:
    """Return the recording of a key, in the first format found."""
    return next((p for ext in FORMATS if (p := folder / f"{key}.{ext}").is_file()), None)


def file_hash(path: Path) -> str:
    """Fingerprint a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Build:
    """Write the prompts' audio files and the manifest into <prompts>/audio."""

    flow: Flow
    prompts_dir: Path
    placeholders: bool = False
    prompts: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)

    @property
    def audio_dir(self) -> Path:
        return Path(self.prompts_dir) / AUDIO_DIR

    def write(self, name: str, sound) -> tuple[str, float]:
        """Write a sound under a name made of its content's hash; return file name and seconds."""
        with tempfile.NamedTemporaryFile(suffix=".wav", dir=self.audio_dir, delete=False) as tmp:
            sound.export(tmp, format="wav")
        tmp_path = Path(tmp.name)
        tmp_path.chmod(0o644)  # readable by the web server, like any static file
        file = f"{name}-{file_hash(tmp_path)[:12]}.wav"
        tmp_path.replace(self.audio_dir / file)
        return file, round(len(sound) / 1000, 3)

    def run(self) -> dict:
        """Build every prompt and number that can be built; return the manifest."""
        try:
            self.audio_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RuntimeError(
                f"cannot write the audio files: {self.audio_dir} is not a folder ({exc.strerror or type(exc).__name__})"
            ) from None
        previous = read_manifest(self.audio_dir)["prompts"]
        recordings = Path(self.prompts_dir) / RECORDINGS_DIR
        with tempfile.TemporaryDirectory() as work:
            for key, text in self.flow.prompts.items():
                self.prompt(key, text, recordings, previous.get(key, {}), Path(work))
        for sid, service in self.flow.services.items():
            self.number(sid, service, recordings / NUMBERS_DIR)
        manifest = {
            "format": {
                "sample_rate": SAMPLE_RATE,
                "channels": CHANNELS,
                "sample_width": SAMPLE_WIDTH,
                "target_dbfs": TARGET_DBFS,
                "lead_in_ms": LEAD_IN_MS,
            },
            "prompts": self.prompts,
            "numbers": self.numbers,
        }
        (self.audio_dir / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        keep = {e["file"] for e in (*self.prompts.values(), *self.numbers.values())}
        for old in self.audio_dir.glob("*.wav"):
            if old.name not in keep:
                old.unlink()
        return manifest

    def prompt(self, key: str, text: str, recordings: Path, before: dict, work: Path) -> None:
        """Build one prompt from its recording, or from a placeholder when asked."""
        source = find_recording(recordings, key)
        if source is not None:
            source_hash = file_hash(source)
            # The same recording as last time was made for the text hashed then: keep that hash,
            # so a text changed since is reported stale instead of silently accepted.
            said = before.get("text_sha256") if before.get("from_sha256") == source_hash else None
            sound = load(source)
            entry = {
                "source": "recorded",
                "from": f"{RECORDINGS_DIR}/{source.name}",
                "from_sha256": source_hash,
                "text_sha256": said or text_hash(text),
            }
        elif self.placeholders:
            sound = placeholder(text, work)
            entry = {"source": "placeholder", "text_sha256": text_hash(text)}
        else:
            return
        file, seconds = self.write(key, silence(LEAD_IN_MS) + prepare(sound))
        self.prompts[key] = {"file": file, "seconds": seconds, **entry}

    def number(self, sid: str, service, folder: Path) -> None:
        """Assemble a service's number from clips of number words, when they all exist."""
        if not service.words:
            return
        groups = number_clips(service.number)
        needed = sorted({n for g in groups for n in g})
        paths = {n: folder / f"{n}.wav" for n in needed}
        if not all(p.is_file() for p in paths.values()):
            return
        clips = {n: prepare(load(p)) for n, p in paths.items()}
        file, seconds = self.write(f"number-{sid}", assemble([[clips[n] for n in g] for g in groups]))
        self.numbers[sid] = {
            "file": file,
            "seconds": seconds,
            "source": "recorded",
            "text_sha256": text_hash(service.spoken),
            "clips": needed,
        }


def build(flow: Flow, prompts_dir: Path, placeholders: bool = False) -> dict:
    """Build the audio of every prompt that has a recording (or a placeholder when asked)."""
    return Build(flow, Path(prompts_dir), placeholders).run()
