"""The production entry (Procfile): the app, or one clear message and exit status 1."""

from __future__ import annotations

import gc
import logging
import sys

from . import create_app as _create_app
from .errors import IVRError


def create_app():
    """Build the app for gunicorn; on a broken flow or setting, say why and stop."""
    try:
        app = _create_app()
        level = app.extensions["ivr"].settings.log_level.upper()
    except IVRError as exc:
        print(f"ivr: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # The flow, loaded once before the workers fork, never changes: keep the collector off it
    # (fewer pauses, and its memory pages stay shared between workers).
    gc.freeze()
    return app
