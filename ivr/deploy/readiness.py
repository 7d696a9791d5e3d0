"""Before a deploy: the settings a live line needs are there and coherent, its data is current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..audio.report import rows
from ..config import Settings, e164, is_origin
from ..errors import ConfigError, FlowError
from ..flow.loader import load_flow
from ..flow.model import Flow
from ..flow.usage import number_uses
from .check import Check

ON = ("1", "true", "yes", "on")


def production_checks(
    environ: Mapping[str, str], data_dir: Path, prompts_dir: Path, today: dt.date, max_age: int | None = None
) -> Iterator[Check]:
    """Yield one Check per thing a live line needs, settings first, then its data; numbers are due
    after `max_age` days (default: IVR_NUMBER_MAX_AGE)."""
    env = {name: value.strip() for name, value in environ.items()}
    yield Check(
        "TWILIO_AUTH_TOKEN",
        bool(env.get("TWILIO_AUTH_TOKEN")),
        "set: every webhook must carry Twilio's signature"
        if env.get("TWILIO_AUTH_TOKEN")
        else "not set: the line would obey forged requests (Twilio console, Account info)",
    )
    yield _off(env, "IVR_ALLOW_UNSIGNED", "lets the line start without a token: never on the live line")
    yield _off(env, "IVR_SIMULATOR", "serves the keypad page to anyone: never on the live line")
    yield Check(
        "IVR_NOW",
        not env.get("IVR_NOW"),
        "set: the line's clock stands still, and an office closed at that instant would be said closed "
        "(or open) at every hour; unset it on the live line"
        if env.get("IVR_NOW")
        else "not set: opening hours follow the real time",
    )
    yield _caller_id(env.get("IVR_CALLER_ID", ""), env.get("IVR_PASS_CALLER_NUMBER", "").lower() in ON)
    yield _public_url(env.get("IVR_PUBLIC_URL", ""))
    yield _proxy(env.get("IVR_PROXY_HOPS", ""), bool(env.get("IVR_PUBLIC_URL")))
    settings = Settings()
    try:
        settings = Settings.from_env(env)
        yield Check("settings", True, "every setting is readable")
    except ConfigError as exc:
        yield Check("settings", False, str(exc))
    yield _speech(settings.speech)
    try:
        flow = load_flow(data_dir, prompts_dir, settings.facts)
    except FlowError as exc:
        yield Check("call flow", False, f"{len(exc.problems)} problem(s), first: {exc.problems[0]} (`ivr check`)")
        for name in ("platform number", "numbers called", "recordings"):
            yield Check(name, False, "cannot tell while the call flow is not valid")
        return
    yield Check("call flow", True, f"valid: {len(flow.nodes)} nodes, {len(flow.services)} services")
    yield _platform(flow, env.get("IVR_PLATFORM_NUMBER", ""))
    yield numbers_called(flow, today, settings.number_max_age if max_age is None else max_age)
    yield _recordings(flow, prompts_dir)


def _speech(on: bool) -> Check:
    """Whether the line listens to callers' words: a choice, said, never a failure."""
    if on:
        return Check(
            "IVR_SPEECH",
            True,
            "on: the line listens, and callers' words go to Twilio's speech recognition (docs/security.md, "
            "Security and privacy); IVR_SPEECH=0 for keys only",
        )
    return Check("IVR_SPEECH", True, "off: keys only, no caller's words reach Twilio's speech recognition")


def _off(env: Mapping[str, str], name: str, why: str) -> Check:
    on = env.get(name, "").lower() in ON
    return Check(name, not on, f"{env[name]}: {why}" if on else "off")


def _caller_id(raw: str, passed_on: bool) -> Check:
    if not raw and passed_on:
        return Check(
            "IVR_CALLER_ID",
            True,
            "not set, and IVR_PASS_CALLER_NUMBER=1: the platform sees callers' "
            'own numbers, and the greeting does not say "anonyme"',
        )
    if not raw:
        return Check(
            "IVR_CALLER_ID",
            False,
            "not set: set it to the line's Twilio number, so the platform never sees the caller's own number",
        )
    try:
        return Check("IVR_CALLER_ID", True, e164(raw, "IVR_CALLER_ID"))
    except ConfigError as exc:
        return Check("IVR_CALLER_ID", False, f"{exc} (E.164: +33 and the nine digits after the leading 0)")


