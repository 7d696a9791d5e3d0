"""Servers the tests start: a Procfile process waited for, a Flask app served in a thread."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from werkzeug.serving import WSGIRequestHandler, make_server


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


def post_status(url: str, form: dict, headers: dict, timeout: float = 15) -> int:
    """POST a form over HTTP; return the status, errors included."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


@contextlib.contextmanager
def served(app) -> Iterator[str]:
    """Serve a WSGI app over real HTTP on a loopback port, in threads; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
