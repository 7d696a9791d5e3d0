"""gunicorn's logs, written so a request cannot forge a line or put a caller's number in them.

The Procfile names this class (`--logger-class`). Only fixed values reach the access log: the method,
the line's own route (never what the caller sent), the status, the size and the duration. gunicorn's
own messages about a refused or failed request keep their reason, never the request's text.
"""

from __future__ import annotations

import re

from gunicorn import glogging

ROUTES = frozenset(
    {
        "/",
        "/healthz",
        "/voice",
        "/voice/key",
        "/voice/dial",
        "/voice/fallback",
        "/simulator",
        "/simulator/step",
        "/simulator/static/keypad.js",
        "/simulator/static/keypad.css",
        "/simulator/static/keypad.html",
    }
)
_AUDIO = re.compile(r"/audio/[a-z0-9_]+-[0-9a-f]{8,64}\.wav")
_METHOD = re.compile(r"[A-Z]{1,10}")
OTHER = "(other)"
_REFUSED = "Invalid request from ip="  # gunicorn's warning, followed by the reason and the request's text
_FAILED = "Error handling request"  # gunicorn's error, followed by the method and the URI
SAFE_ATOMS = ("s", "b", "B", "T", "D", "M", "L", "p", "t")


def public_path(path: str, status: str) -> str:
    """Return the path to log: one of the line's routes, a recording it served, or OTHER."""
    if path in ROUTES or (status.startswith("2") and _AUDIO.fullmatch(path)):
        return path
    return OTHER


class AccessLog(glogging.Logger):
    """gunicorn's logger, with access-log atoms limited to values that cannot carry a request's text."""

    def atoms(self, resp, req, environ, request_time):
        """Return the atoms of one access-log line: fixed values only, every other atom is "-"."""
        every = super().atoms(resp, req, environ, request_time)
        atoms = {name: every[name] for name in SAFE_ATOMS}
        method = environ.get("REQUEST_METHOD", "")
        atoms["m"] = method if _METHOD.fullmatch(method) else OTHER
        atoms["U"] = public_path(environ.get("PATH_INFO", ""), str(atoms["s"]))
        return atoms

    def warning(self, msg, *args, **kwargs):
        """Log a warning; a refused request's keeps its reason ("Invalid HTTP Header"), not its text."""
        if isinstance(msg, str) and msg.startswith(_REFUSED):
            ip, _, error = msg[len(_REFUSED) :].partition(": ")
            reason = re.split(r"[:'\"(]", error, maxsplit=1)[0].strip()
            msg, args = f"{_REFUSED}%s: %s", (ip, reason if reason.isprintable() else OTHER)
        super().warning(msg, *args, **kwargs)

    def exception(self, msg, *args, **kwargs):
        """Log an exception; a failed request's without its URI."""
        if isinstance(msg, str) and msg.startswith(_FAILED):
            msg, args = _FAILED, ()
        super().exception(msg, *args, **kwargs)
