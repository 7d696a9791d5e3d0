"""Which prompts and numbers the line plays from audio files, which it speaks, and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..flow.model import Flow
from ..flow.recordings import AUDIO_DIR, NUMBERS_DIR, RECORDINGS_DIR, entry_state, read_manifest
from ..flow.timing import speech_seconds
from .build import FORMATS, number_clips


@dataclass(frozen=True)
class Row:
    """One line of the report: a prompt or a number, what the caller hears, for how long."""

    key: str
    status: str  # recorded, placeholder, stale, broken, missing (spoken by text-to-speech)
    seconds: float
    detail: str = ""

    @property
    def played(self) -> bool:
        """Tell whether the caller hears the audio file."""
        return self.status in ("recorded", "placeholder")


def rows(flow: Flow, prompts_dir: Path) -> list[Row]:
    """Describe every prompt, then every number, as the line would play or say it."""
    audio_dir = Path(prompts_dir) / AUDIO_DIR
    manifest = read_manifest(audio_dir)
    out = []
    for key, text in flow.prompts.items():
        entry = manifest["prompts"].get(key)
        out.append(_row(key, entry, text, audio_dir, ""))
    clips_dir = Path(prompts_dir) / RECORDINGS_DIR / NUMBERS_DIR
    for sid, service in flow.services.items():
        if not service.words:
            continue
        missing = sorted({n for g in number_clips(service.number) for n in g if not (clips_dir / f"{n}.wav").is_file()})
        detail = f"no clip for {', '.join(map(str, missing))}" if missing else ""
        out.append(_row(f"number {sid}", manifest["numbers"].get(sid), service.spoken, audio_dir, detail))
    return out


def _row(key: str, entry: dict | None, text: str, audio_dir: Path, detail: str) -> Row:
    spoken = round(speech_seconds(text), 1)
    if entry is None:
        return Row(key, "missing", spoken, detail)
    state = entry_state(entry, text, audio_dir)
    if state == "current":
        return Row(key, entry["source"], float(entry["seconds"]), entry.get("from", ""))
    why = {
        "stale": "the text changed after this recording: record it again",
        "broken": f"{entry.get('file')} is missing or unreadable: build again",
    }[state]
    return Row(key, state, spoken, why)


def strays(flow: Flow, prompts_dir: Path) -> list[str]:
    """List the recordings named after no prompt (a typo in a file name, a removed prompt)."""
    folder = Path(prompts_dir) / RECORDINGS_DIR
    return sorted(p.name for p in folder.glob("*.*") if p.suffix[1:].lower() in FORMATS and p.stem not in flow.prompts)
