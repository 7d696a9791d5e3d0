"""Servers the tests start: a Procfile process waited for, a Flask app served in a thread, and
requests to them over HTTP."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Answer:
    """An answer over HTTP, read as Flask's test client's response is (what `Caller` reads)."""

    status_code: int
    mimetype: str
    text: str

    def get_data(self, as_text: bool = False) -> str | bytes:
        return self.text if as_text else self.text.encode()


def post(url: str, form: dict, headers: dict, timeout: float = 15) -> Answer:
    """POST a form over HTTP; return the answer, errors included."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        response = exc
    with response:
        return Answer(response.getcode(), response.headers.get_content_type(), response.read().decode())


def post_status(url: str, form: dict, headers: dict, timeout: float = 15) -> int:
    """POST a form over HTTP; return the status, errors included."""
    return post(url, form, headers, timeout).status_code


class HttpClient:
    """Flask's test client's `post`, to a running server: a `Caller` then calls it over HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, url: str, data: dict, headers: dict) -> Answer:
        return post(urllib.parse.urljoin(self.base, url), data, headers)


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
