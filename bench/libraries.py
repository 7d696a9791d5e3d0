"""The line's own security code against the libraries made for it: what each costs per request.

The signature check (ivr.line.signature) and the form reader (ivr.line.form) stay the line's own only
while the library's costs more than LIBRARY_SHARE of a request: measured here, in one process, and
against the server's CPU time per request on the Procfile's server (wrk, Twilio-shaped requests).
"""

from __future__ import annotations

import io
import os
import statistics
import timeit
from pathlib import Path

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from . import servers, wrk
from .profile import HOST, call_wsgi, environ
from .signing import LINE_NUMBER, TOKEN

LIBRARY_SHARE = 0.05


def _us(fn, number: int = 5000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_us(path: str, params: dict[str, str], seconds: float = 5.0, connections: int = 16) -> float:
    """Return the Procfile's workers' CPU time per request (µs), under wrk's load of one webhook."""
    with servers.app_server() as app:
        wrk.run(app.base, path, params, 1, connections)
        pids = app.workers()
        before = _cpu_seconds(pids)
        result = wrk.run(app.base, path, params, seconds, connections)
        return (_cpu_seconds(pids) - before) / result.requests * 1e6


def costs(path: str, params: dict[str, str]) -> dict[str, float]:
    """Return µs per request: the whole WSGI call, and each check, the line's and the library's."""
    from ivr import create_app
    from ivr.line.form import MAX_BODY, read_form

    app = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False)
    check = app.extensions["ivr"].signature_check
    env = environ(path, params)
    body = env["_body"]
    fields = read_form({**env, "wsgi.input": io.BytesIO(body)}).fields
    url, signature = f"http://{HOST}{path}", env["HTTP_X_TWILIO_SIGNATURE"]
    if not check.validator.validate(url, MultiDict(fields), signature):
        raise RuntimeError("Twilio's validator refuses the bench's request")

    def werkzeug_form():
        request = Request({**env, "wsgi.input": io.BytesIO(body)})
        request.max_content_length = request.max_form_memory_size = MAX_BODY
        request.max_form_parts = 64
        return request.form

    return {
        "whole request (WSGI call)": _us(lambda: call_wsgi(app.wsgi_app, env)),
        "signature: the line's (ivr.line.signature)": _us(lambda: check(env, fields)),
        "signature: twilio's RequestValidator.validate": _us(
            lambda: check.validator.validate(url, MultiDict(fields), signature)
        ),
        "form: the line's (ivr.line.form.read_form)": _us(
            lambda: read_form({**env, "wsgi.input": io.BytesIO(body)}, whole_only=True)
        ),
        "form: werkzeug's request.form, with its limits": _us(werkzeug_form),
    }


def table(path: str, params: dict[str, str]) -> dict[str, float]:
    """Print the costs, and the library's extra cost as a share of the server's CPU time per request."""
    cost = costs(path, params)
    cpu = statistics.median(server_cpu_us(path, params) for _ in range(3))
    print(
        f"\n## The line's security code against the libraries' (Twilio-shaped request to {path}; µs per request, "
        "one process; share: the library's extra cost over the Procfile's workers' CPU time per request, "
        f"{cpu:.0f} µs)\n"
    )
    print("| part | µs | share of a request |")
    print("| --- | ---: | ---: |")
    for name, us in cost.items():
        print(f"| {name} | {us:.1f} | {us / cpu:.1%} |")
    extra = {
        "signature": cost["signature: twilio's RequestValidator.validate"]
        - cost["signature: the line's (ivr.line.signature)"],
        "form": cost["form: werkzeug's request.form, with its limits"]
        - cost["form: the line's (ivr.line.form.read_form)"],
    }
    print()
    for name, us in extra.items():
        share = us / cpu
        print(
            f"- {name}: the library costs {us:+.1f} µs a request, {share:+.1%} of the server's CPU time: "
            f"{'keep the line own' if share > LIBRARY_SHARE else 'use the library'} (limit {LIBRARY_SHARE:.0%})."
        )
    return {**cost, "server CPU µs per request": cpu, **{f"extra {k}": v for k, v in extra.items()}}
