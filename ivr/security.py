"""Check that a webhook request really comes from Twilio (X-Twilio-Signature)."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def signed_url(request: Request, public_url: str | None) -> str:
    """Rebuild the URL Twilio requested, as it signed it (public_url replaces scheme and host)."""
    base = public_url.rstrip("/") if public_url else f"{request.scheme}://{request.host}"
    query = request.query_string.decode("latin-1")
    return f"{base}{request.root_path}{request.path}" + (f"?{query}" if query else "")


class SignatureCheck:
    """Validate requests against one auth token."""

    def __init__(self, token: str, public_url: str | None = None) -> None:
        self.validator = RequestValidator(token)
        self.public_url = public_url

    def __call__(self, request: Request) -> bool:
        """Tell whether the request carries a valid signature."""
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return False
        return self.validator.validate(signed_url(request, self.public_url), request.form, signature)