def _public_url(raw: str) -> Check:
    if not raw:
        return Check("IVR_PUBLIC_URL", True, "unset: the proxy's headers must tell the public URL")
    if not raw.startswith("https://"):
        return Check("IVR_PUBLIC_URL", False, f"{raw!r} must be https://host: Twilio signs the https URL it calls")
    if not is_origin(raw):
        return Check(
            "IVR_PUBLIC_URL",
            False,
            f"{raw!r} must be only https://host: the line adds each request's path to it to check signatures",
        )
    return Check("IVR_PUBLIC_URL", True, raw)


def _proxy(raw_hops: str, public_url: bool) -> Check:
    try:
        hops = int(raw_hops or "0")
    except ValueError:
        return Check("proxy", False, f"IVR_PROXY_HOPS={raw_hops!r} must be a whole number")
    if not 0 <= hops <= 5:
        return Check("proxy", False, f"IVR_PROXY_HOPS={hops} is out of range (0 to 5)")
    if hops == 0 and not public_url:
        # The Procfile serves plain http: Twilio's https reaches it through the host's proxy, so the
        # line must be told the public URL, or it checks signatures against http:// and refuses all.
        return Check(
            "proxy",
            False,
            "neither IVR_PROXY_HOPS nor IVR_PUBLIC_URL is set: behind the host's "
            "https proxy every signed request would be refused; set IVR_PROXY_HOPS=1",
        )
    how = (
        f"IVR_PUBLIC_URL names the public URL, IVR_PROXY_HOPS={hops}"
        if public_url
        else f"IVR_PROXY_HOPS={hops}: the public URL comes from the proxy's X-Forwarded headers"
    )
    return Check("proxy", True, how)


def _platform(flow: Flow, override: str) -> Check:
    platform = flow.platform
    if not platform.dial:
        return Check("platform number", False, f"{platform.id} ({platform.number}) is not a number the line can dial")
    if override:
        return Check(
            "platform number",
            False,
            f"IVR_PLATFORM_NUMBER is set: calls would ring {override} "
            f"instead of {platform.id} ({platform.dial}); unset it on the live line",
        )
    return Check("platform number", True, f"{platform.id}: {platform.dial}")


def numbers_called(flow: Flow, today: dt.date, max_age: int) -> Check:
    """Report the numbers the line says or dials that nobody has called, or not within `max_age` days
    (or whose `called` is after today); emergency numbers are exempt: nobody calls 15 or 112 for a test."""
    uses = number_uses(flow)
    emergency = [u.service.number for u in uses if u.service.emergency]
    exempt = (
        f"; emergency and national short numbers ({', '.join(emergency)}): not to be called for a test; "
        "checked against their sources"
        if emergency
        else ""
    )
    due = [u for u in uses if u.due(today, max_age)]
    if due:
        return Check(
            "numbers called",
            False,
            f"{len(due)} number(s) never called from this line or not within {max_age} days; call each, and once "
            "the service named has answered write the day in its `called:` "
            f"(docs/staff.md, How to check a number){exempt}. "
            "To call:",
            tuple(
                f"{u.service.number:<16} {u.service.id:<14} {u.service.name} ({u.calls(today, max_age)})" for u in due
            ),
        )
    return Check("numbers called", True, f"every number called within {max_age} days{exempt}")


def _recordings(flow: Flow, prompts_dir: Path) -> Check:
    bad = [f"{row.key} ({row.status})" for row in rows(flow, prompts_dir) if row.status in ("stale", "broken")]
    if bad:
        return Check(
            "recordings", False, f"{len(bad)} stale or broken: {', '.join(bad)}; record again or `ivr prompts build`"
        )
    return Check("recordings", True, "every recording is current (prompts without one are spoken)")
