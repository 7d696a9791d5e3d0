"""Check that a webhook request really comes from Twilio (X-Twilio-Signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

SIGNATURE_HEADER = "X-Twilio-Signature"
_SIGNATURE_KEY = "HTTP_X_TWILIO_SIGNATURE"  # the header, in a WSGI environ


def signed_url(environ: Mapping, public_url: str | None) -> str:
    """Rebuild the URL Twilio requested, as it signed it (public_url replaces scheme and host).

    Read from the WSGI environ, after ProxyFix has applied X-Forwarded-Proto/-Host/-Prefix.
    """
    if public_url:
        base = public_url.rstrip("/")
    else:
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        base = f"{environ['wsgi.url_scheme']}://{host}"
    query = environ.get("QUERY_STRING", "")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


class SignatureCheck:
    """Validate requests against one auth token."""

    def __init__(self, token: str, public_url: str | None = None) -> None:
        self.validator = RequestValidator(token)
        self.mac = hmac.new(token.encode(), digestmod=hashlib.sha1)  # keyed once, copied per request
        self.public_url = public_url

    def __call__(self, environ: Mapping, params: list[tuple[str, str]]) -> bool:
        """Tell whether a request (its WSGI environ and form `params`) carries a valid signature."""
        signature = environ.get(_SIGNATURE_KEY, "")
        if not signature:
            return False
        url = signed_url(environ, self.public_url)
        # Twilio nearly always signs the URL exactly as received: one HMAC, compared in constant
        # time. Only when it differs does the validator's full check (with and without the port,
        # twice the work) decide.
        if hmac.compare_digest(self._sign(url, params), signature.encode("latin-1", "replace")):
            return True
        return self.validator.validate(url, MultiDict(params), signature)

    def _sign(self, url: str, params: list[tuple[str, str]]) -> bytes:
        """Compute Twilio's signature: the URL, then each name and value in order, HMAC-SHA1, base64."""
        mac = self.mac.copy()
        mac.update((url + "".join(name + value for name, value in sorted(set(params)))).encode())
        return base64.b64encode(mac.digest())
