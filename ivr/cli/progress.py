"""How far a long command is, on stderr and only when stderr is a terminal: stdout stays the report."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


def on_terminal() -> bool:
    """Tell whether stderr is a terminal someone watches (not a file, a pipe or a test)."""
    return sys.stderr.isatty()


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Callable[[int], object]]:
    """Yield a function to call with the steps done: a bar on stderr (its end known when `total` is),
    or nothing at all when stderr is not a terminal."""
    if not on_terminal():
        yield lambda steps: None
        return
    with click.progressbar(
        itertools.count() if total is None else None,  # an end not known: the steps counted
        length=total,
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=total is not None,
    ) as bar:
        yield bar.update
