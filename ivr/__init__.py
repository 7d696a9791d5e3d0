"""A French voice menu (IVR) for the helpline of health professionals in distress.

The parts: `flow` (the call flow as validated data), `line` (the webhooks that answer Twilio),
`simulator` (a caller that plays the line's TwiML), `audio` (recorded prompts) and `cli` (the
`ivr` command). `ivr.app.create_app` puts the web app together.
"""

from __future__ import annotations

from typing import Any


def create_app(test_config: dict[str, Any] | None = None, dev: bool | None = None):
    """Build the Flask app (see ivr.app.create_app); Flask is imported only when called."""
    from .app import create_app as build

    return build(test_config, dev=dev)
