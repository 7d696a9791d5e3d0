"""Strangers holding connections open (idle, or sending a request slowly) must not silence the line.

Connections are held open on loopback, reopened when the server closes them, while signed calls and
the fallback are timed one at a time, each on a new connection, as Twilio makes them.
"""

from __future__ import annotations

import http.client
import select
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .signing import signed_post

TWILIO_LIMIT_S = 15.0  # Twilio gives up on a webhook after this long
KINDS = ("idle", "slow headers", "slow body")
SLOW_BODIES = ("slow body", "slow fallback body")  # a byte every 4 s of a body promised whole


def _open(host: str, port: int, kind: str) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=5)
    sock.setblocking(False)
    if kind == "slow headers":  # slowloris: a request line, then a header byte now and then
        sock.send(b"POST /voice HTTP/1.1\r\nHost: x\r\n")
    elif kind == "slow body":  # announces 100 bytes, sends 8, with a signature so the body is read
        sock.send(
            b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"X-Twilio-Signature: Zm9yZ2Vk\r\nContent-Length: 100\r\n\r\nCallSid="
        )
    elif kind == "slow fallback body":  # the same to the fallback (without a signature, it reads no body)
        sock.send(
            b"POST /voice/fallback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"X-Twilio-Signature: Zm9yZ2Vk\r\nContent-Length: 100\r\n\r\nErrorCode="
        )
    return sock


@dataclass
class Holder:
    """Keep `count` connections open (as many of each kind) until stopped; reopen closed ones."""

    base: str
    count: int
    kinds: tuple[str, ...] = KINDS
    reopened: int = 0
    socks: list = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Holder:
        parts = urlsplit(self.base)
        self.address = (parts.hostname, parts.port)
        kinds = self.kinds
        self.socks = [[kinds[i % len(kinds)], _open(*self.address, kinds[i % len(kinds)])] for i in range(self.count)]
        self.thread = threading.Thread(target=self._keep, daemon=True)
        self.thread.start()
        return self

    def _keep(self) -> None:
        tick = 0
        while not self._stop.wait(0.5):
            tick += 1
            poll = select.poll()  # not select.select: it stops at file descriptor 1024
            for _, sock in self.socks:
                if sock is not None:
                    poll.register(sock, select.POLLIN)
            readable = {fd for fd, _ in poll.poll(0)}
            for entry in self.socks:
                kind, sock = entry
                try:
                    if sock is None:
                        raise ConnectionError("not open")
                    if sock.fileno() in readable:  # closed, or answered (an error page): the server is done with it
                        raise ConnectionError("closed by the server")
                    if kind == "slow headers" and tick % 4 == 0:
                        sock.send(b"X-a: b\r\n")
                    elif kind in SLOW_BODIES and tick % 8 == 0:
                        sock.send(b"1")
                except OSError:
                    if sock is not None:
                        sock.close()
                    try:
                        entry[1] = _open(*self.address, kind)
                        self.reopened += 1
                    except OSError:
                        entry[1] = None  # tried again at the next turn

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.thread.join()
        for _, sock in self.socks:
            if sock is not None:
                sock.close()


def post(base: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST once on a new connection, as Twilio does; return the status."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TWILIO_LIMIT_S)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def probe(base: str, path: str, params: dict[str, str], signed: bool) -> float:
    """POST once on a new connection; return the seconds to a 200, or raise."""
    body, headers = signed_post(base + path, params)
    if not signed:
        headers.pop("X-Twilio-Signature")
    began = time.perf_counter()
    status = post(base, path, body, headers)
    if status != 200:
        raise RuntimeError(f"HTTP {status}")
    return time.perf_counter() - began


def measure(
    base: str,
    held: int,
    probes: int,
    hooks: dict[str, tuple[str, dict, bool]],
    max_seconds: float = 60.0,
    max_errors: int = 3,
    min_seconds: float = 0.0,
    kinds: tuple[str, ...] = KINDS,
) -> dict[str, dict]:
    """Hold `held` connections of `kinds` open and time at least `probes` requests to each hook, in turn, for at
    least `min_seconds` (long enough for the server to close held connections and see them opened
    again); stop after `max_seconds`, or once a hook has failed `max_errors` times (each failure may
    take 15 s)."""
    times: dict[str, list[float]] = {name: [] for name in hooks}
    errors: dict[str, int] = {name: 0 for name in hooks}
    with Holder(base, held, kinds) as holder:
        time.sleep(1.0)  # let the held connections reach the workers
        began = time.perf_counter()
        done = 0
        while done < probes or time.perf_counter() - began < min_seconds:
            done += 1
            for name, (path, params, signed) in hooks.items():
                try:
                    times[name].append(probe(base, path, params, signed))
                except (OSError, RuntimeError, http.client.HTTPException):
                    errors[name] += 1
            if time.perf_counter() - began > max_seconds or max(errors.values()) >= max_errors:
                break
        reopened = holder.reopened
    out = {}
    for name in hooks:
        ms = sorted(t * 1000 for t in times[name]) or [float("nan")]
        out[name] = {
            "requests": len(times[name]) + errors[name],
            "errors": errors[name],
            "p50_ms": statistics.median(ms),
            "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
            "max_ms": ms[-1],
            "reopened": reopened,
        }
    return out
