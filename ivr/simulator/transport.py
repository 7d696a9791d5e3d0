"""Carry the simulated caller's requests: over HTTP to any URL, or into a Flask app in-process."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import wave
from collections.abc import Callable, Mapping
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from .player import AudioLength, Transport

SIGNATURE_HEADER = "X-Twilio-Signature"
LOCAL_BASE = "http://localhost"


def _headers(token: str | None, url: str, form: Mapping[str, str]) -> dict[str, str]:
    """Sign a request as Twilio does, when the line has an auth token."""
    if not token:
        return {}
    return {SIGNATURE_HEADER: RequestValidator(token).compute_signature(url, dict(form))}


def http_transport(token: str | None = None, timeout: float = 15.0) -> Transport:
    """Send requests over HTTP with urllib, signed with `token` when given."""

    def send(method: str, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        data = urlencode(form).encode() if method == "POST" else None
        request = urllib.request.Request(url, data=data, method=method, headers=_headers(token, url, form))
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http only)
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    return send


def flask_transport(app, token: str | None = None, environ: Mapping[str, object] | None = None) -> Transport:
    """Send requests straight into a Flask app with its test client: no server, no network; `environ`
    adds WSGI environ keys to each (the keypad page's clock)."""
    client = app.test_client()

    def send(method: str, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        response = client.open(
            parts.path or "/",
            method=method,
            query_string=parts.query,
            base_url=f"{parts.scheme}://{parts.netloc}",
            headers=_headers(token, url, form),
            data=dict(form) if method == "POST" else None,
            environ_overrides=dict(environ or {}),
        )
        return response.status_code, response.get_data(as_text=True)

    return send


PER_CALL_FIELDS = frozenset({"CallSid", "DialCallSid"})  # differ from call to call, never change an answer


def remembering(transport: Transport) -> Transport:
    """Ask `transport` each distinct request once: the line keeps no state between requests (where
    the caller is travels in the URL), so the same request gets the same answer. For the route
    explorer, which makes the same requests again and again from calls that differ only earlier."""
    answers: dict[tuple, tuple[int, str]] = {}

    def send(method: str, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        key = (method, url, tuple(sorted((k, v) for k, v in form.items() if k not in PER_CALL_FIELDS)))
        if key not in answers:
            answers[key] = transport(method, url, form)
        return answers[key]

    return send


def wav_seconds(data: bytes) -> float | None:
    """Return how long a WAV file plays; None when the data is not a WAV file."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        return None


def _lengths(fetch: Callable[[str], bytes | None]) -> AudioLength:
    @lru_cache(maxsize=256)
    def length(url: str) -> float | None:
        data = fetch(url)
        return wav_seconds(data) if data else None

    return length


def http_audio_length(timeout: float = 15.0) -> AudioLength:
    """Measure a <Play>'s file by downloading it (each URL once)."""

    def fetch(url: str) -> bytes | None:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
                return response.read()
        except (urllib.error.URLError, ValueError, OSError):
            return None

    return _lengths(fetch)


def flask_audio_length(app) -> AudioLength:
    """Measure a <Play>'s file served by the app itself (each URL once); others are unknown."""
    client = app.test_client()

    def fetch(url: str) -> bytes | None:
        parts = urlsplit(url)
        with client.get(parts.path or "/", query_string=parts.query) as response:
            return response.get_data() if response.status_code == 200 else None

    return _lengths(fetch)
