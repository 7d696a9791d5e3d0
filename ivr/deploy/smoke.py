"""The smoke call: requests signed exactly as Twilio sends them, to the line's public webhooks."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..simulator.player import ANONYMOUS
from ..simulator.transport import http_transport
from ..simulator.twiml import CallError, parse_twiml
from .check import Check
from .numbers import Webhooks

TWILIO_WAITS = 15.0  # seconds Twilio waits for a webhook before it gives up on it


def call_fields(account_sid: str, number: str, call_sid: str, status: str) -> dict[str, str]:
    """Return the form Twilio posts to a voice webhook (the fields the simulator sends too)."""
    return {
        "CallSid": call_sid,
        "AccountSid": account_sid,
        "From": ANONYMOUS,
        "To": number,
        "Caller": ANONYMOUS,
        "Called": number,
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def smoke_call(
    base: str, hooks: Webhooks, token: str, account_sid: str, number: str, timeout: float = TWILIO_WAITS
) -> Iterator[Check]:
    """Call the line at `base` as Twilio would: the voice URL, the fallback, the status callback, and
    forged requests that must be refused; yield one Check per request."""
    sid = "CA" + secrets.token_hex(16)
    signed, forged = http_transport(token, timeout), http_transport(_other_than(token), timeout)
    ringing = call_fields(account_sid, number, sid, "ringing")
    voice = f"{base}/voice"
    yield _twiml("smoke call, voice URL", signed, "POST", voice, ringing)
    fallback = {**ringing, "ErrorCode": "11200", "ErrorUrl": voice}
    yield _twiml(
        "smoke call, fallback URL",
        signed,
        hooks.voice_fallback_method or "POST",
        hooks.voice_fallback_url or f"{base}/voice/fallback",
        fallback,
    )
    ended = {
        **call_fields(account_sid, number, sid, "completed"),
        "CallDuration": "0",
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "0",
    }
    yield _empty("smoke call, status callback", signed, f"{base}/voice/status", ended)
    for name, url, form in (
        ("forged request, voice URL", voice, ringing),
        ("forged request, status callback", f"{base}/voice/status", ended),
    ):
        yield _refused(name, forged, url, form)


def health(base: str, timeout: float = TWILIO_WAITS) -> Check:
    """Ask the line's /healthz which version and commit are live."""
    url = f"{base}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the line's own URL)
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        return Check("live version", False, f"GET {url}: no answer ({type(exc).__name__})")
    if not isinstance(body, dict) or body.get("status") != "ok":
        return Check("live version", False, f"GET {url} did not say the line is up")
    commit = body.get("commit") or "unknown"
    return Check("live version", True, f"{body.get('version') or 'unknown'}, commit {commit[:12]}")


def _other_than(token: str) -> str:
    while (other := secrets.token_hex(16)) == token:
        pass
    return other


def _send(transport, method: str, url: str, form: dict[str, str]) -> tuple[int, str, float]:
    """Send one request; return its status, body and the seconds it took."""
    if method.upper() == "GET":  # Twilio puts the fields in the query string of a GET
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(query="&".join(q for q in (parts.query, urlencode(form)) if q)))
        form = {}
    started = time.monotonic()
    status, body = transport(method.upper(), url, form)
    return status, body, time.monotonic() - started


def _attempt(name: str, transport, method: str, url: str, form: dict[str, str]) -> Check | tuple[str, int, str]:
    """Send one request; return a failed Check, or what was answered (a description, status, body)."""
    try:
        status, body, seconds = _send(transport, method, url, form)
    except OSError as exc:
        return Check(name, False, f"{method} {url}: no answer ({type(exc).__name__})")
    where = f"{method} {url} answered {status} in {seconds:.2f} s"
    if seconds > TWILIO_WAITS:
        return Check(name, False, f"{where}: Twilio gives up after {TWILIO_WAITS:.0f} s")
    return where, status, body


def _twiml(name: str, transport, method: str, url: str, form: dict[str, str]) -> Check:
    answer = _attempt(name, transport, method, url, form)
    if isinstance(answer, Check):
        return answer
    where, status, body = answer
    if status != 200:
        return Check(name, False, f"{where}, expected 200 with TwiML")
    try:
        verbs = parse_twiml(body, url)
    except CallError as exc:
        return Check(name, False, f"{where}, not TwiML: {exc}")
    if not verbs:
        return Check(name, False, f"{where}, an empty <Response>: the caller would hear nothing")
    return Check(name, True, f"{where}, TwiML ({', '.join(v.tag for v in verbs)})")


def _empty(name: str, transport, url: str, form: dict[str, str]) -> Check:
    answer = _attempt(name, transport, "POST", url, form)
    if isinstance(answer, Check):
        return answer
    where, status, body = answer
    ok = status in (200, 204) and not body.strip()
    return Check(name, ok, where + ("" if ok else ", expected an empty 200 or 204"))


def _refused(name: str, transport, url: str, form: dict[str, str]) -> Check:
    answer = _attempt(name, transport, "POST", url, form)
    if isinstance(answer, Check):
        return answer
    where, status, _ = answer
    ok = status == 403
    return Check(name, ok, where + ("" if ok else ", expected 403: the line obeys requests Twilio did not sign"))
