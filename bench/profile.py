"""Find where a webhook's time goes, in one process: each part timed alone, then a sampling profile."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import sys
import timeit
from urllib.parse import urlsplit

from .signing import TOKEN, signed_post

HOST = "127.0.0.1:8000"


def environ(path: str, params: dict[str, str]) -> dict:
    """Return a WSGI environ of a signed POST to http://HOST<path>."""
    body, headers = signed_post(f"http://{HOST}{path}", params)
    parts = urlsplit(path)
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": HOST,
        "CONTENT_TYPE": headers["Content-Type"], "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_TWILIO_SIGNATURE": headers["X-Twilio-Signature"], "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
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


class OneHmacCheck:
    """A sketch of a cheaper signature check: one HMAC for the URL as received, compared in constant time;
    the other spelling of the port only when that fails (Twilio's validator always computes both)."""

    def __init__(self, token: str, public_url: str | None = None) -> None:
        self.token = token.encode()
        self.public_url = public_url

    def _sign(self, url: str, form) -> str:
        data = url + "".join(k + v for k in sorted(form) for v in sorted(form.getlist(k)))
        return base64.b64encode(hmac.new(self.token, data.encode(), hashlib.sha1).digest()).decode()

    def __call__(self, request) -> bool:
        from ivr.security import SIGNATURE_HEADER, signed_url

        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return False
        url = signed_url(request, self.public_url)
        if hmac.compare_digest(self._sign(url, request.form), signature):
            return True
        parts = urlsplit(url)
        default = 443 if parts.scheme == "https" else 80
        netloc = parts.hostname if parts.port else f"{parts.hostname}:{default}"
        return hmac.compare_digest(self._sign(parts._replace(netloc=netloc).geturl(), request.form), signature)


def parts(path: str, params: dict[str, str], number: int = 2000) -> dict[str, float]:
    """Return microseconds per request: the whole app, the floor, and each part of the app alone."""
    from flask import request

    from ivr import call, create_app
    from ivr.position import parse_position

    from . import floor_app

    app = create_app({"auth_token": TOKEN})
    line = app.extensions["ivr"]
    env = environ(path, params)
    out = {"app (whole request)": _us(lambda: call_wsgi(app.wsgi_app, env), number),
           "floor (whole request)": _us(lambda: call_wsgi(floor_app.app.wsgi_app, env), number)}
    ctx_env = {**env, "wsgi.input": io.BytesIO(env["_body"])}
    with app.request_context(ctx_env):
        form = request.form.copy()
        out["form parsing"] = _us(lambda: app.request_class({**env, "wsgi.input": io.BytesIO(env["_body"])}).form,
                                  number)
        out["signature check"] = _us(lambda: line.signature_check(request), number)
        url = f"http://{HOST}{path}"
        sig = env["HTTP_X_TWILIO_SIGNATURE"]
        out["  of which RequestValidator.validate"] = _us(lambda: line.signature_check.validator.validate(
            url, form, sig), number)
        if request.path == "/voice":
            out["call move"] = _us(lambda: call.start(line.flow), number)
            step = call.start(line.flow)
        else:
            pos = parse_position(request.args, line.flow, line.settings.max_tries)
            out["position parsing"] = _us(lambda: parse_position(request.args, line.flow, line.settings.max_tries),
                                          number)
            digits = form.get("Digits", "")
            out["call move"] = _us(lambda: call.press(line.flow, pos, digits, line.settings.max_tries), number)
            step = call.press(line.flow, pos, digits, line.settings.max_tries)
        line.renderer.render(step)
        out["render (cached)"] = _us(lambda: line.renderer.render(step), number)
        out["render (first time)"] = _us(lambda: line.renderer._render(step), max(1, number // 10))
    # What if: the same app with the one-HMAC check (the Line is frozen: set the field as its build does).
    object.__setattr__(line, "signature_check", OneHmacCheck(TOKEN, line.settings.public_url))
    out["app, with a one-HMAC signature check (sketch)"] = _us(lambda: call_wsgi(app.wsgi_app, env), number)
    return out


def sample(path: str, params: dict[str, str], requests: int = 20000) -> str:
    """Return pyinstrument's flat profile (self time per function) of many requests to one webhook."""
    from pyinstrument import Profiler

    from ivr import create_app

    app = create_app({"auth_token": TOKEN})
    env = environ(path, params)
    call_wsgi(app.wsgi_app, env)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(requests):
        call_wsgi(app.wsgi_app, env)
    profiler.stop()
    return profiler.output_text(flat=True, time="percent_of_total")
