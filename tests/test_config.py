"""Settings come from the environment, each documented in docs/operators.md with its default."""

from __future__ import annotations

import dataclasses
import re

import pytest

from ivr.config import Settings
from ivr.errors import ConfigError
from tests.paths import ROOT

OPERATORS = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
TABLE = OPERATORS[OPERATORS.index("## Settings") :]
TABLE = TABLE[: TABLE.index("\n## ")]


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_documented_with_its_default(field):
    variable = Settings.ENV[field]
    row = next((line for line in TABLE.splitlines() if f"`{variable}`" in line), None)
    assert row is not None, f"{variable} is missing from the settings table of docs/operators.md"
    default = getattr(Settings(), field)
    if isinstance(default, bool):
        shown = "1" if default else "0"
    elif default is None or field in ("data_dir", "prompts_dir"):
        return  # shown as "unset" or as a folder / a described default
    else:
        shown = str(default)
    assert f"`{shown}`" in row, f"docs/operators.md shows another default for {variable}: {row}"


def test_defaults_apply_when_the_environment_is_empty():
    settings = Settings.from_env({})
    assert (settings.max_tries, settings.gather_timeout, settings.dial_timeout) == (2, 3, 30)
    assert settings.voice == "Polly.Lea-Neural" and settings.auth_token is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IVR_MAX_TRIES": "two"}, "IVR_MAX_TRIES must be a whole number"),
        ({"IVR_MAX_TRIES": "9"}, "IVR_MAX_TRIES=9 is out of range"),
        ({"IVR_DIAL_TIMEOUT": "1"}, "IVR_DIAL_TIMEOUT=1 is out of range"),
        ({"IVR_SPEECH_CONFIDENCE": "haute"}, "IVR_SPEECH_CONFIDENCE must be a number such as 0.5"),
        ({"IVR_SPEECH_CONFIDENCE": "nan"}, "IVR_SPEECH_CONFIDENCE must be a number such as 0.5"),
        ({"IVR_SPEECH_CONFIDENCE": "1.5"}, "IVR_SPEECH_CONFIDENCE=1.5 is out of range"),
        ({"IVR_SPEECH": "oui"}, "IVR_SPEECH must be 1 or 0"),
        ({"IVR_ALLOW_UNSIGNED": "maybe"}, "IVR_ALLOW_UNSIGNED must be 1 or 0"),
        ({"IVR_PLATFORM_NUMBER": "12"}, "IVR_PLATFORM_NUMBER is not a valid phone number"),
        ({"IVR_CALLER_ID": "not a number"}, "IVR_CALLER_ID is not a valid phone number"),
        ({"IVR_CALLER_ID": "08 99 23 45 67"}, "IVR_CALLER_ID is a premium-rate or shared-cost number"),
        ({"IVR_CALLER_ID": "+33 8 21 61 00 00"}, "IVR_CALLER_ID is a premium-rate or shared-cost number"),
        ({"IVR_PLATFORM_NUMBER": "0891 67 00 00"}, "IVR_PLATFORM_NUMBER is a premium-rate or shared-cost number"),
        ({"IVR_PUBLIC_URL": "line.example.org"}, "IVR_PUBLIC_URL must be https://host (http://host for a test)"),
    ],
)
def test_a_bad_setting_is_named(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env(env)


def test_phone_settings_are_normalised():
    settings = Settings.from_env({"IVR_PLATFORM_NUMBER": "06 11 22 33 44", "IVR_CALLER_ID": "+33 9 70 00 00 00"})
    assert (settings.platform_number, settings.caller_id) == ("+33611223344", "+33970000000")


@pytest.mark.parametrize("number", ["08 00 28 80 38", "01 80 00 00 00", "06 12 34 56 78", "09 70 00 00 00"])
def test_a_free_geographic_mobile_or_internet_caller_id_is_taken(number):
    assert Settings.from_env({"IVR_CALLER_ID": number}).caller_id == "+33" + "".join(number.split())[1:]


@pytest.mark.parametrize(
    "url",
    [
        "https://line.example.org/ivr",
        "https://line.example.org/ivr/",
        "ftp://line.example.org",
        "https://line.example.org?x=1",
        "https://",
        "https://user@line.example.org",
    ],
)
def test_a_public_url_with_a_path_or_not_a_host_is_refused(url):
    """Callbacks are written from the root: a path in the public URL would be lost, so it is refused."""
    with pytest.raises(ConfigError, match=re.escape(f"with no path, got {url!r}")):
        Settings.from_env({"IVR_PUBLIC_URL": url})


@pytest.mark.parametrize(
    "url",
    ["https://line.example.org", "https://line.example.org/", "http://127.0.0.1:8000", "https://line.example.org:8443"],
)
def test_a_public_url_of_a_host_is_accepted(url):
    assert Settings.from_env({"IVR_PUBLIC_URL": url}).public_url == url
