"""The webhooks Twilio calls: thin handlers over the line's answers (ivr.line.answers), served as plain
WSGI in front of the Flask app.

Twilio waits for each of them before the caller hears anything, so they skip what Flask does for a
page (its request context, URL map, Response object): a Twilio-shaped request takes 10 to 14 µs in
one process this way, 52 to 62 through Flask, whose own bare page costs 37 (bench/profile.py,
2026-11-29; docs/performance.md). Everything else (the health check, the recordings, /stats, the
keypad page) is Flask's. The app's ProxyFix wraps this layer, so signatures are checked against the forwarded URL.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, current_app
from twilio.twiml.voice_response import VoiceResponse

from ..config import SIMULATED_NOW
from ..errors import CallStateError
from ..stats import events
from . import recordings, refusals, version
from .form import UnreadableBody, read_form

log = logging.getLogger("ivr.call")
TWIML = "text/xml; charset=utf-8"
# Logged only when Twilio signed it, and in the shape it gives them (ASCII digits: \\d takes any script's).
_ERROR_CODE = re.compile(r"[0-9]{1,8}")
EMPTY = str(VoiceResponse()).encode()  # a whisper that says nothing: the call is connected at once
OK, NO_CONTENT = "200 OK", "204 No Content"
_REFUSALS = {
    400: ("400 Bad Request", b"Bad Request\n"),
    403: ("403 Forbidden", b"Forbidden\n"),
    405: ("405 Method Not Allowed", b"Method Not Allowed\n"),
}

Reply = tuple[str, bytes]  # the status line and a TwiML body (or none, with 204)
Environ = MutableMapping[str, Any]


class Refused(Exception):
    """A request answered with a short refusal (400, 403) and nothing else done."""

    def __init__(self, code: int) -> None:
        self.code = code


def _refuse() -> Refused:
    # Counted into a summary written once a minute (ivr.line.refusals): never a line per request.
    refusals.note(refusals.REFUSED)
    return Refused(403)


def _webhook(line, environ: Environ) -> dict[str, str]:
    """Read a webhook request once: Twilio's fields; refuse (403, nothing else done) a request Twilio
    did not sign, without reading its body when it carries no signature."""
    check = line.signature_check
    if check is not None and not check.present(environ):
        raise _refuse()
    try:
        form = read_form(environ, whole_only=check is not None)
    except UnreadableBody:
        raise Refused(400) from None
    if check is not None and not (form.complete and check(environ, form.fields)):
        raise _refuse()
    return dict(form.fields)


def _answer(line, fields: dict[str, str], answer) -> Reply:
    if fields.get("AccountSid") != events.SIMULATED_ACCOUNT:
        line.count(answer.counts)
    if log.isEnabledFor(logging.INFO):
        log.info("answered %s", answer.where)  # where in the flow, never which call nor who
    return OK, answer.document


def _query(environ: Environ) -> str:
    # As werkzeug reads it: the server's latin-1 string of the raw bytes, still %-escaped.
    return environ.get("QUERY_STRING", "")


def _now(environ: Environ) -> datetime | None:
    """The instant of a simulated call (the keypad page's clock): a WSGI environ key only a request
    made inside this process can carry (HTTP headers become HTTP_*), never one from the network."""
    now = environ.get(SIMULATED_NOW)
    return now if isinstance(now, datetime) else None


def voice(line, environ: Environ) -> Reply:
    """Answer a new call."""
    return _answer(line, _webhook(line, environ), line.answers.entry)


def key(line, environ: Environ) -> Reply:
    """Take the keys pressed, the words said, or the silence, at the position in the URL."""
    fields = _webhook(line, environ)
    query, now = _query(environ), _now(environ)
    digits, words = fields.get("Digits", "").strip(), fields.get("SpeechResult", "")
    if not digits and words.strip():  # said, not pressed (never logged, never kept)
        return _answer(line, fields, line.answers.said(query, words, fields.get("Confidence", ""), now))
    return _answer(line, fields, line.answers.key(query, digits, now))


def dial(line, environ: Environ) -> Reply:
    """Take the end of a transfer (DialCallStatus)."""
    fields = _webhook(line, environ)
    return _answer(line, fields, line.answers.dial(_query(environ), fields.get("DialCallStatus", ""), _now(environ)))


def whisper(line, environ: Environ) -> Reply:
    """Answer the platform's side of a transfer, before the caller is connected: the route the
    caller chose (IVR_WHISPER=1). Its fields are only checked against the signature: neither read,
    nor counted, nor logged."""
    _webhook(line, environ)
    try:
        answer = line.answers.whisper(_query(environ))
    except CallStateError:  # connect the call all the same, with nothing said
        return OK, EMPTY
    log.info("answered %s", answer.where)
    return OK, answer.document


def fallback(line, environ: Environ) -> Reply:
    """Answer Twilio's fallback URL: put through to the first ear (the line for every caller) and read its number.

    No signature is asked: Twilio falls back when the line fails, a misconfigured proxy (which
    breaks signatures) included; this answer is fixed, public and harmless.
    """
    check = line.signature_check
    if check is not None and not check.present(environ):  # its body is not even read
        refusals.note(refusals.FALLBACK)
        return OK, line.answers.fallback.document
    try:
        form = read_form(environ)
    except UnreadableBody:  # the caller still needs this answer
        form = None
    signed = check is None or (form is not None and form.complete and check(environ, form.fields))
    if not signed:  # anyone may call it: neither counted nor logged, only summarised
        refusals.note(refusals.FALLBACK)
        return OK, line.answers.fallback.document
    code = dict(form.fields).get("ErrorCode", "") if form is not None else ""
    line.count((events.fallback_key(code),))
    log.warning("fallback URL called (ErrorCode=%s)", code if _ERROR_CODE.fullmatch(code) else "-")
    return OK, line.answers.fallback.document


def status(line, environ: Environ) -> Reply:
    """Take the end of a call (the number's status callback): signed like every webhook, counted by
    status and duration bucket; nothing of the caller is read."""
    fields = _webhook(line, environ)
    if fields.get("AccountSid") != events.SIMULATED_ACCOUNT:
        line.count((events.ended_key(fields.get("CallStatus", ""), fields.get("CallDuration", "")),))
    return NO_CONTENT, b""


ROUTES: dict[str, Callable[..., Reply]] = {
    "/voice": voice,
    "/voice/key": key,
    "/voice/dial": dial,
    "/voice/whisper": whisper,
    "/voice/fallback": fallback,
    "/voice/status": status,
}


def fault(line, path: str, exc: Exception) -> Reply:
    """Turn any fault during a call into the fallback answer, never an HTTP 500."""
    if path == "/voice/whisper":  # the platform's side: never dial from it, connect the call
        return OK, EMPTY
    # The type and the code locations only: an exception's text is never logged.
    where = " < ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
        for f in reversed(traceback.extract_tb(exc.__traceback__, limit=-3))
    )
    log.error("fault on %s: %s at %s; answered with the fallback", path, type(exc).__name__, where)
    try:
        line.count((events.fault_key(exc),))
    except Exception:  # the statistics never keep the caller from this answer
        log.error("fault on %s: not counted", path)
    return OK, line.answers.fallback.document


class Webhooks:
    """The WSGI app in front of Flask's: a POST to one of ROUTES is answered here, any other method
    there gets 405, and every other path goes on to `app`. The line is read from `extensions` at
    each request, so a reloaded flow (ivr.app.reload) answers the next one."""

    def __init__(self, app: Callable, extensions: dict) -> None:
        self.app, self.extensions = app, extensions

    def __call__(self, environ: Environ, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        handler = ROUTES.get(path)
        if handler is None:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return _refused(start_response, 405, [("Allow", "POST")])
        line = self.extensions["ivr"]
        try:
            status_line, body = handler(line, environ)
        except Refused as refused:
            return _refused(start_response, refused.code)
        except Exception as exc:
            status_line, body = fault(line, path, exc)
        if not body:  # the status callback's 204: no body, no header
            start_response(status_line, [])
            return []
        start_response(status_line, [("Content-Type", TWIML), ("Content-Length", str(len(body)))])
        return [body]


def _refused(start_response: Callable, code: int, extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    # A short answer made here: werkzeug's error page cost a stranger's request a third more than a call.
    status_line, body = _REFUSALS[code]
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status_line, headers + (extra or []))
    return [body]


health = Blueprint("health", __name__)


@health.get("/")
@health.get("/healthz")
def healthz():
    """Tell load balancers the line is up, and staff which version is live."""
    flow = current_app.extensions["ivr"].flow  # "nodes" as `ivr check` counts them: those written in flow.yaml
    return {
        "status": "ok",
        "nodes": flow.written,
        "nodes_with_councils": len(flow.nodes),
        **current_app.extensions["ivr.version"],
    }


def register(app: Flask) -> None:
    """Attach the webhooks (in front of the app's WSGI callable), the health check and the recordings.

    Call it before any middleware that must see requests first (ProxyFix)."""
    app.extensions["ivr.version"] = version.running()  # once, at start-up
    app.register_blueprint(health)
    app.register_blueprint(recordings.bp)
    app.wsgi_app = Webhooks(app.wsgi_app, app.extensions)  # type: ignore[method-assign]  # Flask's middleware idiom
