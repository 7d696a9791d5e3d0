"""Build a line that counts into a test database, play calls, read the counters back."""

from __future__ import annotations

import threading
from collections import Counter

from ivr import create_app

OPEN = []  # the recorders of the apps built by a test, closed after it (tests/stats/conftest.py)


def counting_app(db_url: str, **settings):
    """An app (development mode) counting into `db_url`."""
    app = create_app({"stats_url": db_url, **settings}, dev=True)
    OPEN.append(app.extensions["ivr.stats"])
    return app


def close_all() -> None:
    """Stop every recorder a test started, write what is left, and close its connections."""
    while OPEN:
        recorder = OPEN.pop()
        recorder.close()
        recorder.store.dispose()


def flushed(app) -> Counter:
    """Write the app's counts, then return every counter summed over hours: (event, subject, outcome) -> n."""
    recorder = app.extensions["ivr.stats"]
    assert recorder.flush()
    totals: Counter = Counter()
    for row in recorder.store.rows():
        totals[(row.event, row.subject, row.outcome)] += row.count
    return totals


class Served:
    """The Procfile's server, its output read as it comes (a full pipe would stall it)."""

    def __init__(self, env: dict, port: int) -> None:
        import threading

        from tests.servers import wait_until_up
        from tests.test_wsgi import run_procfile

        self.base = f"http://127.0.0.1:{port}"
        self.proc = run_procfile(env, port)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=lambda s=stream, to=sink: to.extend(s), daemon=True)
            for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()
        wait_until_up(_Started(self.proc, self.err), self.base)

    def stop(self) -> str:
        """Stop the server as a host does (SIGTERM); return its error output, once it has exited."""
        self.proc.terminate()
        self.proc.wait(timeout=90)
        self.close()
        assert self.proc.returncode == 0, self.stderr
        return self.stderr

    def close(self) -> None:
        """Kill the server if it still runs; close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()

    @property
    def stderr(self) -> str:
        return "".join(self.err)


class _Started:
    """What wait_until_up reads of a process: whether it ended, and its error output."""

    def __init__(self, proc, err: list[str]) -> None:
        self.poll, self.stderr = proc.poll, _Text(err)


class _Text:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def read(self) -> str:
        return "".join(self.lines)


def timed_calls(base: str, token: str, seconds: float, keys=("1", "3")) -> tuple[int, float]:
    """Make counted calls one after the other for `seconds`; return how many, and the longest request."""
    import gc
    import time

    from ivr.simulator.player import Call
    from ivr.simulator.transport import http_transport
    from ivr.stats.events import COUNTED_SIMULATION

    send = http_transport(token)
    longest = 0.0

    def timed(method, url, form):
        nonlocal longest
        start = time.perf_counter()
        try:
            return send(method, url, form)
        finally:
            longest = max(longest, time.perf_counter() - start)

    calls = 0
    deadline = time.monotonic() + seconds
    gc.disable()  # the server's time, not a pause of this process's collector (after many tests)
    try:
        while time.monotonic() < deadline:
            call = Call(timed, f"{base}/voice", caller="+33687654321")
            call.account = COUNTED_SIMULATION
            call.start()
            for key in keys:
                call.act(key)
            call.hang_up()
            assert call.error is None, call.error
            calls += 1
    finally:
        gc.enable()
    return calls, longest


def hang_writes(store) -> tuple[threading.Event, threading.Event]:
    """Make the store's writes hang until `release` is set (then write); `entered` is set when one starts."""
    working, entered, release = store.add, threading.Event(), threading.Event()

    def hanging(increments, batch=None):
        entered.set()
        release.wait(30)
        return working(increments, batch)

    store.add = hanging
    return entered, release
