"""Opening hours: open now, when it opens next, public holidays, and how the line says it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.errors import Problem
from ivr.flow.hours import OPEN, Hours, paris_instant, parse_hours, say_opening, say_time

PARIS = ZoneInfo("Europe/Paris")
OFFICE = {"mon-fri": ["09:00-12:00", "13:30-16:00"], "wed": ["09:00-12:00"]}


def hours(raw=None, subdiv=None) -> Hours:
    problems: list[Problem] = []
    parsed = parse_hours(OFFICE if raw is None else raw, "data/directory.yaml", "services.x.open", problems, subdiv)
    assert problems == [] and parsed is not None
    return parsed


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2026-12-01 08:59", False),  # a Tuesday
        ("2026-12-01 09:00", True),
        ("2026-12-01 11:59", True),
        ("2026-12-01 12:00", False),  # a range ends before its last minute
        ("2026-12-01 13:30", True),
        ("2026-12-02 14:00", False),  # Wednesday afternoon: the later entry replaced it
        ("2026-12-05 10:00", False),  # Saturday
        ("2026-12-25 10:00", False),  # Christmas, a Friday
        ("2026-05-14 10:00", False),  # Ascension Day, a Thursday
    ],
)
def test_open_now(instant, is_open):
    assert hours().is_open(at(instant)) is is_open


def test_an_instant_elsewhere_is_read_in_the_service_s_time_zone():
    utc = datetime.fromisoformat("2026-12-01T08:30+00:00")  # 09:30 in Paris
    assert hours().is_open(utc)


@pytest.mark.parametrize(
    ("instant", "said"),
    [
        ("2026-11-29 03:00", "demain à neuf heures"),  # Sunday night
        ("2026-12-01 07:15", "aujourd'hui à neuf heures"),
        ("2026-12-01 12:10", "aujourd'hui à treize heures trente"),
        ("2026-12-02 14:00", "demain à neuf heures"),
        ("2026-12-04 17:00", "lundi à neuf heures"),  # a Friday evening
        ("2026-12-25 10:00", "lundi à neuf heures"),  # Christmas, then the weekend
        ("2026-12-31 17:00", "lundi à neuf heures"),  # New Year's Day is a holiday
    ],
)
def test_when_it_opens_next_is_said_the_french_way(instant, said):
    assert hours().state(at(instant)) == said


def test_a_month_away_names_the_day_and_a_time_with_minutes():
    opening = datetime(2027, 1, 1, 13, 30, tzinfo=PARIS)
    assert (
        say_opening(opening, datetime(2026, 12, 20, 10, 0, tzinfo=PARIS)) == "le premier janvier à treize heures trente"
    )
    assert (say_time(12, 0), say_time(1, 0), say_time(21, 45)) == (
        "midi",
        "une heure",
        "vingt et une heures quarante-cinq",
    )


def test_open_every_hour_and_while_open_nothing_is_said():
    always = hours("24/7")
    for instant in ("2026-12-25 03:00", "2026-11-29 03:00"):
        assert always.is_open(at(instant)) and always.state(at(instant)) == OPEN
    assert hours().state(at("2026-12-01 10:00")) == OPEN


def test_a_departement_s_own_holidays():
    abolition = at("2026-05-27 10:00")  # Abolition of slavery in Guadeloupe, a Wednesday
    assert hours().is_open(abolition)
    assert not hours(subdiv="971").is_open(abolition)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"mon-fri": ["9:00-12:00"]}, '"HH:MM-HH:MM"'),
        ({"mon-fri": ["12:00-09:00"]}, "ends after it starts"),
        ({"lundi": ["09:00-12:00"]}, "a day (mon ... sun)"),
        ({"fri-mon": ["09:00-12:00"]}, "goes forward"),
        ("jour et nuit", '"24/7"'),
        ({}, '"24/7"'),
    ],
)
def test_badly_written_hours_are_refused_with_file_and_key(raw, expected):
    problems: list[Problem] = []
    parse_hours(raw, "data/directory.yaml", "services.cdo_14.open", problems)
    assert problems and all(p.file == "data/directory.yaml" for p in problems)
    assert any(p.where.startswith("services.cdo_14.open") and expected in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        (
            OFFICE,
            "mon-tue 09:00-12:00, 13:30-16:00; wed 09:00-12:00; thu-fri 09:00-12:00, 13:30-16:00 "
            "(closed on public holidays)",
        ),
        (
            {"mon": ["09:00-12:00"], "wed": ["09:00-12:00"]},
            "mon 09:00-12:00; wed 09:00-12:00 (closed on public holidays)",
        ),
        (
            {"mon-wed": ["08:05-17:45"], "sun": ["10:00-24:00"]},
            "mon-wed 08:05-17:45; sun 10:00-24:00 (closed on public holidays)",
        ),
        ("24/7", "24/7"),
    ],
)
def test_hours_are_written_for_staff(raw, written):
    assert hours(raw).describe() == written


def test_hours_that_never_open_are_written_empty_and_said_closed():
    never = Hours()
    assert never.describe() == ""
    assert never.next_opening(at("2026-12-01 10:00")) is None
    assert never.state(at("2026-12-01 10:00")) == "closed"


@pytest.mark.parametrize(
    ("instant", "opening"),
    [
        ("2026-12-01 10:00", None),  # open
        ("2026-12-01 07:00", "2026-12-01 09:00"),
        ("2026-12-01 12:30", "2026-12-01 13:30"),
        ("2026-12-02 12:30", "2026-12-03 09:00"),  # Wednesday: mornings only
        ("2026-12-04 17:00", "2026-12-07 09:00"),  # Friday evening: Monday
        ("2026-12-24 17:00", "2026-12-28 09:00"),  # Christmas Eve, then Christmas, then the weekend
    ],
)
def test_the_next_opening(instant, opening):
    expected = None if opening is None else at(opening)
    assert hours().next_opening(at(instant)) == expected
    said = OPEN if opening is None else say_opening(at(opening), at(instant))
    assert hours().state(at(instant).replace(second=42)) == said


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-12-25 03:00", datetime(2026, 12, 25, 3, 0, tzinfo=PARIS)),
        (" 2026-12-25T03:00 ", datetime(2026, 12, 25, 3, 0, tzinfo=PARIS)),
        ("2026-12-25T03:00+00:00", datetime(2026, 12, 25, 3, 0, tzinfo=UTC)),
    ],
)
def test_an_instant_for_the_clock_is_paris_time_unless_it_says_otherwise(text, instant):
    read = paris_instant(text)
    assert read == instant and read.utcoffset() == instant.utcoffset()


@pytest.mark.parametrize("text", ["hier", "2026-12-25 03:00 x", ""])
def test_a_clock_that_is_no_instant_is_refused(text):
    with pytest.raises(ValueError):
        paris_instant(text)
