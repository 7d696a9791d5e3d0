"""Play complete calls concurrently against a server, following the TwiML as Twilio would."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from .signing import signed_post


@dataclass(frozen=True)
class Script:
    """One caller: the keys pressed at each prompt ("" is silence), where the call must end, and
    the transfer's outcome when it ends in one."""

    name: str
    keys: tuple[str, ...]
    end: str  # the node of the last answer: a read-out, or a transfer ("": any end but a fault)
    dial_status: str = "completed"


def scripts(flow) -> list[Script]:
    """Return every kind of call of a flow: the shortest keys to each read-out and transfer (a transfer
    answered, and one nobody answers), a wrong key first, and a caller who presses nothing."""
    from ivr.flow.model import Menu

    from .routes import first_readout, routes, transfer_failure

    out = []
    for route in routes(flow).values():
        failure = transfer_failure(flow, route.end)
        out.append(Script(f"to {route.end}", route.keys, route.end))
        if failure:
            out.append(Script(f"to {route.end}, nobody answers", route.keys, failure, dial_status="no-answer"))
    entry = flow.nodes[flow.entry]
    if isinstance(entry, Menu):
        wrong = next(k for k in "987654321" if entry.option(k) is None)
        route = first_readout(flow)
        out.append(Script(f"wrong key, then to {route.end}", (wrong, *route.keys), route.end))
    out.append(Script("silence", ("",), ""))
    return out


@dataclass
class Stats:
    """Latencies per webhook path, and every error."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, seconds: float) -> None:
        with self.lock:
            self.latencies[path].append(seconds)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


class CallError(Exception):
    """A call did not go as the script says."""


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Caller:
    """One phone line: a keep-alive-free HTTP connection per request, as Twilio opens them."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base = base
        self.host, self.port = urlsplit(base).hostname, urlsplit(base).port
        self.stats = stats

    def post(self, path: str, params: dict[str, str]) -> ET.Element:
        """POST signed params to a path; return the parsed TwiML."""
        body, headers = signed_post(self.base + path, params)
        began = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except OSError as exc:
            raise CallError(f"socket: {type(exc).__name__}") from None
        finally:
            conn.close()
        self.stats.add(urlsplit(path).path, time.perf_counter() - began)
        if response.status != 200:
            raise CallError(f"HTTP {response.status}")
        try:
            return ET.fromstring(data)
        except ET.ParseError:
            raise CallError("not XML") from None

    def play(self, script: Script, sid: str) -> None:
        """Play one call to its end; raise CallError when it strays from the script."""
        base = {"CallSid": sid, "AccountSid": "ACbench", "From": "anonymous", "CallStatus": "in-progress"}
        doc = self.post("/voice", base)
        for key in script.keys:
            gather, redirect = doc.find("Gather"), doc.find("Redirect")
            if gather is None or redirect is None:
                if script.end:
                    raise CallError("no keypad prompt where the script presses a key")
                break  # a silent caller put through at once
            if key:
                doc = self.post(gather.get("action"), {**base, "Digits": key})
            else:  # silence: Twilio follows the Redirect after the Gather
                doc = self.post(redirect.text, base)
        dial = doc.find("Dial")
        if dial is not None:
            action = dial.get("action")
            if action is None:
                raise CallError("fallback answer (a fault in the app)")
            node = parse_qs(urlsplit(action).query)["n"][0]
            doc = self.post(action, {**base, "DialCallStatus": script.dial_status})
            while script.dial_status != "completed" and doc.find("Dial") is not None:  # tried again
                doc = self.post(doc.find("Dial").get("action"), {**base, "DialCallStatus": script.dial_status})
            if script.dial_status == "completed":
                if doc.find("Hangup") is None:
                    raise CallError("no hang-up after an answered transfer")
                ended = node
            else:
                ended = parse_qs(urlsplit(doc.find("Gather").get("action")).query)["n"][0]
        else:
            gather = doc.find("Gather")
            if gather is None:
                raise CallError("neither a transfer nor a keypad prompt")
            ended = parse_qs(urlsplit(gather.get("action")).query)["n"][0]
        if script.end and ended != script.end:
            raise CallError(f"ended at {ended}, not {script.end}")


def drive(base: str, plays: list[Script], calls: int, concurrency: int, max_seconds: float) -> dict:
    """Play up to `calls` calls, `concurrency` at a time, for at most max_seconds; return the figures."""
    stats = Stats()
    counter = iter(range(calls))
    counter_lock = threading.Lock()
    deadline = time.perf_counter() + max_seconds

    def line(n: int) -> None:
        caller = Caller(base, stats)
        while time.perf_counter() < deadline:
            with counter_lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                caller.play(plays[i % len(plays)], f"CAbench{n:02d}{i:08d}")
            except CallError as exc:
                stats.error(str(exc))
            except Exception as exc:  # a malformed answer (missing attribute): count it, go on
                stats.error(f"malformed answer: {type(exc).__name__}")
            with stats.lock:
                stats.calls += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=line, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    requests = sum(len(v) for v in stats.latencies.values())
    return {
        "calls": stats.calls,
        "requests": requests,
        "seconds": elapsed,
        "concurrency": concurrency,
        "calls_per_s": stats.calls / elapsed,
        "requests_per_s": requests / elapsed,
        "errors": dict(stats.errors),
        "error_count": sum(stats.errors.values()),
        "paths": {
            path: {"requests": len(v), "p50_ms": statistics.median(v) * 1000, "p99_ms": percentile(v, 99) * 1000}
            for path, v in sorted(stats.latencies.items())
        },
    }


def crawl(base: str, max_requests: int, max_seconds: float, keys: str = "123456789") -> dict:
    """Visit every page reachable from /voice by the keys (each position once), within bounds."""
    stats = Stats()
    caller = Caller(base, stats)
    params = {"CallSid": "CAbenchcrawl", "AccountSid": "ACbench", "From": "anonymous"}
    deadline = time.perf_counter() + max_seconds
    seen: set[str] = set()
    todo = [caller.post("/voice", params)]
    requests = 1
    while todo and requests < max_requests and time.perf_counter() < deadline:
        gather = todo.pop().find("Gather")
        action = gather.get("action") if gather is not None else None
        if action is None or action in seen:
            continue
        seen.add(action)
        for key in keys:
            try:
                todo.append(caller.post(action, {**params, "Digits": key}))
            except CallError as exc:
                stats.error(str(exc))
            requests += 1
    return {"pages": len(seen), "requests": requests, "errors": sum(stats.errors.values())}
