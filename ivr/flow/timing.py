"""Estimate how long the caller listens: speech time from text, at a stated speaking rate."""

from __future__ import annotations

import re

# A French neural voice reads about 15 characters a second (about 170 words a minute),
# and pauses at punctuation. Numbers are read at 90 % of that speed.
CHARS_PER_SECOND = 15.0
PAUSE_SECONDS = {",": 0.25, ";": 0.35, ":": 0.35, ".": 0.45, "?": 0.45, "!": 0.45}
_PUNCTUATION = re.compile(r"[,;:.?!]")


def speech_seconds(text: str, rate: float = 1.0) -> float:
    """Estimate the seconds a voice takes to say `text` at `rate` (1.0 = normal speed)."""
    text = " ".join(text.split())
    pauses = sum(PAUSE_SECONDS[p] for p in _PUNCTUATION.findall(text))
    return len(text) / (CHARS_PER_SECOND * rate) + pauses


# Twilio adds 5 s to every <Dial> timeout before it gives up on a transfer nobody answers.
DIAL_TIMEOUT_EXTRA = 5
