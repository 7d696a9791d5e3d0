"""`called:`, the day someone called a number and reached its service: read, shown by `ivr check`,
required by `ivr check --production` for every number the line says or dials but emergency ones."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.deploy.readiness import production_checks
from ivr.errors import FlowError
from tests.conftest import DataCopy
from tests.paths import FIXTURES

TODAY = dt.date(2026, 11, 29)
LIVE = {"TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef", "IVR_CALLER_ID": "+33974991234", "IVR_PROXY_HOPS": "1"}


@pytest.fixture
def small(tmp_path, monkeypatch):
    """The small flow of tests/fixtures/callers, on 29 November 2026: platform called a week ago, adop
    in May (more than 180 days ago), sps never; suicide_line (31 14) is an emergency number."""
    monkeypatch.setattr("ivr.cli.check.today_is", lambda: TODAY)
    for name in ("IVR_NUMBER_MAX_AGE", "IVR_DATA_DIR", "IVR_PROMPTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    copy = DataCopy(tmp_path, source=FIXTURES / "callers")
    copy.edit("directory", lambda d: d["services"]["platform"].update(called="2026-11-22"))
    copy.edit("directory", lambda d: d["services"]["adop"].update(called="2026-05-01"))
    return copy


def run(copy: DataCopy, *args: str):
    return CliRunner().invoke(main, ["check", "--data", str(copy.data), "--prompts", str(copy.prompts), *args])


def test_called_is_read_as_a_day_quoted_or_not(small):
    small.edit("directory", lambda d: d["services"]["sps"].update(called=dt.date(2026, 11, 1)))  # YAML: unquoted
    services = small.load().services
    assert services["platform"].called == dt.date(2026, 11, 22)
    assert services["sps"].called == dt.date(2026, 11, 1)
    assert services["suicide_line"].called is None, "absent until someone calls"


@pytest.mark.parametrize("written", ["2026-11", "2026", "22/11/2026", "2026-13-01", "2026-02-30", "hier", ""])
def test_called_must_be_a_full_day(small, written):
    small.edit("directory", lambda d: d["services"]["sps"].update(called=written))
    with pytest.raises(FlowError) as info:
        small.load()
    [problem] = info.value.problems
    assert (problem.file, problem.where) == ("data/directory.yaml", "services.sps.called")
    assert f"{written!r} is not a day" in problem.message and "called: YYYY-MM-DD" in problem.message


def test_checked_is_refused_with_what_to_write_instead(small):
    small.edit("directory", lambda d: d["services"]["sps"].update(checked="2026-11-29"))
    with pytest.raises(FlowError) as info:
        small.load()
    [problem] = info.value.problems
    assert str(problem).startswith("data/directory.yaml:26 [services.sps.checked]: `checked` is no longer read")
    assert "the day it was consulted (`date: YYYY-MM-DD` next to its `url:`)" in problem.message
    assert "`called: YYYY-MM-DD` only if someone called the number and reached the service" in problem.message
    result = run(small)
    assert result.exit_code == 1 and "[services.sps.checked]: `checked` is no longer read" in result.output


def test_a_call_after_today_is_refused(small):
    small.edit("directory", lambda d: d["services"]["sps"].update(called="2026-11-30"))
    result = run(small)
    assert result.exit_code == 1
    assert "data/directory.yaml [services.sps.called]: 2026-11-30 is after today (2026-11-29)" in result.output


def test_check_shows_sources_and_calls_and_lists_the_numbers_to_call(small):
    result = run(small)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()

    def entry(number):
        i = next(i for i, line in enumerate(lines) if line.startswith(f"  {number} "))
        return lines[i], lines[i + 1].strip()

    assert entry("0800 288 038") == (
        "  0800 288 038     platform       [seed] called 2026-11-22",
        "sources: seed 004_ecb87066e0f6f928.txt (undated)",
    )
    assert entry("0805 23 23 36") == (
        "  0805 23 23 36    sps            [TO CONFIRM] never called: TO CALL",
        "sources: https://www.asso-sps.fr/prise-en-charge/plateforme-telephonique (consulted 2026-11-29)",
    )
    assert entry("0800 73 69 59")[0] == (
        "  0800 73 69 59    adop           [TO CONFIRM] called 2026-05-01, 212 days ago: TO CALL AGAIN"
    )
    assert entry("31 14")[0] == (
        "  31 14            suicide_line   [TO CONFIRM] emergency number: not to be called for a test; "
        "checked against its sources"
    )
    assert "[seed]: a seed document gives it; [TO CONFIRM]: only public pages give it" in result.output
    start = lines.index("To confirm: call it (2), never called or called more than 180 days ago:")
    assert lines[start + 1 : start + 4] == [
        "  0805 23 23 36    sps            Écoute de tous les soignants et de leurs proches",
        "  0800 73 69 59    adop           Écoute des pharmaciens",
        "Call each at the hours it claims; once the service named has answered, write the day in its "
        "`called:` in data/directory.yaml (docs/staff.md, How to check a number).",
    ]
    assert "Emergency numbers (31 14): not to be called for a test; checked against their sources." in lines


def test_strict_fails_until_every_number_is_called_recently(small):
    assert run(small, "--strict").exit_code == 1
    assert run(small, "--strict", "--max-age", "365").exit_code == 1, "sps was never called"
    small.edit("directory", lambda d: d["services"]["sps"].update(called="2026-11-29"))
    assert run(small, "--strict").exit_code == 1, "adop was called 212 days ago"
    result = run(small, "--strict", "--max-age", "212")
    assert result.exit_code == 0 and "To confirm: call it" not in result.output


def test_production_fails_with_the_numbers_to_call_then_passes_once_they_are_called(small, monkeypatch):
    monkeypatch.delenv("IVR_NOW")  # the tests' clock: the live line keeps the real time
    small.edit(
        "directory",
        lambda d: d["services"].update(
            unused={
                "name": "Rien",
                "number": "01 45 00 00 01",
                "professions": ["medecin"],
                "source": {"seed": "003_d1ef49de34176248.txt"},
            }
        ),
    )

    def called() -> list:
        return [c for c in production_checks(LIVE, small.data, small.prompts, TODAY) if c.name == "numbers called"]

    [check] = called()
    assert not check.ok
    assert check.detail.startswith("2 number(s) never called from this line or not within 180 days")
    assert (
        "emergency and national short numbers (31 14): not to be called for a test; checked against their sources"
        in check.detail
    )
    assert check.items == (
        "0805 23 23 36    sps            Écoute de tous les soignants et de leurs proches (never called: TO CALL)",
        "0800 73 69 59    adop           Écoute des pharmaciens (called 2026-05-01, 212 days ago: TO CALL AGAIN)",
    )
    for name, value in LIVE.items():
        monkeypatch.setenv(name, value)
    result = run(small, "--production")
    assert result.exit_code == 1
    assert "FAIL  numbers called: 2 number(s) never called" in result.output
    assert "\n        0805 23 23 36    sps            Écoute de tous les soignants" in result.output

    small.edit("directory", lambda d: d["services"]["sps"].update(called="2026-11-29"))
    small.edit("directory", lambda d: d["services"]["adop"].update(called="2026-11-28"))
    [check] = called()
    assert check.ok and check.items == (), "the unused service and the emergency number need no call"
    assert check.detail == (
        "every number called within 180 days; emergency and national short numbers (31 14): not to be called "
        "for a test; checked against their sources"
    )
    result = run(small, "--production")
    assert result.exit_code == 0, result.output
    assert "ok    numbers called: every number called within 180 days" in result.output


def test_an_emergency_number_is_exempt_but_a_full_number_for_everyone_is_not(small):
    small.edit("directory", lambda d: d["services"]["sps"].update(called="2026-11-29"))
    small.edit("directory", lambda d: d["services"]["adop"].update(called="2026-11-28"))
    small.edit("directory", lambda d: d["services"]["suicide_line"].update(number="0800 73 69 58"))
    services = small.load().services
    assert not services["suicide_line"].emergency, "a full number anyone may call can be called for a test"
    [check] = [c for c in production_checks(LIVE, small.data, small.prompts, TODAY) if c.name == "numbers called"]
    assert not check.ok and check.items == (
        "0800 73 69 58    suicide_line   Prévention du suicide (never called: TO CALL)",
    )
