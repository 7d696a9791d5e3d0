"""Check that a webhook request really comes from Twilio (X-Twilio-Signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port

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
    query = environ.get("QUERY_STRING")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


class SignatureCheck:
    """Validate requests against one auth token.

    Twilio's own RequestValidator is the reference (tests/line/test_signature.py checks both agree) but
    not the check: its validate() costs 36 to 88 µs more a request, 16 to 27 % of the Procfile's
    workers' CPU time per request (152 to 325 µs), against 5 % allowed (bench/libraries.py,
    Twilio-shaped request, three runs on 2026-11-29): it parses the URL, signs it twice, with and
    without its port, by string concatenation.
    """

    def __init__(self, token: str, public_url: str | None = None) -> None:
        self.validator = RequestValidator(token)  # the reference the fast check is measured against
        self.mac = hmac.new(token.encode(), digestmod=hashlib.sha1)  # keyed once, copied per request
        self.public_url = public_url

    @staticmethod
    def present(environ: Mapping) -> bool:
        """Tell whether a request carries a signature at all (checked before its body is read)."""
        return bool(environ.get(_SIGNATURE_KEY))

    def __call__(self, environ: Mapping, params: list[tuple[str, str]]) -> bool:
        """Tell whether a request (its WSGI environ and form `params`) carries a valid signature.

        Whatever cannot be checked (a Host or a forwarded port that is no URL, say) is not valid.
        """
        try:
            return self._valid(environ, params)
        except Exception:  # a request that breaks the check is refused, never a fault
            return False

    def _valid(self, environ: Mapping, params: list[tuple[str, str]]) -> bool:
        signature = environ.get(_SIGNATURE_KEY)
        if not signature:
            return False
        return self.valid(signed_url(environ, self.public_url), params, signature)

    def valid(self, url: str, params: list[tuple[str, str]], signature: str) -> bool:
        """Tell whether `signature` signs this URL and form, as Twilio's RequestValidator.validate would.

        Twilio nearly always signs the URL exactly as received: one HMAC, compared in constant time.
        Only when it differs are the URL with and without its port tried, as the validator does; the
        fields are sorted and joined once for all three, so a forged request costs little more than a
        real one.
        """
        fields = form_string(params)
        expected = signature.encode("latin-1", "replace")
        if hmac.compare_digest(self._sign(url, fields), expected):
            return True
        parsed = urlparse(url)
        variants = {remove_port(parsed), add_port(parsed)} - {url}  # one of them is nearly always the URL
        return any(hmac.compare_digest(self._sign(variant, fields), expected) for variant in variants)

    def _sign(self, url: str, fields: str) -> bytes:
        """Compute Twilio's signature: the URL, then each name and value in order, HMAC-SHA1, base64."""
        mac = self.mac.copy()
        mac.update((url + fields).encode())
        return base64.b64encode(mac.digest())


def form_string(params: list[tuple[str, str]]) -> str:
    """Join a form's names and values as Twilio signs them: sorted, each pair once."""
    return "".join(name + value for name, value in sorted(set(params)))
