"""The webhooks Twilio calls: thin routes over the line's answers (ivr.answers)."""

from __future__ import annotations

import logging
import re
import traceback
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ..config import SIMULATED_NOW
from ..errors import CallStateError
from ..stats import events
from . import recordings, refusals, version
from .form import UnreadableBody, read_form

log = logging.getLogger("ivr.call")
bp = Blueprint("voice", __name__)
TWIML = "text/xml; charset=utf-8"
# Logged only when Twilio signed it, and in the shape it gives them (ASCII digits: \\d takes any script's).
_ERROR_CODE = re.compile(r"[0-9]{1,8}")
EMPTY = str(VoiceResponse())  # a whisper that says nothing: the call is connected at once


def _twiml(document: str | bytes) -> Response:
    return Response(document, content_type=TWIML)


def _line():
    return current_app.extensions["ivr"]


def _refuse():
    # Counted into a summary written once a minute (ivr.line.refusals): never a line per request.
    refusals.note(refusals.REFUSED)
    abort(403)


def _webhook():
    """Read a webhook request once: the line and Twilio's fields; refuse (403, nothing else
    done) a request Twilio did not sign, without reading its body when it carries no signature."""
    line = _line()
    check = line.signature_check
    environ = request.environ  # once: each use of `request` is a context-local lookup
    if check is not None and not check.present(environ):
        _refuse()
    try:
        form = read_form(environ, whole_only=check is not None)
    except UnreadableBody:
        abort(400)
    if check is not None and not (form.complete and check(environ, form.fields)):
        _refuse()
    return line, dict(form.fields)


def _answer(line, fields: dict[str, str], answer) -> Response:
    if fields.get("AccountSid") != events.SIMULATED_ACCOUNT:
        line.count(answer.counts)
    if log.isEnabledFor(logging.INFO):
        log.info("answered %s", answer.where)  # where in the flow, never which call nor who
    return _twiml(answer.document)


def _query() -> str:
    return request.query_string.decode("latin-1")


def _now() -> datetime | None:
    """The instant of a simulated call (the keypad page's clock): a WSGI environ key only a request
    made inside this process can carry (HTTP headers become HTTP_*), never one from the network."""
    now = request.environ.get(SIMULATED_NOW)
    return now if isinstance(now, datetime) else None


@bp.post("/voice")
def voice():
    """Answer a new call."""
    line, fields = _webhook()
    return _answer(line, fields, line.answers.entry)


@bp.post("/voice/key")
def key():
    """Take the keys pressed, the words said, or the silence, at the position in the URL."""
    line, fields = _webhook()
    digits, words = fields.get("Digits", "").strip(), fields.get("SpeechResult", "")
    if not digits and words.strip():  # said, not pressed (never logged, never kept)
        return _answer(line, fields, line.answers.said(_query(), words, fields.get("Confidence", ""), _now()))
    return _answer(line, fields, line.answers.key(_query(), digits, _now()))


@bp.post("/voice/dial")
def dial():
    """Take the end of a transfer (DialCallStatus)."""
    line, fields = _webhook()
    return _answer(line, fields, line.answers.dial(_query(), fields.get("DialCallStatus", ""), _now()))


@bp.post("/voice/whisper")
def whisper():
    """Answer the platform's side of a transfer, before the caller is connected: the route the
    caller chose (IVR_WHISPER=1). Its fields are only checked against the signature: neither read,
    nor counted, nor logged."""
    line, _ = _webhook()
    try:
        answer = line.answers.whisper(_query())
    except CallStateError:  # connect the call all the same, with nothing said
        return _twiml(EMPTY)
    log.info("answered %s", answer.where)
    return _twiml(answer.document)


@bp.post("/voice/fallback")
def fallback():
    """Answer Twilio's fallback URL: put through to the platform and read its number.

    No signature is asked: Twilio falls back when the line fails, a misconfigured proxy (which
    breaks signatures) included; this answer is fixed, public and harmless.
    """
    line = _line()
    check = line.signature_check
    if check is not None and not check.present(request.environ):  # its body is not even read
        refusals.note(refusals.FALLBACK)
        return _twiml(line.answers.fallback.document)
    try:
        form = read_form(request.environ)
    except UnreadableBody:  # the caller still needs this answer
        form = None
    signed = check is None or (
        form is not None and form.complete and check.present(request.environ) and check(request.environ, form.fields)
    )
    if not signed:  # anyone may call it: neither counted nor logged, only summarised
        refusals.note(refusals.FALLBACK)
        return _twiml(line.answers.fallback.document)
    code = dict(form.fields).get("ErrorCode", "") if form is not None else ""
    line.count((events.fallback_key(code),))
    log.warning("fallback URL called (ErrorCode=%s)", code if _ERROR_CODE.fullmatch(code) else "-")
    return _twiml(line.answers.fallback.document)


@bp.post("/voice/status")
def status():
    """Take the end of a call (the number's status callback): signed like every webhook, counted by
    status and duration bucket; nothing of the caller is read."""
    line, fields = _webhook()
    if fields.get("AccountSid") != events.SIMULATED_ACCOUNT:
        line.count((events.ended_key(fields.get("CallStatus", ""), fields.get("CallDuration", "")),))
    return Response(status=204)


@bp.errorhandler(Exception)
def safe_answer(exc: Exception):
    """Turn any fault during a call into the fallback answer, never an HTTP 500."""
    if isinstance(exc, HTTPException) and exc.code in (400, 403):
        # A short answer made here: werkzeug's error page, run as a WSGI app of its own to become a
        # response, cost a stranger's request a third more than a real call.
        return Response(f"{exc.name}\n", exc.code, content_type="text/plain; charset=utf-8")
    if isinstance(exc, HTTPException) and exc.code == 405:
        return exc
    if request.path == "/voice/whisper":  # the platform's side: never dial from it, connect the call
        return _twiml(EMPTY)
    # The type and the code locations only: an exception's text is never logged.
    where = " < ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
        for f in reversed(traceback.extract_tb(exc.__traceback__, limit=-3))
    )
    log.error("fault on %s: %s at %s; answered with the fallback", request.path, type(exc).__name__, where)
    line = _line()
    line.count((events.fault_key(exc),))
    return _twiml(line.answers.fallback.document)


health = Blueprint("health", __name__)


@health.get("/")
@health.get("/healthz")
def healthz():
    """Tell load balancers the line is up, and staff which version is live."""
    flow = _line().flow  # "nodes" as `ivr check` counts them: those written in flow.yaml
    return {
        "status": "ok",
        "nodes": flow.written,
        "nodes_with_councils": len(flow.nodes),
        **current_app.extensions["ivr.version"],
    }


def register(app: Flask) -> None:
    """Attach the webhooks and the health check to an app."""
    app.extensions["ivr.version"] = version.running()  # once, at start-up
    app.register_blueprint(bp)
    app.register_blueprint(health)
    app.register_blueprint(recordings.bp)
