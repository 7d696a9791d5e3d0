"""Sign webhook requests the way Twilio does (X-Twilio-Signature)."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

TOKEN = "bench-token-not-a-secret"  # the servers under test are started with this token
LINE_NUMBER = "+33970000000"  # their IVR_CALLER_ID: the line's own number, shown to the platform
HEADER = "X-Twilio-Signature"


def signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """Return the signature of a POST to a full URL, computed by Twilio's own library."""
    return RequestValidator(token).compute_signature(url, params)


def signed_post(url: str, params: dict[str, str], token: str = TOKEN) -> tuple[bytes, dict[str, str]]:
    """Return the form body and the headers of a signed POST to a full URL."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", HEADER: signature(url, params, token)}
    return urlencode(params).encode(), headers
