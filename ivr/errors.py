"""Exceptions raised by the line; one base class."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class IVRError(Exception):
    """Base class of every error the line raises on purpose."""


class Problem:
    """One thing wrong in the data: where (file, node, key) and what."""

    __slots__ = ("file", "where", "message", "line")

    def __init__(self, file: str, where: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.where = where
        self.message = message
        self.line = line  # where `where` is written in the file, from 1; None when unknown

    def __str__(self) -> str:
        """`data/flow.yaml:41 [nodes.welcome.say]: message`, the line left out when unknown."""
        line = f":{self.line}" if self.line is not None else ""
        where = f" [{self.where}]" if self.where else ""
        return f"{self.file}{line}{where}: {self.message}"

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
