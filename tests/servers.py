"""Servers the tests start: a Procfile process waited for, a Flask app served in a thread."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import urllib.request
from collections.abc import Iterator

from werkzeug.serving import make_server


def wait_until_up(proc, base: str, timeout: float = 90) -> None:
    """Wait until a started server answers /healthz; fail with its error output if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
            return
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


@contextlib.contextmanager
def served(app) -> Iterator[str]:
    """Serve a Flask app on a loopback port in a thread; yield its base URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
