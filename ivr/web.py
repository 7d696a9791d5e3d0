"""The webhooks Twilio calls: thin routes over the call moves and the TwiML renderer."""

from __future__ import annotations

import logging
import traceback
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, abort, current_app, request

from . import recordings

log = logging.getLogger("ivr.call")
bp = Blueprint("voice", __name__)
TWIML = "text/xml; charset=utf-8"
PARAMS = "ivr.params"  # where a request's form fields are kept once read
MAX_BODY = 64 * 1024  # Twilio's forms are about 1 kB; more is read no further


def _twiml(document: str | bytes) -> Response:
    return Response(document, content_type=TWIML)


def _line():
    return current_app.extensions["ivr"]


def _params() -> list[tuple[str, str]]:
    """Read Twilio's form fields once per request (a form body; anything else counts as empty)."""
    environ = request.environ
    if PARAMS not in environ:
        params: list[tuple[str, str]] = []
        if request.mimetype == "application/x-www-form-urlencoded":
            try:
                length = min(int(environ.get("CONTENT_LENGTH") or MAX_BODY), MAX_BODY)
            except ValueError:
                length = MAX_BODY
            body = environ["wsgi.input"].read(max(length, 0))
            params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        environ[PARAMS] = params
    return environ[PARAMS]


def _field(name: str) -> str:
    return next((value for key, value in _params() if key == name), "")


@bp.before_request
def check_signature():
    """Refuse, with 403 and nothing else done, a request Twilio did not sign."""
    check = _line().signature_check
    if check is not None and not check(request, _params()):
        log.warning("refused unsigned or forged request to %s", request.path)
        abort(403)


def _answer(answer) -> Response:
    if log.isEnabledFor(logging.INFO):
        log.info("call %s %s", _field("CallSid")[:40] or "-", answer.where)
    return _twiml(answer.document)


def _query() -> str:
    return request.query_string.decode("latin-1")


@bp.post("/voice")
def voice():
    """Answer a new call."""
    return _answer(_line().answers.entry)


@bp.post("/voice/key")
def key():
    """Take the keys pressed (or the silence) at the position in the URL."""
    return _answer(_line().answers.key(_query(), _field("Digits").strip()))


@bp.post("/voice/dial")
def dial():
    """Take the end of a transfer (DialCallStatus)."""
    return _answer(_line().answers.dial(_query(), _field("DialCallStatus")))


@bp.post("/voice/fallback")
def fallback():
    """Answer Twilio's fallback URL: put through to the platform and read its number."""
    log.warning("fallback URL called (ErrorCode=%s)", _field("ErrorCode")[:16] or "-")
    return _twiml(_line().answers.fallback.document)


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
