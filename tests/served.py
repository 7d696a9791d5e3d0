"""Serve a WSGI app over real HTTP on 127.0.0.1, in a thread, for the length of a `with`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


@contextmanager
def served(app) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:<port>) of `app`, served until the block ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
