"""gunicorn's configuration module for the line (`--config python:ivr.line.server` in the Procfile).

The line is served by gevent workers: a connection held open by a stranger, idle or sending its
request a byte at a time, costs a greenlet (memory), never a worker. The app is loaded before the
workers fork (`--preload`), so the standard library is patched here, before anything imports it:
master and workers then share one kind of socket, lock and thread. Every other setting is a flag of
the Procfile, where operators read it.
"""

from gevent import monkey

monkey.patch_all()
