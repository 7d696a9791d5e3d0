"""gunicorn's configuration module for the line (`--config python:ivr.line.server` in the Procfile),
and its worker (`--worker-class ivr.line.server.Worker`).

The line is served by gevent workers: a connection held open by a stranger, idle or sending its
request a byte at a time, costs a greenlet (memory), never a worker, and no longer than
ivr.line.deadline.READ_SECONDS. The app is loaded before the workers fork (`--preload`), so the
standard library is patched here, before anything imports it: master and workers then share one
kind of socket, lock and thread. Every other setting is a flag of the Procfile, where operators read it.
"""

from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402  (after patching, as gevent asks)
from gunicorn.workers.ggevent import GeventWorker  # noqa: E402

from ivr.line import deadline  # noqa: E402


class Worker(GeventWorker):
    """gunicorn's gevent worker, with one deadline for reading each request, headers and body."""

    def timeout_ctx(self):
        """Start the request's clock while its headers are awaited (keep-alive included)."""
        deadline.start()
        return gevent.Timeout(min(self.cfg.keepalive, deadline.READ_SECONDS), False)

    def handle_request(self, listener_name, req, sock, addr):
        """Serve one request; close the connection when its body was not read in time."""
        result = super().handle_request(listener_name, req, sock, addr)
        if deadline.given_up():
            raise StopIteration  # gunicorn's way to end a connection after a request
        return result


def worker_exit(server, worker):
    """Write the last summary of refused requests before a worker stops."""
    from ivr.line import refusals

    refusals.flush()
