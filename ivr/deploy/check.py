"""One line of a report: what was checked, whether it passed, and what was seen."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """A check that passed or failed, with what was seen."""

    name: str
    ok: bool
    detail: str
    items: tuple[str, ...] = ()  # what to do, one line each, printed under the check

    def __str__(self) -> str:
        return "\n        ".join((f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}", *self.items))
