"""Opening hours: whether a service answers at an instant, when it opens next, and how to say it.

Written in data/directory.yaml as `open:`, from the service's source: `"24/7"`, or days and time
ranges in the service's own time zone (Europe/Paris unless `timezone:` says otherwise):

    open:
      mon-fri: ["09:00-12:00", "13:30-16:00"]
      wed: ["09:00-12:00"]      # a later entry replaces what an earlier one said of its days

Public holidays (the `holidays` library: France, with a département's own days when it has them)
are closed, unless the service is open 24/7.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from num2words import num2words

from ..errors import Problem

ALWAYS = "24/7"
PARIS = "Europe/Paris"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_DAYS = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$")
SUBDIVISIONS = tuple(holidays.France.subdivisions)  # départements with public holidays of their own
HORIZON_DAYS = 21  # the next opening is looked for over three weeks (a holiday bridge, a closed week)

Minutes = tuple[int, int]  # a time range, in minutes from midnight: (start, end), start < end


@dataclass(frozen=True)
class Hours:
    """When a service answers: every day and hour (`always`), or ranges per weekday (0 = Monday)."""

    week: tuple[tuple[Minutes, ...], ...] = ((),) * 7
    always: bool = False
    timezone: str = PARIS
    subdiv: str | None = None  # the département whose own public holidays apply ("971", "57")

    def local(self, at: datetime) -> datetime:
        """The instant in the service's own time zone."""
        return at.astimezone(ZoneInfo(self.timezone))

    def is_open(self, at: datetime) -> bool:
        """Tell whether the service answers at this instant (an aware datetime)."""
        if self.always:
            return True
        here = self.local(at)
        if _is_holiday(here.date(), self.subdiv):
            return False
        minute = here.hour * 60 + here.minute
        return any(start <= minute < end for start, end in self.week[here.weekday()])

    def next_opening(self, at: datetime) -> datetime | None:
        """The next instant the service opens, after `at` (None: open now, or nothing in three weeks)."""
        if self.is_open(at):
            return None
        here = self.local(at)
        for offset in range(HORIZON_DAYS + 1):
            day = here.date() + timedelta(days=offset)
            if _is_holiday(day, self.subdiv):
                continue
            for start, _ in self.week[day.weekday()]:
                opening = datetime(day.year, day.month, day.day, start // 60, start % 60, tzinfo=here.tzinfo)
                if opening > here:
                    return opening
        return None

    def describe(self) -> str:
        """Write the hours for staff: "24/7", or "mon-tue 09:00-12:00, 13:30-16:00; wed 09:00-12:00"."""
        if self.always:
            return ALWAYS
        groups: list[tuple[int, int, tuple[Minutes, ...]]] = []
        for day, ranges in enumerate(self.week):
            if ranges and groups and groups[-1][2] == ranges and groups[-1][1] == day - 1:
                groups[-1] = (groups[-1][0], day, ranges)
            elif ranges:
                groups.append((day, day, ranges))
        return "; ".join(
            f"{DAYS[a]}{'-' + DAYS[b] if b != a else ''} "
            + ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in ranges)
            for a, b, ranges in groups
        ) + (" (closed on public holidays)" if groups else "")

    def state(self, at: datetime) -> str:
        """Name what a caller would be told at this instant: "open", or when it opens ("lundi à neuf
        heures"), or "closed" when no opening is known within three weeks. Worked out once a minute."""
        return _state(self, at.replace(second=0, microsecond=0))

    def _state(self, at: datetime) -> str:
        if self.is_open(at):
            return OPEN
        opening = self.next_opening(at)
        return say_opening(opening, self.local(at)) if opening is not None else CLOSED


OPEN, CLOSED = "open", "closed"


@lru_cache(maxsize=1024)
def _state(hours: Hours, minute: datetime) -> str:
    return hours._state(minute)  # the webhooks ask at every key press near a council: once a minute is enough


def paris_instant(text: str) -> datetime:
    """Read an instant for the line's clock: "2026-12-25 03:00" or "2026-12-25T03:00" (Paris time),
    or ISO 8601 with an offset; raise ValueError when it is not a date and time."""
    parsed = datetime.fromisoformat(text.strip())  # a space between date and time is read as the T
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(PARIS))


