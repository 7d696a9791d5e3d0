"""The browser keypad: try the line from a page, through the same simulated caller as `ivr call`.

The page holds the call: each step sends back the state the last answer gave, so the server
keeps nothing between requests. Requests only ever go into this app (its test client), never
out to the network, signed with the line's token when it has one.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory

from ..config import SIMULATED_NOW
from ..flow.hours import paris_instant
from .player import DIAL_STATUSES, Call, CallError
from .report import place
from .transport import flask_audio_length, flask_transport

keypad = Blueprint("keypad", __name__, static_folder="static/keypad", static_url_path="/simulator/static")
LABELS = {
    "say": "Say",
    "play": "Play",
    "pause": "Pause",
    "gather": "Gather",
    "keys": "Keys",
    "speech": "Speech",
    "silence": "Silence",
    "dial": "Dial",
    "dial-status": "Transfer",
    "whisper": "Whisper",
    "redirect": "Redirect",
    "hangup": "Hangup",
    "end": "End",
    "error": "Error",
    "skipped": "Skipped",
}
PICTURE = "keypad.picture"  # app.extensions[PICTURE]: a function giving the flow's SVG (None: no picture)
# app.extensions[FILES]: (how many times the flow was loaded again, the problems of data/ and prompts/ as
# they are now, () once a good edit clears them); set by `ivr serve`, which watches the files.
FILES = "keypad.files"


@keypad.get("/simulator")
def page():
    """Serve the keypad page."""
    return send_from_directory(keypad.static_folder, "keypad.html")


@keypad.get("/simulator/flow.svg")
def picture():
    """Serve the picture of the flow the app gave, each node's id being `node-<flow node>`."""
    draw = current_app.extensions.get(PICTURE)
    svg = draw() if draw else None
    if svg is None:
        return Response("No picture of the flow here (Graphviz is not installed).", 404, mimetype="text/plain")
    return Response(svg, mimetype="image/svg+xml")


@keypad.get("/simulator/files")
def files():
    """Say how many times the flow was loaded again since the start, and the problems of the files that
    keep the last good flow answering (the lines of `ivr check`)."""
    loaded, problems = current_app.extensions.get(FILES, (0, ()))
    return jsonify(loaded=loaded, problems=list(problems))


def _transport(now: datetime | None = None):
    line = current_app.extensions["ivr"]
    base = (line.settings.public_url or request.host_url).rstrip("/")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy: its stubs hide it
    environ = {SIMULATED_NOW: now} if now is not None else None
    return base, flask_transport(app, line.settings.auth_token, environ), flask_audio_length(app)


def _instant(raw) -> datetime | None:
    """The page's clock: "2026-12-25T03:00" (Paris time, as a datetime-local field gives it), or an
    offset; empty: the line's own clock. Raise ValueError when it is not a date and time."""
    return None if raw in (None, "") else paris_instant(str(raw))


def _fraction(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


@keypad.post("/simulator/step")
def step():
    """Do one thing as the caller (start, keys, words, silence, answer a transfer, hang up) and say what follows."""
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):  # [1, 2], "start", 3: JSON, but not a step
        return jsonify(error='the body is a JSON object, such as {"action": "start"}'), 400
    action = body.get("action")
    confidence = body.get("confidence", 0.9)  # null: no Confidence sent, as Twilio may
    if action == "say" and not (confidence is None or _fraction(confidence)):
        return jsonify(error="the confidence is a number from 0 to 1, or null"), 400
    try:
        now = _instant(body.get("at"))
    except (TypeError, ValueError):
        return jsonify(error='the clock is a date and time such as "2026-12-25T03:00"'), 400
    base, transport, audio_length = _transport(now)
    try:
        if action == "start":
            call = Call(transport, f"{base}/voice", audio_length=audio_length).start()
        else:
            call = Call.resume(transport, body.get("state") or {}, audio_length)
            seen = len(call.events)
            if action == "keys" and call.gather is not None and str(body.get("keys", "")).strip():
                call.press("".join(str(body["keys"]).split()))
            elif action == "say" and call.gather is not None:
                call.say(str(body.get("words", "")), confidence)
            elif action == "silence" and call.gather is not None:
                call.silence()
            elif action == "dial" and call.dial is not None and body.get("status") in DIAL_STATUSES:
                call.answer(body["status"])
            elif action == "hangup":
                call.hang_up()
            else:
                return jsonify(error="this action does not fit what the call is waiting for"), 400
    except CallError as exc:
        return jsonify(error=str(exc)), 400
    new = call.events if action == "start" else call.events[seen:]
    gather, dial = call.gather, call.dial
    waiting = None
    if gather is not None:
        waiting = {
            "kind": "gather",
            "numDigits": gather.num_digits,
            "finishOnKey": gather.finish_on_key,
            "timeout": gather.timeout,
            "speech": gather.speech,
            "hints": list(gather.hints),
        }
    elif dial is not None:
        waiting = {"kind": "dial", "numbers": list(dial.numbers), "timeout": dial.timeout}
    node = place(call) if waiting else None
    where = asdict(current_app.extensions["ivr"].names.node(node)) if node is not None else None  # words, id, known
    return jsonify(
        events=[
            {
                "kind": e.kind,
                "label": LABELS.get(e.kind, e.kind),
                "text": e.text,
                "at": round(e.at, 1),
                "seconds": round(e.seconds, 1),
            }
            for e in new
        ],
        waiting=waiting,
        ended=call.ended,
        error=str(call.error) if call.error else None,
        state=call.snapshot() if waiting else None,
        node=node,
        where=where,
    )
