"""Find where a webhook's time goes, in one process: each part timed alone, then a sampling profile."""

from __future__ import annotations

import io
import sys
import timeit
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import MultiDict

from ivr.line.form import parse_form

from .signing import LINE_NUMBER, TOKEN, signed_post

HOST = "127.0.0.1:8000"


def environ(path: str, params: dict[str, str]) -> dict:
    """Return a WSGI environ of a signed POST to http://HOST<path>."""
    body, headers = signed_post(f"http://{HOST}{path}", params)
    parts = urlsplit(path)
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": HOST,
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_TWILIO_SIGNATURE": headers["X-Twilio-Signature"],
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "_body": body,
    }


def call_wsgi(app, env: dict) -> bytes:
    """Serve one request through the WSGI interface, as gunicorn would; return the body."""
    env = {**env, "wsgi.input": io.BytesIO(env["_body"])}
    status = []
    chunks = app(env, lambda s, h, e=None: status.append(s))
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    if not status[0].startswith("200"):
        raise RuntimeError(f"{env['PATH_INFO']}: {status[0]}")
    return body


def _us(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def parts(path: str, params: dict[str, str], number: int = 2000) -> dict[str, float]:
    """Return microseconds per request: the whole app, the floor, and each part of the app alone."""
    from flask import request

    from ivr import create_app
    from ivr.flow import moves as call
    from ivr.flow.position import parse_position

    from . import floor_app

    app = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER})
    line = app.extensions["ivr"]
    env = environ(path, params)
    out = {
        "app (whole request)": _us(lambda: call_wsgi(app.wsgi_app, env), number),
        "floor (whole request)": _us(lambda: call_wsgi(floor_app.app.wsgi_app, env), number),
    }
    ctx_env = {**env, "wsgi.input": io.BytesIO(env["_body"])}
    with app.request_context(ctx_env):
        body = env["_body"]
        out["form parsing"] = _us(lambda: parse_form(body.decode("utf-8", "replace")), number)
        params = parse_qsl(body.decode())
        out["signature check"] = _us(lambda: line.signature_check(request.environ, params), number)
        url = f"http://{HOST}{path}"
        sig = env["HTTP_X_TWILIO_SIGNATURE"]
        form = MultiDict(params)
        out["  Twilio's RequestValidator.validate, for comparison"] = _us(
            lambda: line.signature_check.validator.validate(url, form, sig), number
        )
        query, digits = env["QUERY_STRING"], form.get("Digits", "")
        if request.path == "/voice":
            step = call.start(line.flow)
        else:
            out["answer (cached)"] = _us(lambda: line.answers.key(query, digits), number)
            out["answer (first time: position, move, render)"] = _us(
                lambda: line.answers._key(
                    (position := line.answers.position(query)), digits, line.answers.hours(position.node)
                ),
                max(1, number // 10),
            )
            step = call.press(
                line.flow,
                parse_position(dict(parse_qsl(query)), line.flow, line.settings.max_tries),
                digits,
                line.settings.max_tries,
            )
        out["render alone (first time)"] = _us(lambda: line.renderer._render(step), max(1, number // 10))
    return out


def sample(path: str, params: dict[str, str], requests: int = 20000) -> str:
    """Return pyinstrument's flat profile (self time per function) of many requests to one webhook."""
    from pyinstrument import Profiler

    from ivr import create_app

    app = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER})
    env = environ(path, params)
    call_wsgi(app.wsgi_app, env)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(requests):
        call_wsgi(app.wsgi_app, env)
    profiler.stop()
    return profiler.output_text(flat=True, time="percent_of_total")