@lru_cache(maxsize=64)
def _calendar(year: int, subdiv: str | None) -> holidays.HolidayBase:
    return holidays.France(years=year, subdiv=subdiv)


def _is_holiday(day: date, subdiv: str | None) -> bool:
    return day in _calendar(day.year, subdiv)


def say_time(hour: int, minute: int) -> str:
    """Say a time of day the French way: "neuf heures", "treize heures trente", "midi"."""
    if (hour, minute) == (12, 0):
        return "midi"
    words = f"{_feminine(hour)} heure{'s' if hour > 1 else ''}"
    return f"{words} {_feminine(minute)}" if minute else words


def _feminine(number: int) -> str:
    """A number before "heure(s)" or meaning minutes (0 to 59): "une", "vingt et une"."""
    words = num2words(number, lang="fr")
    return words[:-2] + "une" if words == "un" or words.endswith(" un") else words


def say_opening(opening: datetime, now: datetime) -> str:
    """Say when a closed service opens, seen from `now` (same time zone): "aujourd'hui à quatorze
    heures", "demain à neuf heures", "lundi à neuf heures", "le deux janvier à neuf heures"."""
    days = (opening.date() - now.date()).days
    at = say_time(opening.hour, opening.minute)
    if days == 0:
        return f"aujourd'hui à {at}"
    if days == 1:
        return f"demain à {at}"
    if days < 7:
        return f"{FRENCH_DAYS[opening.weekday()]} à {at}"
    day = "premier" if opening.day == 1 else num2words(opening.day, lang="fr")
    return f"le {day} {FRENCH_MONTHS[opening.month - 1]} à {at}"


def parse_hours(raw: Any, file: str, where: str, problems: list[Problem], subdiv: str | None = None) -> Hours | None:
    """Read `open:` ("24/7", or day names to time ranges); report every problem, naming file and key."""
    if raw is None:
        return None
    if raw == ALWAYS:
        return Hours(always=True, subdiv=subdiv)
    if not isinstance(raw, Mapping) or not raw:
        problems.append(
            Problem(file, where, f'write "{ALWAYS}", or days and ranges: {{mon-fri: ["09:00-12:00", "13:30-16:00"]}}')
        )
        return None
    week: list[tuple[Minutes, ...]] = [()] * 7
    for key, ranges in raw.items():
        days = _DAYS.match(str(key))
        if days is None:
            problems.append(Problem(file, f"{where}.{key}", "a day (mon ... sun) or a range of days (mon-fri)"))
            continue
        first = DAYS.index(days.group(1))
        last = DAYS.index(days.group(2)) if days.group(2) else first
        parsed = _ranges(ranges, file, f"{where}.{key}", problems)
        for day in range(first, last + 1):  # none when the range goes backward
            week[day] = parsed
        if first > last:
            problems.append(Problem(file, f"{where}.{key}", "a range of days goes forward: mon-fri, not fri-mon"))
    return Hours(week=tuple(week), subdiv=subdiv)


def _ranges(raw: Any, file: str, where: str, problems: list[Problem]) -> tuple[Minutes, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out: list[Minutes] = []
    for item in items:
        match = _RANGE.match(item) if isinstance(item, str) else None
        if match is None:
            problems.append(Problem(file, where, f'a time range "HH:MM-HH:MM" (24 h), got {item!r}'))
            continue
        start = int(match.group(1)) * 60 + int(match.group(2))
        end = int(match.group(3)) * 60 + int(match.group(4))
        if not start < end <= 24 * 60:
            problems.append(Problem(file, where, f"{item!r}: a range ends after it starts, within the day"))
            continue
        out.append((start, end))
    return tuple(sorted(out))


def zone(name: str, file: str, where: str, problems: list[Problem]) -> str:
    """Check a time zone name (Europe/Paris, America/Guadeloupe...)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(file, where, f"unknown time zone {name!r} (such as Europe/Paris)"))
        return PARIS
    return name
