"""One deadline for reading each request, headers and body together, on the Procfile's server.

gunicorn bounds each read of a body, not the whole: a body promised by Content-Length and sent a byte
every few seconds would hold its connection forever. The line's worker (ivr.line.server.Worker)
starts the clock when it begins to wait for a request's headers; the body is read within what is
left (ivr.line.form), and a connection whose request was not read in time is closed once answered.
Outside that server (tests, the keypad page) the clock starts when the body is read.
"""

from __future__ import annotations

import time

from gevent.local import local

# Twilio sends its whole request at once, and gives up on an answer after 15 s: reading is done well
# within this, and what is left of the 15 s is the line's to answer in.
READ_SECONDS = 5.0

_request = local()  # per greenlet: one connection, one request at a time


def start() -> None:
    """Start the clock of the next request on this connection."""
    _request.started = time.monotonic()
    _request.unread = False


def remaining() -> float:
    """Return the seconds left to read the current request (all of them when no clock was started)."""
    started = getattr(_request, "started", None)
    if started is None:
        return READ_SECONDS
    return max(0.0, started + READ_SECONDS - time.monotonic())


def give_up() -> None:
    """Say the current request's body was not read in time: its connection is closed once answered."""
    _request.unread = True


def given_up() -> bool:
    """Tell whether the current request's body was given up (its connection must then be closed)."""
    return getattr(_request, "unread", False)
