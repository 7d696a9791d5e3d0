"""The production entry (Procfile): the app, or one clear message and exit status 1."""

from __future__ import annotations

import sys

from . import create_app as _create_app
from .errors import IVRError


def create_app():
    """Build the app for gunicorn; on a broken flow or setting, say why and stop."""
    try:
        return _create_app()
    except IVRError as exc:
        print(f"ivr: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
