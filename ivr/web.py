"""The webhooks Twilio calls: thin routes over the call moves and the TwiML renderer."""

from __future__ import annotations

import logging
import traceback

from flask import Blueprint, Flask, Response, abort, current_app, request

from . import call, recordings
from .position import parse_position
from .twiml import Renderer

log = logging.getLogger("ivr.call")
bp = Blueprint("voice", __name__)
TWIML = "text/xml; charset=utf-8"


def _twiml(document: str) -> Response:
    return Response(document, mimetype="text/xml", content_type=TWIML)


def _line():
    return current_app.extensions["ivr"]


@bp.before_request
def check_signature():
    """Refuse, with 403 and nothing else done, a request Twilio did not sign."""
    check = _line().signature_check
    if check is not None and not check(request):
        log.warning("refused unsigned or forged request to %s", request.path)
        abort(403)


def _answer(step) -> Response:
    line = _line()
    sid = request.form.get("CallSid", "-")
    if step is call.HANGUP:
        log.info("call %s ended after the transfer", sid)
        return _twiml(line.renderer.hangup)
    log.info("call %s at %s", sid, step.position.node)
    return _twiml(line.renderer.render(step))


@bp.post("/voice")
def voice():
    """Answer a new call."""
    return _answer(call.start(_line().flow))


@bp.post("/voice/key")
def key():
    """Take the keys pressed (or the silence) at the position in the URL."""
    line = _line()
    pos = parse_position(request.args, line.flow, line.settings.max_tries)
    digits = request.form.get("Digits", "").strip()
    return _answer(call.press(line.flow, pos, digits, line.settings.max_tries))


@bp.post("/voice/dial")
def dial():
    """Take the end of a transfer (DialCallStatus)."""
    line = _line()
    pos = parse_position(request.args, line.flow, line.settings.max_tries)
    return _answer(call.dialled(line.flow, pos, request.form.get("DialCallStatus", "")))


@bp.post("/voice/fallback")
def fallback():
    """Answer Twilio's fallback URL: put through to the platform and read its number."""
    log.warning("fallback URL called (ErrorCode=%s)", request.form.get("ErrorCode", "-")[:16])
    return _twiml(_line().renderer.fallback)


@bp.errorhandler(Exception)
def safe_answer(exc: Exception):
    """Turn any fault during a call into the fallback answer, never an HTTP 500."""
    if getattr(exc, "code", None) in (403, 405):
        return exc
    # The type and the code locations only: an exception's text is never logged.
    where = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                       for f in reversed(traceback.extract_tb(exc.__traceback__, limit=-3)))
    log.error("fault on %s: %s at %s; answered with the fallback", request.path,
              type(exc).__name__, where)
    return _twiml(_line().renderer.fallback)


health = Blueprint("health", __name__)


@health.get("/")
@health.get("/healthz")
def healthz():
    """Tell load balancers the line is up."""
    return {"status": "ok", "nodes": len(_line().flow.nodes)}


def register(app: Flask) -> None:
    """Attach the webhooks and the health check to an app."""
    app.register_blueprint(bp)
    app.register_blueprint(health)
    app.register_blueprint(recordings.bp)


__all__ = ["register", "Renderer"]
