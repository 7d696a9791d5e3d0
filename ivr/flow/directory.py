"""The directory of services: every number the line can say or dial, with its sources (and the day
each was consulted), the day someone last called it, and the numbers it replaced."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import phonenumbers
from phonenumbers import shortnumberinfo

from ..errors import Problem, did_you_mean
from .fields import Fields
from .hours import SUBDIVISIONS, Hours, parse_hours, zone
from .words import number_words, spoken_number

REGION = "FR"
_SEED = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PROFESSION = re.compile(r"^[a-z][a-z0-9_]*$")
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")  # 2018, 2018-04 or 2018-04-26
_GROUP = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²" is a digit to str.isdigit
_SPECIAL = re.compile(r"08[0-9][0-9]")  # 0800, 0805...: said "zéro huit cents" as one group
EVERYONE = "all"  # `professions: all`: an emergency number, for whoever calls
FAMILY = "famille"  # a caller who calls for a health professional of their family


@dataclass(frozen=True)
class Source:
    """Where a number comes from: a seed document (dated when its text says when it was written), or a
    public page consulted on a date."""

    seed: str | None = None
    url: str | None = None
    date: str | None = None  # a page: the day it was consulted; a seed: its own date, as it says it

    @property
    def confirmed(self) -> bool:
        """Tell whether the number comes from the seed documents."""
        return self.seed is not None

    def __str__(self) -> str:
        if self.seed:
            return f"seed {self.seed} ({f'dated {self.date}' if self.date else 'undated'})"
        return f"{self.url} (consulted {self.date})"


@dataclass(frozen=True)
class Service:
    """A service the caller can be told about or put through to."""

    id: str
    name: str
    number: str  # as written, in spoken groups
    words: tuple[str, ...]  # one entry per group, in French words
    dial: str | None  # E.164 for a full number; None for a short number (15, 3114)
    hours: str | None
    professions: tuple[str, ...]  # who it serves, from its sources; EVERYONE for an emergency number
    sources: tuple[Source, ...]
    called: date | None = None  # the day someone last called the number and reached the service
    families: bool = False  # it also takes the family of a health professional (the caller FAMILY)
    whisper: bool = False  # whoever answers it expects this line, and may hear the whisper first
    opening: Hours | None = None  # when it answers (`open:`), from its source; None: not known

    def serves(self, caller: str) -> bool:
        """Tell whether the service is for a caller of this profession (or FAMILY)."""
        if EVERYONE in self.professions:
            return True
        return self.families if caller == FAMILY else caller in self.professions

    @property
    def source(self) -> str:
        """Say where the number comes from, every source in turn."""
        return "; ".join(map(str, self.sources)) or "no source"

    @property
    def confirmed(self) -> bool:
        """Tell whether the number comes from the seed documents."""
        return any(s.confirmed for s in self.sources)

    @property
    def emergency(self) -> bool:
        """Tell whether this is an emergency short number (15, 112, 3114...): never called for a test."""
        return EVERYONE in self.professions and self.dial is None

    @property
    def spoken(self) -> str:
        """Say the number as one phrase, the French way."""
        return spoken_number(self.number) if self.words else ""

    def age(self, today: date) -> int | None:
        """Return the days since someone last called the number (None when nobody has)."""
        return None if self.called is None else (today - self.called).days


@dataclass(frozen=True)
class Superseded:
    """A number the line used to give, now replaced: kept as history, never said nor dialled."""

    number: str
    digits: str
    successor: str  # the service that replaced it
    since: str | None  # when it was in use, as written (2018, 2018-04, 2018-04-26)
    until: str | None
    sources: tuple[Source, ...]
    note: str | None = None


@dataclass(frozen=True)
class Directory:
    """Every service of the line, the numbers they replaced, and who calls (profession -> words)."""

    services: Mapping[str, Service]
    superseded: tuple[Superseded, ...] = ()
    professions: Mapping[str, str] = field(default_factory=dict)


def unknown_caller(name: str, known: Iterable[str]) -> str:
    """Say that a profession is unknown, with the closest known ones."""
    known = sorted(known)
    return f"unknown profession {name!r}: {did_you_mean(name, known)}known: {', '.join(known)}"


_NOTATION = re.compile(r"\+?[0-9 .()/-]+")  # 0X.XX.XX.XX.XX, 0XXXXXXXXX, +33 X XX XX XX XX, 0X-XX-...


def _spaced(written: str) -> str | None:
    """A French number written another common way, in the spaced groups it is read aloud in
    ("0X XX XX XX XX", "08XX XXX XXX", "XX XX"); None when it is no such number."""
    if not _NOTATION.fullmatch(written.strip()):
        return None
    try:
        parsed = phonenumbers.parse(written, REGION)
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != phonenumbers.country_code_for_region(REGION):
        return None
    digits = str(parsed.national_number)
    if len(digits) == 9 and phonenumbers.is_possible_number(parsed):
        national = f"0{digits}"
        if _SPECIAL.fullmatch(national[:4]):
            return f"{national[:4]} {national[4:7]} {national[7:]}"
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    if shortnumberinfo.is_valid_short_number_for_region(parsed, REGION):
        return digits if len(digits) <= 3 else " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))
    return None


def _parse_number(written: str, where: str, file: str, problems: list[Problem]) -> str | None:
    """Return the E.164 form of a full number, "" for a short number, None when invalid."""
    groups = written.split()
    if not groups or not all(_GROUP.fullmatch(g) or (i == 0 and _SPECIAL.fullmatch(g)) for i, g in enumerate(groups)):
        spaced = _spaced(written)
        problems.append(
            Problem(
                file,
                where,
                f'number {written!r} must be written in groups as it is read aloud: write "{spaced}"'
                if spaced
                else f"number {written!r} must be groups of 1 to 3 digits "
                'separated by spaces, as it is read aloud ("0X XX XX XX XX"; a number starting '
                '08 may start with one group of four: "08XX XXX XXX")',
            )
        )
        return None
    digits = "".join(groups)
    try:
        parsed = phonenumbers.parse(digits, REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and len(digits) == 10 and digits.startswith("0"):
        if not phonenumbers.is_valid_number(parsed):
            problems.append(Problem(file, where, f"number {written!r} is not a valid French number"))
            return None
        if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.PREMIUM_RATE:
            problems.append(
                Problem(
                    file,
                    where,
                    f"number {written!r} is premium-rate (08 9x): a caller in distress must never pay to be helped",
                )
            )
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if parsed is not None and shortnumberinfo.is_valid_short_number_for_region(parsed, REGION):
        return ""
    problems.append(
        Problem(
            file,
            where,
            f"number {written!r} is neither a valid French number "
            "(10 digits) nor a valid French short number (such as 15, 112, 3114)",
        )
    )
    return None


def parse_period(text: str | None) -> date | None:
    """Read 2018, 2018-04 or 2018-04-26 as the first day it names; None when it is none of these."""
    match = _PERIOD.match(text or "")
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_source(raw: Any, where: str, file: str, problems: list[Problem]) -> Source:
    fields = Fields(raw, file, where, problems, allowed=("seed", "url", "date"))
    seed, url, day = (fields.text(key, required=False) for key in ("seed", "url", "date"))
    if seed is not None:
        if not _SEED.match(seed):
            problems.append(
                Problem(file, f"{where}.seed", f"{seed!r} is not a seed file name (like 003_d1ef49de34176248.txt)")
            )
        if url is not None or (day is not None and parse_period(day) is None):
            problems.append(
                Problem(
                    file,
                    where,
                    "a seed source is `seed: <seed file>`, with `date:` only when the document says when it "
                    "was written (YYYY-MM-DD, YYYY-MM or YYYY)",
                )
            )
        return Source(seed=seed, date=day)
    if url is None or day is None or not url.startswith("https://") or not _DATE.match(day):
        problems.append(
            Problem(
                file,
                where,
                "give either `seed: <seed file>` or both `url: https://...` and "
                "`date: YYYY-MM-DD` (the day the page was consulted)",
            )
        )
    return Source(url=url, date=day)


def parse_sources(fields: Fields, where: str, file: str, problems: list[Problem]) -> tuple[Source, ...]:
    """Read `source`: one mapping, or a list of them; every number needs at least one."""
    raw = fields.get("source")
    if raw is None:
        problems.append(Problem(file, f"{where}.source", "every number needs its source"))
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(
        _parse_source(item, f"{where}.source" + (f"[{i}]" if isinstance(raw, list) else ""), file, problems)
        for i, item in enumerate(items)
    )


def _parse_called(fields: Fields, where: str, file: str, problems: list[Problem]) -> date | None:
    """Read `called`, the day someone called the number and reached the service (absent until then)."""
    if "checked" in fields:
        problems.append(
            Problem(
                file,
                f"{where}.checked",
                "`checked` is no longer read: it mixed the day a page was read with the day someone called. "
                "Give each source the day it was consulted (`date: YYYY-MM-DD` next to its `url:`), and write "
                "`called: YYYY-MM-DD` only if someone called the number and reached the service",
            )
        )
    raw = fields.get("called")
    if raw is None:
        return None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw  # written without quotes: YAML reads it as a date
    written = raw.strip() if isinstance(raw, str) else ""
    day = parse_period(written) if _DATE.match(written) else None
    if day is None:
        problems.append(
            Problem(
                file,
                f"{where}.called",
                f"{raw!r} is not a day: write the full day someone called the number and reached the service "
                "(called: YYYY-MM-DD)",
            )
        )
    return day


def future_calls(services: Mapping[str, Service], today: date, file: str) -> list[Problem]:
    """List the services whose `called` is after `today`: a call that has not happened yet."""
    return [
        Problem(
            file,
            f"services.{sid}.called",
            f"{s.called.isoformat()} is after today ({today.isoformat()}): write the day someone called it",
        )
        for sid, s in services.items()
        if s.called is not None and s.called > today
    ]


def _parse_professions(top: Fields, file: str, problems: list[Problem]) -> dict[str, str]:
    """Read `professions`: id -> what it covers, in words."""
    out: dict[str, str] = {}
    for pid, text in top.mapping("professions").items():
        where = f"professions.{pid}"
        if not isinstance(pid, str) or not _PROFESSION.match(pid) or pid in (EVERYONE, FAMILY):
            problems.append(
                Problem(
                    file,
                    where,
                    "a profession id is lower-case letters, digits and _ "
                    f"({EVERYONE!r} and {FAMILY!r} are the line's own)",
                )
            )
        elif not isinstance(text, str) or not text.strip():
            problems.append(Problem(file, where, "say in words who this profession covers"))
        else:
            out[pid] = " ".join(text.split())
    return out


def _parse_served(
    fields: Fields, where: str, file: str, professions: Mapping[str, str], problems: list[Problem]
) -> tuple[str, ...]:
    """Read a service's `professions`: a list of known ids, or `all` for an emergency number."""
    served = fields.text_list("professions", required=False)
    if not served:
        problems.append(
            Problem(
                file,
                f"{where}.professions",
                "say who the service serves, from its source: a list of professions (see `professions` at the "
                f"top), or `{EVERYONE}` for an emergency number",
            )
        )
    if served == (EVERYONE,):
        return served
    for name in served:
        if name not in professions:
            problems.append(Problem(file, f"{where}.professions", unknown_caller(name, professions)))
    return served


