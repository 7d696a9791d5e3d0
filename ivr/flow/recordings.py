"""Recorded prompts: read the manifest the build wrote, keep the files that are current."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .model import Flow

log = logging.getLogger("ivr.audio")

RECORDINGS_DIR = "recordings"  # what staff drop: recordings/<prompt key>.<wav|mp3|m4a|ogg>
NUMBERS_DIR = "numbers"  # recordings/numbers/<n>.wav: one clip per number word
AUDIO_DIR = "audio"  # what the build writes: audio/<key>-<hash>.wav and the manifest
MANIFEST = "manifest.json"


def text_hash(text: str) -> str:
    """Fingerprint the text a recording says, to tell when the text has changed since."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(audio_dir: Path) -> dict:
    """Return the manifest written by the last build; an empty one when there is none, or when it
    cannot be used (recordings are optional: every prompt is then spoken, and one line says why)."""
    path = Path(audio_dir) / MANIFEST
    empty: dict[str, dict] = {"prompts": {}, "numbers": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s): every prompt is spoken", path, type(exc).__name__)
        return empty
    problem = manifest_problem(manifest)
    if problem:
        log.warning("%s is not a manifest the build writes (%s): every prompt is spoken", path, problem)
        return empty
    return {"prompts": manifest.get("prompts", {}), "numbers": manifest.get("numbers", {})}


def manifest_problem(manifest) -> str | None:
    """Say, in a few words, why a parsed manifest has the wrong shape; None when it is right."""
    if not isinstance(manifest, dict):
        return f"a {type(manifest).__name__}, not a mapping"
    for section in ("prompts", "numbers"):
        entries = manifest.get(section, {})
        if not isinstance(entries, dict):
            return f"{section} is a {type(entries).__name__}, not a mapping"
        for key, entry in entries.items():
            if not isinstance(entry, dict):
                return f"{section}.{key!r} is not a mapping"
            seconds = entry.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < 3600:
                return f"{section}.{key!r} has no duration in seconds"
            if not isinstance(entry.get("file"), str):
                return f"{section}.{key!r} names no file"
    return None


def readable_wav(path: Path) -> bool:
    """Tell whether a file exists, can be opened and starts like a WAV file."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


@dataclass(frozen=True)
class Audio:
    """The recorded prompts and numbers a line plays, by URL, and what could not be played."""

    urls: Mapping[str, str] = field(default_factory=dict)  # prompt key -> URL
    numbers: Mapping[str, str] = field(default_factory=dict)  # service id -> URL
    seconds: Mapping[str, float] = field(default_factory=dict)  # prompt key -> duration
    number_seconds: Mapping[str, float] = field(default_factory=dict)  # service id -> duration
    files: frozenset[str] = frozenset()  # names the /audio route may serve
    stale: tuple[str, ...] = ()  # recorded for a text that has changed since
    broken: tuple[str, ...] = ()  # in the manifest, but the file is missing or unreadable


def entry_state(entry: dict, text: str | None, audio_dir: Path) -> str:
    """Say whether a manifest entry can be played: current, stale, broken or unknown."""
    if text is None:
        return "unknown"
    if entry.get("text_sha256") != text_hash(text):
        return "stale"
    if not readable_wav(audio_dir / str(entry.get("file", ""))):
        return "broken"
    return "current"


def load_audio(flow: Flow, prompts_dir: Path, base_url: str) -> Audio:
    """Keep the manifest entries whose file is readable and whose text is current."""
    audio_dir = Path(prompts_dir) / AUDIO_DIR
    manifest = read_manifest(audio_dir)
    base = base_url.rstrip("/") + "/"
    found: dict[str, dict] = {"urls": {}, "numbers": {}, "seconds": {}, "number_seconds": {}}
    files: set[str] = set()
    stale: list[str] = []
    broken: list[str] = []
    kinds = (
        ("prompts", "urls", "seconds", lambda k: flow.prompts.get(k)),
        ("numbers", "numbers", "number_seconds", lambda k: flow.services[k].spoken if k in flow.services else None),
    )
    for section, urls, seconds, text_of in kinds:
        for key, entry in manifest[section].items():
            state = entry_state(entry, text_of(key), audio_dir)
            if state == "current":
                found[urls][key] = base + entry["file"]
                found[seconds][key] = float(entry["seconds"])
                files.add(entry["file"])
            elif state in ("stale", "broken"):
                (stale if state == "stale" else broken).append(key)
    if stale:
        log.warning("recorded for an older text, spoken instead: %s", ", ".join(sorted(stale)))
    if broken:
        log.warning("audio file missing or unreadable, spoken instead: %s", ", ".join(sorted(broken)))
    return Audio(
        **{k: MappingProxyType(v) for k, v in found.items()},
        files=frozenset(files),
        stale=tuple(sorted(stale)),
        broken=tuple(sorted(broken)),
    )
