"""Opening hours: open now, when it opens next, public holidays, and how the line says it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.errors import Problem
from ivr.flow.hours import OPEN, Hours, paris_instant, parse_hours, say_opening, say_time, zone

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


def test_every_problem_of_written_hours_and_what_is_kept():
    raw = {
        "monday": ["09:00-12:00"],
        "tue": ["9:00-12:00", 7, "12:00-09:00", "10:00-24:15", "14:00-15:00", "08:00-09:00"],
        "fri-mon": ["09:00-10:00"],
        "wed": "09:00-12:00",
        "thu": ["12:00-12:00"],
        "sat-sun": ["00:00-24:00"],
    }
    problems: list[Problem] = []
    parsed = parse_hours(raw, "data/directory.yaml", "services.x.open", problems, "971")
    where = "services.x.open"
    assert [(p.file, p.where, p.message) for p in problems] == [
        ("data/directory.yaml", f"{where}.monday", "a day (mon ... sun) or a range of days (mon-fri)"),
        ("data/directory.yaml", f"{where}.tue", "a time range \"HH:MM-HH:MM\" (24 h), got '9:00-12:00'"),
        ("data/directory.yaml", f"{where}.tue", 'a time range "HH:MM-HH:MM" (24 h), got 7'),
        ("data/directory.yaml", f"{where}.tue", "'12:00-09:00': a range ends after it starts, within the day"),
        ("data/directory.yaml", f"{where}.tue", "'10:00-24:15': a range ends after it starts, within the day"),
        ("data/directory.yaml", f"{where}.fri-mon", "a range of days goes forward: mon-fri, not fri-mon"),
        ("data/directory.yaml", f"{where}.thu", "'12:00-12:00': a range ends after it starts, within the day"),
    ]
    day = ((0, 24 * 60),)
    assert parsed == Hours(week=((), ((480, 540), (840, 900)), ((540, 720),), (), (), day, day), subdiv="971")
    assert parse_hours("24/7", "f", "w", problems, "971") == Hours(always=True, subdiv="971")


def test_a_holiday_of_a_departement_of_its_own_is_closed():
    """27 May: the abolition of slavery, a public holiday in Guadeloupe, a working day in Paris."""
    assert hours(subdiv="971").next_opening(at("2026-05-26 17:00")) == at("2026-05-28 09:00")
    assert hours().next_opening(at("2026-05-26 17:00")) == at("2026-05-27 09:00")


@pytest.mark.parametrize(
    ("opening", "now", "said"),
    [
        ("2026-12-01 14:00", "2026-12-01 10:00", "aujourd'hui à quatorze heures"),
        ("2026-12-02 09:00", "2026-12-01 22:00", "demain à neuf heures"),
        ("2026-12-07 09:00", "2026-12-01 10:00", "lundi à neuf heures"),  # six days on
        ("2026-12-08 09:00", "2026-12-01 10:00", "le huit décembre à neuf heures"),  # a week on
        ("2027-01-01 01:00", "2026-12-24 10:00", "le premier janvier à une heure"),
        ("2027-01-02 21:21", "2026-12-24 10:00", "le deux janvier à vingt et une heures vingt et une"),
        ("2027-01-02 02:00", "2026-12-24 10:00", "le deux janvier à deux heures"),
    ],
)
def test_when_a_service_opens_is_said_from_now(opening, now, said):
    assert say_opening(at(opening), at(now)) == said


def test_an_unknown_time_zone_is_named_and_paris_kept():
    problems: list[Problem] = []
    assert zone("Mars/Olympus", "data/directory.yaml", "services.x.timezone", problems) == "Europe/Paris"
    assert [(p.file, p.where, p.message) for p in problems] == [
        ("data/directory.yaml", "services.x.timezone", "unknown time zone 'Mars/Olympus' (such as Europe/Paris)")
    ]
    assert zone("America/Guadeloupe", "f", "w", problems) == "America/Guadeloupe" and len(problems) == 1
