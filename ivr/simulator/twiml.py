"""Read TwiML as Twilio does: verbs, their attributes and defaults, how long a <Say> lasts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from ..flow.timing import speech_seconds

PROSODY_RATES = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "fast": 1.2, "x-fast": 1.4}
DEFAULT_DIAL_TIMEOUT = 30  # Twilio's default, in seconds


class CallError(Exception):
    """A call the platform would fail: an HTTP error, invalid TwiML, or a loop without end."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "http", "twiml" or "loop"


@dataclass(frozen=True)
class Gather:
    """A <Gather> waiting for keys, and for words when its input includes speech."""

    action: str
    method: str
    timeout: int
    num_digits: int | None
    finish_on_key: str
    action_on_empty: bool
    speech: bool = False  # input="dtmf speech": Twilio listens to words (its default is dtmf alone)
    hints: tuple[str, ...] = ()  # words and phrases the recogniser expects
    speech_timeout: int | None = None  # seconds of quiet that end speech; None: the timeout, Twilio's default

    def __post_init__(self) -> None:
        if self.speech_timeout is None:
            object.__setattr__(self, "speech_timeout", self.timeout)

    def entry(self, keys: str) -> tuple[str, bool]:
        """Return the digits Twilio submits for the keys pressed, and whether it waits the timeout."""
        if self.finish_on_key and self.finish_on_key in keys:
            return keys[: keys.index(self.finish_on_key)], False
        if self.num_digits and len(keys) >= self.num_digits:
            return keys[: self.num_digits], False
        return keys, True


@dataclass(frozen=True)
class Dial:
    """A <Dial> ringing, waiting to be answered."""

    numbers: tuple[str, ...]
    action: str | None
    method: str
    timeout: int
    whisper: tuple[str, str] | None = None  # (method, absolute url) a <Number url> plays to whoever answers


def attr_int(el: ET.Element, name: str, default: int | None) -> int | None:
    raw = el.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise CallError("twiml", f"<{el.tag} {name}={raw!r}> is not a whole number") from None


def _rate(raw: str | None, rate: float) -> float:
    if raw is None:
        return rate
    if raw.endswith("%") and raw[:-1].isdigit():
        return rate * int(raw[:-1]) / 100
    return rate * PROSODY_RATES.get(raw, 1.0)


def _spoken(el: ET.Element, rate: float = 1.0) -> list[tuple[str, float]]:
    """Split a <Say> into (text, speaking rate) pieces, following nested SSML <prosody>."""
    if el.tag == "prosody":
        rate = _rate(el.get("rate"), rate)
    pieces = [(el.text, rate)] if el.text else []
    for child in el:
        pieces += _spoken(child, rate)
        if child.tail:
            pieces.append((child.tail, rate))
    return pieces


def say_text(el: ET.Element) -> str:
    """Return the words a <Say> speaks, SSML tags removed."""
    return " ".join("".join(el.itertext()).split())


def say_seconds(el: ET.Element) -> float:
    """Estimate how long a <Say> speaks, at the rates its <prosody> tags set."""
    loops = max(attr_int(el, "loop", 1) or 1, 1)
    return loops * sum(speech_seconds(text, rate) for text, rate in _spoken(el) if text.strip())


@lru_cache(maxsize=4096)  # by element: a document's verbs are parsed once and read again and again
def gather_of(el: ET.Element, doc_url: str) -> Gather:
    """Read a <Gather>'s attributes, with Twilio's defaults (action: the current document; input:
    dtmf; speechTimeout: the timeout, "auto" counted as 1 s)."""
    timeout = attr_int(el, "timeout", 5) or 0
    speech_timeout = 1 if el.get("speechTimeout", "").lower() == "auto" else attr_int(el, "speechTimeout", timeout)
    return Gather(
        action=urljoin(doc_url, el.get("action", "")),
        method=el.get("method", "POST").upper(),
        timeout=timeout,
        num_digits=attr_int(el, "numDigits", None),
        finish_on_key=el.get("finishOnKey", "#"),
        action_on_empty=el.get("actionOnEmptyResult", "false").lower() == "true",
        speech="speech" in el.get("input", "dtmf").lower().split(),
        hints=tuple(hint.strip() for hint in el.get("hints", "").split(",") if hint.strip()),
        speech_timeout=speech_timeout or 0,
    )


def dial_of(el: ET.Element, doc_url: str) -> Dial:
    """Read a <Dial>'s numbers and attributes."""
    numbers = tuple(f"{c.tag} {(c.text or '').strip()}" for c in el) or (f"Number {(el.text or '').strip()}",)
    action = el.get("action")
    number = next((c for c in el if c.tag == "Number" and c.get("url")), None)
    whisper = None if number is None else (number.get("method", "POST").upper(), urljoin(doc_url, number.get("url")))
    return Dial(
        numbers=numbers,
        action=urljoin(doc_url, action) if action else None,
        method=el.get("method", "POST").upper(),
        timeout=attr_int(el, "timeout", DEFAULT_DIAL_TIMEOUT) or 0,
        whisper=whisper,
    )


def parse_twiml(body: str, url: str) -> list[ET.Element]:
    """Return the verbs of a TwiML document; raise CallError when it is not one."""
    verbs = _verbs(body)
    if isinstance(verbs, str):
        raise CallError("twiml", verbs.format(url=url))
    return list(verbs)


@lru_cache(maxsize=4096)
def _verbs(body: str | bytes) -> tuple[ET.Element, ...] | str:
    """Parse a document once (the route explorer meets the same ones again and again); the verbs are
    only read, never changed. A document that is not TwiML gives the error's text."""
    try:
        root = ET.fromstring(body.encode("utf-8") if isinstance(body, str) else body)
    except ET.ParseError as exc:
        return f"invalid XML from {{url}}: {exc}"
    if root.tag != "Response":
        return f"the document from {{url}} is <{root.tag}>, not <Response>"
    return tuple(root)


@lru_cache(maxsize=16384)
def serialized(verb: ET.Element) -> str:
    """Write a verb back as XML, once per parsed verb."""
    return ET.tostring(verb, encoding="unicode")
