"""The Procfile's server against strangers: held connections, broken requests, forged log lines."""

from __future__ import annotations

import re
import socket
import time
import urllib.parse
import urllib.request

import pytest
from twilio.request_validator import RequestValidator

from bench.idle import Holder, probe
from bench.signing import TOKEN as BENCH_TOKEN

from .servers import post_status, wait_until_up
from .test_wsgi import free_port, run_procfile

TOKEN = BENCH_TOKEN  # the held connections and probes of the benchmark sign with it
NUMBER = "+33687654321"
NUMBER_FORMS = [NUMBER, "0687654321", "687654321", "06 87 65 43 21", "87654321", "%2B33687654321"]
EVIL = f"x\nCRITICAL ivr.call: FORGED \x1b[31mred\x1b[0m {NUMBER} 0687654321\r\nWARNING"
EVIL_HEADER = f"FORGED \x1b[31mred {NUMBER} 0687654321"  # a header value cannot hold a newline
CALL = {"CallSid": "CA" + "3" * 32, "From": NUMBER}

# Every line the server may write: gunicorn's own, the access log, the line's messages.
LINE_SHAPES = [
    re.compile(p)
    for p in (
        r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[(INFO|WARNING|DEBUG)\] [ -~]*",
        r"([A-Z]{1,10}|\(other\)) (/[a-z/._-]*|\(other\)) \d{3} (\d+|-) \d+ms",
        r"INFO ivr\.call: answered (at [\w-]+|ended after the transfer|whisper at [\w-]+)",
        r"WARNING ivr\.call: fallback URL called \(ErrorCode=(\d+|-)\)",
        r"WARNING ivr\.call: refused unsigned or forged request to /[a-z/]+",
    )
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    proc = run_procfile(
        {
            "TWILIO_AUTH_TOKEN": TOKEN,
            "IVR_LOG_LEVEL": "INFO",
            "IVR_PROXY_HOPS": "1",
            "TMPDIR": str(tmp_path_factory.mktemp("tmp")),
        },
        port,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base)

    def stop() -> str:
        """Stop the server; return everything it wrote."""
        if proc.poll() is None:
            proc.terminate()
        out, err = proc.communicate(timeout=30)
        return out + err

    yield base, port, stop
    if proc.poll() is None:
        stop()


def _raw(port: int, request: bytes, wait: float = 15.0) -> bytes:
    """Send bytes as they are; return the answer (until the server closes or `wait` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _post(base: str, path: str, form: dict, headers: dict | None = None, signed: bool = True) -> int:
    signature = RequestValidator(TOKEN).compute_signature(base + path, form)
    headers = {**({"X-Twilio-Signature": signature} if signed else {}), **(headers or {})}
    return post_status(base + path, form, headers)


def test_held_connections_do_not_silence_the_line(server):
    base, _, _ = server
    with Holder(base, 60):
        time.sleep(1)
        for _ in range(10):  # each within Twilio's 15 s, or it raises
            probe(base, "/voice", CALL, signed=True)
            probe(base, "/voice/fallback", {"ErrorCode": "11200"}, signed=False)


@pytest.mark.parametrize("sent", [b"", b"POST /voice HTTP/1.1\r\nHost: x\r\n"])
def test_a_connection_that_sends_no_whole_request_is_closed(server, sent):
    """Nothing, or headers that never end: the server hangs up well within Twilio's 15 s."""
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(sent)
        assert sock.recv(100) == b""  # closed (a timeout here raises instead)


def test_a_body_sent_slowly_is_given_up(server):
    _, port, _ = server
    answer = _raw(
        port,
        b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"X-Twilio-Signature: Zm9yZ2Vk\r\nContent-Length: 100\r\n\r\nCallSid=",
    )
    assert _status(answer) == 400


@pytest.mark.parametrize(
    "headers",
    [
        b"Host: 127.0.0.1:abc\r\n",
        b"Host: [::1\r\n",
        b"Host: x\r\nX-Forwarded-Port: abc\r\nX-Forwarded-Proto: https\r\n",
    ],
)
def test_a_request_that_breaks_the_signature_check_is_a_403(server, headers):
    _, port, _ = server
    body = b"CallSid=CA1&Digits=1"
    answer = _raw(
        port,
        b"POST /voice/key?n=welcome HTTP/1.1\r\n"
        + headers
        + b"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: Zm9yZ2Vk\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
    )
    assert _status(answer) == 403


def test_a_malformed_chunked_body_is_a_400(server):
    _, port, _ = server
    answer = _raw(
        port,
        b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"X-Twilio-Signature: Zm9yZ2Vk\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nCallSid=CA\r\n0\r\n\r\n",
    )
    assert _status(answer) == 400


def test_content_type_in_any_case(server):
    base, _, _ = server
    assert (
        _post(
            base, "/voice/key?n=welcome", {**CALL, "Digits": "1"}, {"Content-Type": "Application/X-WWW-Form-Urlencoded"}
        )
        == 200
    )


def test_forged_lines_never_reach_the_logs(server):
    """Newlines, terminal escapes and a number in every field, header and path: each log line stays
    one of the server's own, and none carries the number. Stops the server, to read all it wrote."""
    base, port, stop = server
    form = {
        name: EVIL
        for name in (
            "CallSid",
            "From",
            "Caller",
            "To",
            "Digits",
            "DialCallStatus",
            "ErrorCode",
            "ErrorUrl",
            "AccountSid",
            "CallStatus",
        )
    }
    headers = {
        name: EVIL_HEADER
        for name in (
            "User-Agent",
            "Referer",
            "X-Forwarded-For",
            "X-Request-Id",
            "I-Twilio-Idempotency-Token",
            "X-Forwarded-Host",
        )
    }
    quoted = urllib.parse.quote(EVIL, safe="")
    for path in (
        "/voice",
        "/voice/key?n=welcome",
        "/voice/dial?n=listening_team&t=welcome",
        "/voice/fallback",
        f"/voice/key?n=welcome&{quoted}={quoted}",
        f"/voice/{quoted}",
        f"/{quoted}",
        f"/audio/{quoted}.wav",
        f"/simulator/static/{quoted}",
    ):
        _post(base, path, form, headers, signed=True)
        _post(base, path, form, headers, signed=False)
        _post(base, path, {**form, "CallSid": "CA" + "4" * 32})
    _raw(port, b"POST /voice?\x1b[31m" + NUMBER.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n", wait=3)
    _raw(port, b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Evil: \x1b[31m" + NUMBER.encode() + b"\r\n\r\n", wait=3)
    _raw(port, b"POST /" + NUMBER.encode() + b"\n" + b"CRITICAL FORGED HTTP/1.1\r\nHost: x\r\n\r\n", wait=3)
    time.sleep(0.5)
    logs = stop()
    assert "POST /voice/key 200" in logs and "fallback URL called (ErrorCode=-)" in logs, "the logs were read"
    assert "answered at welcome" in logs and "CA4444" not in logs, "where, never which call"
    lines = logs.splitlines()
    odd = [line for line in lines if not any(shape.fullmatch(line) for shape in LINE_SHAPES)]
    assert odd == []
    assert not [line for line in lines if "\x1b" in line or "FORGED" in line]
    assert not [line for line in lines for form in NUMBER_FORMS if form in line]