def _parse_opening(fields: Fields, where: str, file: str, problems: list[Problem]) -> Hours | None:
    """Read `open:`, with the service's `timezone:` and the département of its `holidays:`."""
    subdiv = fields.text("holidays", required=False)
    if subdiv is not None and subdiv not in SUBDIVISIONS:
        problems.append(
            Problem(
                file,
                f"{where}.holidays",
                f"{subdiv!r} has no public holidays of its own; known: {', '.join(SUBDIVISIONS)}",
            )
        )
        subdiv = None
    hours = parse_hours(fields.get("open"), file, f"{where}.open", problems, subdiv)
    timezone = fields.text("timezone", required=False)
    if hours is not None and timezone is not None:
        hours = replace(hours, timezone=zone(timezone, file, f"{where}.timezone", problems))
    return hours


def parse_directory(raw: Any, file: str, problems: list[Problem]) -> Directory:
    """Build the services and the superseded numbers from the parsed directory file, appending every
    problem found."""
    top = Fields(raw, file, "", problems, allowed=("professions", "services", "superseded"))
    professions = _parse_professions(top, file, problems)
    services: dict[str, Service] = {}
    for sid, entry in top.mapping("services").items():
        where = f"services.{sid}"
        fields = Fields(
            entry,
            file,
            where,
            problems,
            allowed=(
                "name",
                "number",
                "hours",
                "open",
                "timezone",
                "holidays",
                "professions",
                "families",
                "whisper",
                "source",
                "called",
                "checked",
            ),
        )
        written = fields.text("number") or ""
        dial = _parse_number(written, f"{where}.number", file, problems) if written else None
        sources = parse_sources(fields, where, file, problems)
        called = _parse_called(fields, where, file, problems)
        services[sid] = Service(
            id=sid,
            name=fields.text("name") or sid,
            number=written,
            words=number_words(written) if dial is not None else (),
            dial=dial or None,
            hours=fields.text("hours", required=False),
            professions=_parse_served(fields, where, file, professions, problems),
            sources=sources,
            called=called,
            families=fields.flag("families"),
            whisper=fields.flag("whisper"),
            opening=_parse_opening(fields, where, file, problems),
        )
    superseded = []
    for i, entry in enumerate(top.items("superseded")):
        where = f"superseded[{i}]"
        fields = Fields(
            entry, file, where, problems, allowed=("number", "successor", "from", "until", "source", "note")
        )
        written = fields.text("number") or ""
        if written and _parse_number(written, f"{where}.number", file, problems) is None:
            continue
        successor = fields.text("successor") or ""
        if successor and successor not in services:
            problems.append(
                Problem(
                    file,
                    f"{where}.successor",
                    f"unknown service {successor!r}; {did_you_mean(successor, services)}"
                    f"known services: {', '.join(sorted(services))}",
                )
            )
        for key in ("from", "until"):
            value = fields.text(key, required=False)
            if value is not None and parse_period(value) is None:
                problems.append(
                    Problem(file, f"{where}.{key}", f"{value!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
                )
        superseded.append(
            Superseded(
                number=written,
                digits="".join(written.split()),
                successor=successor,
                since=fields.text("from", required=False),
                until=fields.text("until", required=False),
                sources=parse_sources(fields, where, file, problems),
                note=fields.text("note", required=False),
            )
        )
    old_digits = {old.digits for old in superseded}
    for sid, service in services.items():
        digits = "".join(service.number.split())
        for old in superseded:
            if digits and digits == old.digits:
                new = services.get(old.successor)
                successor = (
                    f"{new.number} (service {old.successor})"
                    if new and "".join(new.number.split()) not in old_digits
                    else f"the current number of service {old.successor}"
                )
                problems.append(
                    Problem(
                        file,
                        f"services.{sid}.number",
                        f"{service.number} is superseded"
                        f"{f' since {old.until}' if old.until else ''}: it was replaced by "
                        f"{successor}; the line must never say or dial it",
                    )
                )
    return Directory(MappingProxyType(services), tuple(superseded), MappingProxyType(professions))
