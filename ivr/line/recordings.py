"""Serve the recorded prompts to Twilio: the files the line checked at start-up, cached for good."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from ..flow.recordings import AUDIO_DIR

AUDIO_URL = "/audio/"
CACHE_CONTROL = "public, max-age=31536000, immutable"  # safe: a file's name changes with its content


def audio_base(settings) -> str:
    """Return where Twilio fetches the audio: IVR_AUDIO_BASE_URL, else this app's /audio/."""
    if settings.audio_base_url:
        return settings.audio_base_url
    return (settings.public_url or "").rstrip("/") + AUDIO_URL


def durations(line) -> dict[str, float]:
    """Return the seconds of every prompt the line plays from a recording."""
    return dict(line.audio.seconds)


bp = Blueprint("audio", __name__)


@bp.get(f"{AUDIO_URL}<name>")
def audio_file(name: str):
    """Serve a prompt's audio file, cached for good: its name changes with its content."""
    line = current_app.extensions["ivr"]
    if name not in line.audio.files:
        abort(404)
    response = send_from_directory(Path(line.settings.prompts_dir).resolve() / AUDIO_DIR, name, mimetype="audio/wav")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
