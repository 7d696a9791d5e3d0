"""Settings from the environment, each with a documented default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from .errors import ConfigError

# WSGI environ key of a simulated call's instant (the keypad page's clock): only a request made
# inside the process can carry it (HTTP headers become HTTP_*); the webhooks read it, never a header.
SIMULATED_NOW = "ivr.simulated_now"


@dataclass(frozen=True)
class Settings:
    """Every setting of the line; `ENV` maps each to its environment variable."""

    data_dir: Path = Path("data")  # relative: found in the folder the line or command runs from
    prompts_dir: Path = Path("prompts")
    auth_token: str | None = None  # TWILIO_AUTH_TOKEN: when set, every webhook must be signed
    allow_unsigned: bool = False  # IVR_ALLOW_UNSIGNED=1: production entry without a token (never live)
    public_url: str | None = None  # the https://host Twilio calls, when a proxy hides it
    proxy_hops: int = 0  # how many proxies in front set X-Forwarded-Proto/-Host
    voice: str = "Polly.Lea-Neural"
    max_tries: int = 2  # wrong keys in a menu before the caller is put through (silence puts through at once)
    gather_timeout: int = 3  # seconds of silence after a menu before it counts as unanswered
    dial_timeout: int = 30  # seconds the platform rings before the caller hears its number
    platform_number: str | None = None  # dial this instead of the platform (a staging phone)
    caller_id: str | None = None  # number shown to the platform (the line's own), so callers stay anonymous
    simulator: bool = False  # serve the browser keypad (on in development)
    audio_base_url: str | None = None  # serve the prompts' audio files from here (a CDN) instead
    log_level: str = "WARNING"  # INFO adds one line per webhook: the node, never the call nor a number
    pass_caller_number: bool = False  # the platform may see callers' numbers: no IVR_CALLER_ID, no "anonyme"
    free_number: bool = False  # the line's own number is free to call: the greeting says "gratuite"
    number_max_age: int = 180  # days after a call when `ivr check` lists a number as to call again
    stats_url: str | None = None  # IVR_STATS_URL: off, or where the counters go (SQLite in instance/ by default)
    stats_password: str | None = None  # serves /stats to staff, with HTTP basic auth, when set
    stats_flush: int = 5  # seconds between two writes of the counters (what a crash loses at most)
    stats_alert_percent: int = 20  # WARNING when more transfers failed in the last hour (5 at least)
    whisper: bool = False  # whoever answers a transfer first hears the route the caller chose
    speech: bool = True  # every menu also listens: callers may say their choice (Twilio's speech recognition)
    speech_confidence: float = 0.5  # below this Confidence (0 to 1), what was said is answered like silence
    now: datetime | None = None  # IVR_NOW: the line's clock stands still at this instant (tests, staging)

    ENV = {
        "data_dir": "IVR_DATA_DIR",
        "prompts_dir": "IVR_PROMPTS_DIR",
        "auth_token": "TWILIO_AUTH_TOKEN",
        "allow_unsigned": "IVR_ALLOW_UNSIGNED",
        "public_url": "IVR_PUBLIC_URL",
        "proxy_hops": "IVR_PROXY_HOPS",
        "voice": "IVR_VOICE",
        "max_tries": "IVR_MAX_TRIES",
        "gather_timeout": "IVR_GATHER_TIMEOUT",
        "dial_timeout": "IVR_DIAL_TIMEOUT",
        "platform_number": "IVR_PLATFORM_NUMBER",
        "caller_id": "IVR_CALLER_ID",
        "simulator": "IVR_SIMULATOR",
        "audio_base_url": "IVR_AUDIO_BASE_URL",
        "log_level": "IVR_LOG_LEVEL",
        "pass_caller_number": "IVR_PASS_CALLER_NUMBER",
        "free_number": "IVR_FREE_NUMBER",
        "number_max_age": "IVR_NUMBER_MAX_AGE",
        "stats_url": "IVR_STATS_URL",
        "stats_password": "IVR_STATS_PASSWORD",
        "stats_flush": "IVR_STATS_FLUSH",
        "stats_alert_percent": "IVR_STATS_ALERT_PERCENT",
        "whisper": "IVR_WHISPER",
        "speech": "IVR_SPEECH",
        "speech_confidence": "IVR_SPEECH_CONFIDENCE",
        "now": "IVR_NOW",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, /, **overrides: Any) -> Settings:
        """Read settings from the environment; raise ConfigError naming a bad variable."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = cls.ENV[f.name]
            raw = environ.get(name, "").strip()
            if raw:
                values[f.name] = _convert(name, str(f.type), raw)  # a str: annotations are postponed
        settings = replace(cls(**values), **overrides)
        # Resolved once, so a later change of working folder cannot move the line's data.
        object.__setattr__(settings, "data_dir", Path(settings.data_dir).absolute())
        object.__setattr__(settings, "prompts_dir", Path(settings.prompts_dir).absolute())
        return settings.checked()

    def checked(self) -> Settings:
        """Check values that have a shape; return self."""
        limits = {
            "max_tries": (1, 5),
            "gather_timeout": (1, 30),
            "dial_timeout": (5, 120),
            "proxy_hops": (0, 5),
            "number_max_age": (1, 3650),
            "speech_confidence": (0, 1),
        }
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"{self.ENV[name]}={value} is out of range ({low} to {high})")
        for name in ("platform_number", "caller_id"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, e164(value, self.ENV[name]))
        if self.public_url is not None and not is_origin(self.public_url):
            # Callbacks are written from the root (/voice/key): a path would be lost on the way back.
            raise ConfigError(
                f"IVR_PUBLIC_URL must be https://host (http://host for a test), with no path, got {self.public_url!r}"
            )
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"IVR_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}")
        if self.audio_base_url is not None and not self.audio_base_url.startswith(("https://", "http://")):
            raise ConfigError(f"IVR_AUDIO_BASE_URL must start with https://, got {self.audio_base_url!r}")
        if self.pass_caller_number and self.caller_id is not None:
            raise ConfigError(
                "IVR_PASS_CALLER_NUMBER=1 and IVR_CALLER_ID are both set: choose one (with "
                "IVR_CALLER_ID the platform sees the line's number, and callers stay anonymous)"
            )
        return self

    def clock(self) -> datetime:
        """The line's time: IVR_NOW when set, else now (UTC, aware)."""
        return self.now if self.now is not None else datetime.now(UTC)

    @property
    def facts(self) -> frozenset[str]:
        """Name what the greeting may promise on this deployment (prompts/fr.yaml, `when`)."""
        return frozenset(
            name
            for name, holds in (
                ("anonymous", self.caller_id is not None),
                ("free", self.free_number),
                ("speech", self.speech),
            )
            if holds
        )


