"""The floor: a bare Flask app answering every POST with one fixed TwiML document.

No Flask page under the same gunicorn settings can answer faster. The line's webhooks are served as
plain WSGI in front of Flask (ivr.line.webhooks), so they can: the ratio shows what is left for the
line's own work once gunicorn and gevent are paid. The document is
read once from BENCH_FLOOR_FILE (the bench writes the app's biggest page there, so both answers have
the same size); without it, a short fixed document.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

_path = os.environ.get("BENCH_FLOOR_FILE")
DOCUMENT = (
    Path(_path).read_bytes() if _path else b'<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'
)

app = Flask(__name__)


@app.post("/<path:anything>")
def answer(anything: str) -> Response:
    """Answer with the fixed document."""
    return Response(DOCUMENT, content_type="text/xml; charset=utf-8")


@app.get("/healthz")
def healthz() -> dict:
    """Tell the bench the server is up."""
    return {"status": "ok"}
