"""Exceptions raised by the line; one base class."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class IVRError(Exception):
    """Base class of every error the line raises on purpose."""


class Problem:
    """One thing wrong in the data: where (file, node, key) and what."""

    __slots__ = ("file", "where", "message")

    def __init__(self, file: str, where: str, message: str) -> None:
        self.file = file
        self.where = where
        self.message = message

    def __str__(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        return f"{self.file}{where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """The closest known names to a mistyped one, as a question ending with a space; "" when none is close."""
    close = difflib.get_close_matches(name, sorted(known), n=2)
    return f"did you mean {' or '.join(map(repr, close))}? " if close else ""


class FlowError(IVRError):
    """The flow, directory or prompts are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid call flow ({len(self.problems)} problem(s)):\n{lines}")


class CallStateError(IVRError):
    """The position sent back by Twilio in a callback URL is unknown or inconsistent."""


class ConfigError(IVRError):
    """A setting from the environment is missing or invalid."""
