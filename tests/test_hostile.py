"""The Procfile's server against strangers: held connections, slow bodies, broken requests, forged log
lines and counts, password guessing, bodies of the wrong shape."""

from __future__ import annotations

import base64
import json
import re
import select
import socket
import time
import urllib.parse
import urllib.request

import pytest
from twilio.request_validator import RequestValidator

from bench.idle import Holder, probe
from bench.signing import TOKEN as BENCH_TOKEN
from ivr.line.deadline import READ_SECONDS

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
        r"WARNING ivr\.call: not signed by Twilio in the last \d+ s: \d+ refused, \d+ fallback answered",
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


SLOW_BODIES = {
    "/voice": b"X-Twilio-Signature: Zm9yZ2Vk\r\n",  # a signature, so the body is read
    "/voice/fallback": b"X-Twilio-Signature: Zm9yZ2Vk\r\n",
}


def test_bodies_trickling_in_are_cut_at_the_deadline_and_the_line_answers(server):
    """300 bodies promised whole and sent a byte a second (each read well within gunicorn's 5 s per
    read): every connection is closed by the server within the deadline, headers and body together,
    while Twilio's calls and the fallback are answered."""
    base, port, _ = server
    socks = []
    for i in range(300):
        path = list(SLOW_BODIES)[i % 2]
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n".encode()
            + SLOW_BODIES[path]
            + b"Content-Length: 100\r\n\r\nX="
        )
        socks.append(sock)
    began, open_ = time.monotonic(), set(socks)
    try:
        while open_ and time.monotonic() - began < READ_SECONDS + 5:
            for sock in list(open_):
                try:
                    sock.send(b"1")
                except OSError:
                    open_.discard(sock)
            readable, _, _ = select.select(list(open_)[:500], [], [], 1.0)
            open_ -= set(readable)  # answered or closed: the server is done with it
            probe(base, "/voice", CALL, signed=True)  # within Twilio's 15 s, or it raises
            probe(base, "/voice/fallback", {"ErrorCode": "11200"}, signed=False)
        assert open_ == set(), f"{len(open_)} connections still held {READ_SECONDS + 5:g} s after they opened"
    finally:
        for sock in socks:
            sock.close()


def test_an_unsigned_fallback_is_answered_without_waiting_for_its_body(server):
    """Without a signature the fallback reads no body: a promised body that never comes holds nothing."""
    _, port, _ = server
    began = time.monotonic()
    answer = _raw(
        port,
        b"POST /voice/fallback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100\r\n\r\nErrorCode=",
    )
    assert _status(answer) == 200 and time.monotonic() - began < READ_SECONDS


def test_the_longest_speech_is_answered_over_http(server):
    """What Twilio sends after a long sentence said: 1 250 words, 2 500 escapes, signed."""
    base, _, _ = server
    form = {**CALL, "SpeechResult": "médecin " * 1250, "Confidence": "0.9"}
    assert _post(base, "/voice/key?n=welcome", form) == 200


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
    summaries = [line for line in lines if "not signed by Twilio" in line]
    assert len(summaries) == 1, "one summary a minute at most, written when the worker stops"


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory):
    """The Procfile's server with the statistics page and the keypad on."""
    port = free_port()
    tmp = tmp_path_factory.mktemp("staff")
    proc = run_procfile(
        {
            "TWILIO_AUTH_TOKEN": TOKEN,
            "IVR_STATS_PASSWORD": "s3cret-staff",
            "IVR_STATS_URL": f"sqlite:///{tmp / 'stats.sqlite3'}",
            "IVR_SIMULATOR": "1",
            "TMPDIR": str(tmp),
        },
        port,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base)
    yield base, proc
    if proc.poll() is None:
        proc.terminate()
        proc.communicate(timeout=30)


def _get_stats(base: str, password: str) -> int:
    auth = base64.b64encode(f"staff:{password}".encode()).decode()
    request = urllib.request.Request(base + "/stats", headers={"Authorization": f"Basic {auth}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.parametrize("body", [b"[1,2]", b'"start"', b"3", b'{"action": "keys", "state": [1]}', b"{"])
def test_the_keypad_answers_400_to_a_body_of_the_wrong_shape(staff_server, body):
    base, _ = staff_server
    request = urllib.request.Request(
        base + "/simulator/step", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=15)
    assert refused.value.code == 400 and set(json.loads(refused.value.read())) == {"error"}


def test_guessing_the_stats_password_is_locked_out(staff_server):
    base, proc = staff_server
    statuses = [_get_stats(base, f"guess{i}") for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    assert _get_stats(base, "s3cret-staff") == 429, "locked out, even with the password"
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    locks = [line for line in (out + err).splitlines() if "/stats locked" in line]
    assert len(locks) == 1, "one line per lockout"
    shape = re.fullmatch(
        r"WARNING ivr\.stats: /stats locked for one client after 5 wrong passwords, for (\d+) s", locks[0]
    )
    assert shape and 15 * 60 - 30 <= int(shape[1]) <= 15 * 60 + 1, "for the rest of the 15 minutes"
