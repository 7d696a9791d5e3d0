"""What a forged request costs the line, in one process: refused before the work a real call gets."""

from __future__ import annotations

import io
import logging
import os
import statistics
import time
from urllib.parse import urlencode

from .profile import environ
from .signing import LINE_NUMBER, TOKEN

# The fields Twilio posts on a voice webhook (about 1 kB), with anonymous values.
CALL = {
    "AccountSid": "AC" + "0" * 32,
    "ApiVersion": "2010-04-01",
    "CallSid": "CA" + "0" * 32,
    "CallStatus": "in-progress",
    "Direction": "inbound",
    "Digits": "1",
    "msg": "Gather End",
    "FinishedOnKey": "",
    "CallToken": "%7B%22parentCallInfoToken%22%3A%22" + "e" * 300 + "%22%7D",
    "StirVerstat": "TN-Validation-Passed-A",
    **{
        f"{who}{part}": value
        for who in ("Called", "Caller", "From", "To")
        for part, value in (("", "+33100000000"), ("City", ""), ("Country", "FR"), ("State", ""), ("Zip", ""))
    },
}
FORGED = "Zm9yZ2VkIHNpZ25hdHVyZSE="
REFERENCE = "signed call (reference)"


def _forged(params: dict[str, str], signature: str | None = FORGED) -> dict:
    env = environ("/voice/key?n=welcome", {})
    body = urlencode(params).encode()
    env.update({"_body": body, "CONTENT_LENGTH": str(len(body))})
    if signature is None:
        del env["HTTP_X_TWILIO_SIGNATURE"]
    else:
        env["HTTP_X_TWILIO_SIGNATURE"] = signature
    return env


def requests() -> dict[str, tuple[dict, str]]:
    """Return the requests measured, each with the status it must get."""
    padding = {f"p{i}": "x" for i in range(9000)}  # ~64 kB in ~9 000 fields, as an attacker would send
    from ivr.line.form import MAX_ESCAPES, MAX_FIELDS

    # Just under every cap of ivr.line.form: the most fields and escapes a stranger can make it decode.
    spare = MAX_FIELDS - len(CALL) - 1
    escapes_left = MAX_ESCAPES - urlencode(CALL).count("%") - 10
    under_caps = {f"p{i}": "é" * (escapes_left // 2 // spare) for i in range(spare)}
    return {
        REFERENCE: (environ("/voice/key?n=welcome", CALL), "200"),
        "forged small": (_forged(CALL), "403"),
        "forged 64 kB": (_forged({**CALL, **padding}), "403"),
        "forged just under the caps": (_forged({**CALL, **under_caps}), "403"),
        "unsigned 64 kB": (_forged({**CALL, **padding}, signature=None), "403"),
    }


def _serve(app, env: dict, expected: str) -> None:
    status = []
    b"".join(app({**env, "wsgi.input": io.BytesIO(env["_body"])}, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith(expected):
        raise RuntimeError(f"expected {expected}, got {status[0]}")


def costs(rounds: int = 30, per_round: int = 100) -> dict[str, float]:
    """Return the median microseconds per request of each kind, measured in interleaved rounds.

    The line's log lines are formatted and written, as in production, but to nowhere.
    """
    from ivr import create_app

    app = create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False).wsgi_app
    log = logging.getLogger("ivr")
    with open(os.devnull, "w") as nowhere:
        handler, propagate = logging.StreamHandler(nowhere), log.propagate
        log.addHandler(handler)
        log.propagate = False
        try:
            return _measure(app, rounds, per_round)
        finally:
            log.removeHandler(handler)
            log.propagate = propagate


def _measure(app, rounds: int, per_round: int) -> dict[str, float]:
    cases = requests()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for env, expected in cases.values():  # warm up, and check each gets its status
        _serve(app, env, expected)
    for r in range(rounds):
        for name, (env, expected) in cases.items() if r % 2 == 0 else reversed(cases.items()):
            began = time.perf_counter()
            for _ in range(per_round):
                _serve(app, env, expected)
            samples[name].append((time.perf_counter() - began) / per_round * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}
