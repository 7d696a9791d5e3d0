"""The account's phone numbers and where their voice webhooks point."""

from __future__ import annotations

from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from twilio.rest import Client

from ..config import e164
from ..errors import ConfigError
from .account import AccountError, asking_twilio

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Webhooks:
    """A number's voice configuration, by Twilio's field names."""

    voice_url: str | None
    voice_method: str | None
    voice_fallback_url: str | None
    voice_fallback_method: str | None
    status_callback: str | None
    status_callback_method: str | None

    LABELS = {
        "voice_url": "Voice URL",
        "voice_method": "Voice method",
        "voice_fallback_url": "Fallback URL",
        "voice_fallback_method": "Fallback method",
        "status_callback": "Status callback",
        "status_callback_method": "Status callback method",
    }
    ROLES = (
        ("Voice URL", "voice_url", "voice_method"),
        ("Fallback URL", "voice_fallback_url", "voice_fallback_method"),
        ("Status callback", "status_callback", "status_callback_method"),
    )

    @classmethod
    def of(cls, number) -> Webhooks:
        """Read the webhooks of an IncomingPhoneNumber instance."""
        return cls(**{f.name: getattr(number, f.name) or None for f in fields(cls)})

    def roles(self) -> list[tuple[str, str, str]]:
        """List (role, method, URL) for the call, the fallback and the status callback ("", "(none)" if unset)."""
        return [
            (role, (getattr(self, method) or "POST").upper(), getattr(self, url))
            if getattr(self, url)
            else (role, "", "(none)")
            for role, url, method in self.ROLES
        ]

    def changes(self, wanted: Webhooks) -> list[tuple[str, str | None, str | None]]:
        """List (field, before, after) for every field that differs from `wanted`."""
        out = []
        for f in fields(self):
            before, after = getattr(self, f.name), getattr(wanted, f.name)
            if _same(f.name, before, after):
                continue
            out.append((f.name, before, after))
        return out


def _same(name: str, before: str | None, after: str | None) -> bool:
    if name.endswith("method"):
        return (before or "POST").upper() == (after or "POST").upper()
    return (before or "") == (after or "")


def line_url(url: str, *, local_ok: bool = False) -> str:
    """Return the line's public base URL without a trailing slash; raise AccountError unless https.

    `local_ok` accepts http for a line on this machine (a smoke call only: Twilio cannot reach it).
    """
    parts = urlsplit(url.strip())
    local = local_ok and parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.netloc or parts.query or parts.fragment or not (parts.scheme == "https" or local):
        raise AccountError(
            f"{url!r} is not an https URL of the line: give https://host (Twilio calls "
            "it from the internet, and signs the URL it calls)"
        )
    return url.strip().rstrip("/")


def wanted(base: str, fallback_url: str | None = None, fallback_method: str = "POST") -> Webhooks:
    """Return the webhooks that point a number at the line at `base`."""
    return Webhooks(
        voice_url=f"{base}/voice",
        voice_method="POST",
        voice_fallback_url=fallback_url or f"{base}/voice/fallback",
        voice_fallback_method=fallback_method.upper(),
        status_callback=f"{base}/voice/status",
        status_callback_method="POST",
    )


def points_here(hooks: Webhooks, base: str | None) -> bool:
    """Tell whether the number's calls reach the line at `base` (or a line like this one, without a base)."""
    if base is None:
        return (hooks.voice_url or "").endswith("/voice")
    return hooks.voice_url == f"{base}/voice" and _same("voice_method", hooks.voice_method, "POST")


def every_number(client: Client) -> list:
    """Return the account's phone numbers (every page)."""
    with asking_twilio():
        return list(client.api.v2010.account.incoming_phone_numbers.stream())


def find(client: Client, number: str):
    """Return the account's phone number `number` (any French or E.164 form); raise AccountError."""
    try:
        wanted_number = e164(number, "the phone number")
    except ConfigError:
        raise AccountError(
            f"{number!r} is not a valid phone number (E.164: +33 and the nine digits after the leading 0)"
        ) from None
    with asking_twilio():
        found = client.api.v2010.account.incoming_phone_numbers.list(phone_number=wanted_number)
    for candidate in found:
        if candidate.phone_number == wanted_number:
            return candidate
    raise AccountError(
        f"{wanted_number} is not a phone number of this Twilio account (`ivr twilio numbers` lists them)"
    )


def update(client: Client, number, hooks: Webhooks) -> Webhooks:
    """Set a number's webhooks; return them as Twilio now has them."""
    with asking_twilio():
        updated = client.api.v2010.account.incoming_phone_numbers(number.sid).update(
            voice_url=hooks.voice_url,
            voice_method=hooks.voice_method,
            voice_fallback_url=hooks.voice_fallback_url,
            voice_fallback_method=hooks.voice_fallback_method,
            status_callback=hooks.status_callback,
            status_callback_method=hooks.status_callback_method,
        )
    return Webhooks.of(updated)
