"""A pytest plugin for scripts/mutate: what a shared fixture calls counts for every test using it,
and no cached answer of the original code reaches a mutant.

mutmut runs, for each mutant, only the tests seen calling the function it changes. A fixture set up
once for many tests (the session's `flow`, built with the shipped data) is seen only by the first
test that asked for it; the others use its result all the same. So each fixture's calls are kept
when it is set up, and added to those of every test that asks for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from mutmut.state import state
from werkzeug.local import LocalProxy

HITS = "_mutate_hits"


def pytest_sessionstart(session: Any) -> None:
    """Empty the line's module-level caches (functools): each mutant's tests run in a process forked
    from the one that ran the original code, and must not be answered what the original computed."""
    for name, module in list(sys.modules.items()):
        if name == "ivr" or name.startswith("ivr."):
            for value in list(vars(module).values()):
                if isinstance(value, LocalProxy):  # Flask's current_app: nothing to clear, and unbound here
                    continue
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Iterator[None]:
    before = set(state()._stats)
    yield
    setattr(fixturedef, HITS, set(state()._stats) - before)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: Any) -> Iterator[None]:
    yield
    for name in item.fixturenames:
        for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
            state()._stats.update(getattr(fixturedef, HITS, ()))
