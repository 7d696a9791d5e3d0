"""Carry the simulated caller's requests: over HTTP to any URL, or into a Flask app in-process."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from .twiml_player import Transport

SIGNATURE_HEADER = "X-Twilio-Signature"
LOCAL_BASE = "http://localhost"


def _headers(token: str | None, url: str, form: Mapping[str, str]) -> dict[str, str]:
    """Sign a request as Twilio does, when the line has an auth token."""
    if not token:
        return {}
    return {SIGNATURE_HEADER: RequestValidator(token).compute_signature(url, dict(form))}


def http_transport(token: str | None = None, timeout: float = 15.0) -> Transport:
    """Send requests over HTTP with urllib, signed with `token` when given."""

    def send(method: str, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        data = urlencode(form).encode() if method == "POST" else None
        request = urllib.request.Request(url, data=data, method=method, headers=_headers(token, url, form))
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http only)
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    return send


def flask_transport(app, token: str | None = None) -> Transport:
    """Send requests straight into a Flask app with its test client: no server, no network."""
    client = app.test_client()

    def send(method: str, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        response = client.open(parts.path or "/", method=method, query_string=parts.query,
                               base_url=f"{parts.scheme}://{parts.netloc}", headers=_headers(token, url, form),
                               data=dict(form) if method == "POST" else None)
        return response.status_code, response.get_data(as_text=True)

    return send
