"""Sign webhook requests the way Twilio does (X-Twilio-Signature), with the standard library only."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

TOKEN = "bench-token-not-a-secret"  # the servers under test are started with this token
HEADER = "X-Twilio-Signature"


def signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """Return the signature of a POST: HMAC-SHA1 of the full URL then each name+value, sorted by name."""
    data = url + "".join(name + params[name] for name in sorted(params))
    mac = hmac.new(token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def signed_post(url: str, params: dict[str, str], token: str = TOKEN) -> tuple[bytes, dict[str, str]]:
    """Return the form body and the headers of a signed POST to a full URL."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", HEADER: signature(url, params, token)}
    return urlencode(params).encode(), headers
