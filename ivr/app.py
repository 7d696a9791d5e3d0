"""The web app: the line's webhooks, and the browser keypad where it is allowed."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings
from .errors import ConfigError
from .line.runtime import Line
from .line.webhooks import register


def create_app(test_config: dict[str, Any] | None = None, dev: bool | None = None):
    """Build the Flask app: load and validate the flow once, then serve the webhooks.

    `test_config` overrides settings by name (see ivr.config.Settings). `dev` says whether
    this is local development; by default it is when started by `flask run`. Outside
    development, a missing TWILIO_AUTH_TOKEN refuses to start unless IVR_ALLOW_UNSIGNED=1, and a missing
    IVR_CALLER_ID unless IVR_PASS_CALLER_NUMBER=1.
    """
    log = logging.getLogger("ivr")
    if dev is None:
        dev = os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    settings = Settings.from_env(**(test_config or {}))
    if settings.auth_token is None:
        if not (dev or settings.allow_unsigned):
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is not set: webhooks would accept forged requests. "
                "Set it (Twilio console, Account info), or set IVR_ALLOW_UNSIGNED=1 "
                "for a test deployment that no real caller can reach."
            )
        log.warning(
            "TWILIO_AUTH_TOKEN is not set: requests are not checked for Twilio's signature "
            "(fine for local development, never for the live line)"
        )
    if settings.caller_id is None and not (dev or settings.pass_caller_number):
        raise ConfigError(
            "IVR_CALLER_ID is not set: the listening platform would see each caller's own number, "
            "and the line promises anonymity. Set it to the line's own Twilio number, or set "
            "IVR_PASS_CALLER_NUMBER=1 if the platform may see callers' numbers (the greeting then "
            'does not say "anonyme").'
        )
    line = Line.build(settings)
    app = Flask(__name__, static_folder=None)  # no /static route: the keypad page serves its own files
    _statistics(app, line)
    register(app)  # the webhooks in front of Flask: ProxyFix, below, in front of them
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add middleware
            app.wsgi_app,
            x_for=settings.proxy_hops,  # the client's address: /stats locks out guessers one by one
            x_proto=settings.proxy_hops,
            x_host=settings.proxy_hops,
            x_port=settings.proxy_hops,
            x_prefix=settings.proxy_hops,
        )
    if dev or settings.simulator:
        from .review.graph import svg_once
        from .simulator.keypad import PICTURE, keypad  # the browser keypad: in development, or when IVR_SIMULATOR=1

        app.register_blueprint(keypad)
        app.extensions[PICTURE] = svg_once(line)  # the flow drawn beside the keypad
    return app


def reload(app: Flask) -> Line:
    """Load and validate the flow again from the line's folders, then answer with it.

    Everything is built before the swap, and the swap is one assignment: each request is answered
    wholly by the old line or wholly by the new one, with the new one's own caches of answers.
    Raise FlowError or ConfigError, the old line still answering, when the files are broken.
    """
    old = app.extensions["ivr"]
    new = replace(Line.build(old.settings), count=old.count)  # the same statistics, when on
    app.extensions["ivr"] = new
    from .simulator.keypad import PICTURE

    if PICTURE in app.extensions:  # the keypad page's picture, drawn again on first use
        from .review.graph import svg_once

        app.extensions[PICTURE] = svg_once(new)
    return new


def _statistics(app: Flask, line) -> None:
    """Count into the statistics' database unless IVR_STATS_URL=off; serve /stats when a password is set."""
    from .stats.runtime import start_recorder

    recorder = start_recorder(line.settings, app.instance_path)
    if recorder is not None:
        line = replace(line, count=recorder.add)
        app.extensions["ivr.stats"] = recorder
        if line.settings.stats_password:
            from .stats.page import protect

            protect(app)
    app.extensions["ivr"] = line