def folder_overrides(data_dir: Path | None, prompts_dir: Path | None) -> dict[str, Path]:
    """Return the data and prompts folders given on a command line, as Settings overrides."""
    return {k: v for k, v in (("data_dir", data_dir), ("prompts_dir", prompts_dir)) if v}


# Numbers whose caller pays more than a normal call: never shown to anyone, never dialled.
CHARGED = (phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST)


def e164(number: str, name: str) -> str:
    """Return a phone number in E.164; raise ConfigError naming the setting."""
    try:
        parsed = phonenumbers.parse(number, "FR")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ConfigError(f"{name} is not a valid phone number")
    if phonenumbers.number_type(parsed) in CHARGED:
        raise ConfigError(
            f"{name} is a premium-rate or shared-cost number (08 1x, 08 2x, 08 9x): whoever calls it back "
            "would pay extra; use a geographic, mobile or free (08 0x) number"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_origin(url: str) -> bool:
    """Tell whether a URL is a scheme and a host only (a trailing slash allowed)."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("https", "http")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not parts.query
        and not parts.fragment
        and "@" not in parts.netloc
    )


def instant(raw: str, name: str) -> datetime:
    """Read an instant in ISO 8601 with its offset (2026-12-25T03:00+01:00); raise ConfigError naming
    the setting otherwise."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ConfigError(f"{name} must be an instant in ISO 8601 with its offset, such as 2026-12-25T03:00+01:00")
    return value


def _convert(name: str, kind: str, raw: str):
    if "bool" in kind:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    if "float" in kind:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number such as 0.5, got {raw!r}") from None
        if value != value:  # NaN
            raise ConfigError(f"{name} must be a number such as 0.5, got {raw!r}")
        return value
    if "int" in kind:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if "Path" in kind:
        return Path(raw)
    if "datetime" in kind:
        return instant(raw, name)
    return raw
