"""The directory of services: every number the line can say or dial, with its source."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import phonenumbers
from phonenumbers import shortnumberinfo

from ..errors import Problem
from .fields import Fields
from .words import number_words, spoken_number

REGION = "FR"
_SEED = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GROUP = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²" is a digit to str.isdigit


@dataclass(frozen=True)
class Source:
    """Where a number comes from: a seed document, or a public page consulted on a date."""

    seed: str | None = None
    url: str | None = None
    date: str | None = None

    @property
    def confirmed(self) -> bool:
        """Tell whether the number comes from the seed documents."""
        return self.seed is not None

    def __str__(self) -> str:
        return f"seed {self.seed}" if self.seed else f"{self.url} (consulted {self.date})"


@dataclass(frozen=True)
class Service:
    """A service the caller can be told about or put through to."""

    id: str
    name: str
    number: str  # as written, in spoken groups
    words: tuple[str, ...]  # one entry per group, in French words
    dial: str | None  # E.164 for a full number; None for a short number (15, 3114)
    hours: str | None
    professions: tuple[str, ...]
    source: Source

    @property
    def spoken(self) -> str:
        """Say the number as one phrase, the French way."""
        return spoken_number(self.number) if self.words else ""


def _parse_number(written: str, where: str, file: str, problems: list[Problem]) -> str | None:
    """Return the E.164 form of a full number, "" for a short number, None when invalid."""
    groups = written.split()
    if not groups or not all(_GROUP.fullmatch(g) for g in groups):
        problems.append(Problem(file, where, f"number {written!r} must be groups of 1 to 3 digits "
                                "separated by spaces, as it is read aloud (e.g. \"09 80 80 03 07\")"))
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
            problems.append(Problem(file, where, f"number {written!r} is premium-rate (08 9x): a caller in "
                                    "distress must never pay to be helped"))
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if parsed is not None and shortnumberinfo.is_valid_short_number_for_region(parsed, REGION):
        return ""
    problems.append(Problem(file, where, f"number {written!r} is neither a valid French number "
                            "(10 digits) nor a valid French short number (such as 15, 112, 3114)"))
    return None


def _parse_source(raw: Any, where: str, file: str, problems: list[Problem]) -> Source:
    fields = Fields(raw, file, f"{where}.source", problems, allowed=("seed", "url", "date"))
    seed, url, date = (fields.text(key, required=False) for key in ("seed", "url", "date"))
    if seed is not None:
        if not _SEED.match(seed):
            problems.append(Problem(file, f"{where}.source.seed",
                                    f"{seed!r} is not a seed file name (like 003_d1ef49de34176248.txt)"))
        return Source(seed=seed)
    if url is None or date is None or not url.startswith("https://") or not _DATE.match(date):
        problems.append(Problem(file, f"{where}.source",
                                "give either `seed: <seed file>` or both `url: https://...` and "
                                "`date: YYYY-MM-DD` (the day the page was consulted)"))
    return Source(url=url, date=date)


def parse_directory(raw: Any, file: str, problems: list[Problem]) -> Mapping[str, Service]:
    """Build the services from the parsed directory file, appending every problem found."""
    top = Fields(raw, file, "", problems, allowed=("services",))
    services: dict[str, Service] = {}
    for sid, entry in top.mapping("services").items():
        where = f"services.{sid}"
        fields = Fields(entry, file, where, problems,
                        allowed=("name", "number", "hours", "professions", "source"))
        written = fields.text("number") or ""
        dial = _parse_number(written, f"{where}.number", file, problems) if written else None
        source = _parse_source(fields.get("source"), where, file, problems) if "source" in fields else Source()
        if "source" not in fields:
            problems.append(Problem(file, f"{where}.source", "every number needs its source"))
        services[sid] = Service(
            id=sid,
            name=fields.text("name") or sid,
            number=written,
            words=number_words(written) if dial is not None else (),
            dial=dial or None,
            hours=fields.text("hours", required=False),
            professions=fields.text_list("professions", required=False),
            source=source,
        )
    return MappingProxyType(services)
