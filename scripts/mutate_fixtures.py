"""A pytest plugin for scripts/mutate: what a shared fixture calls counts for every test using it.

mutmut runs, for each mutant, only the tests seen calling the function it changes. A fixture set up
once for many tests (the session's `flow`, built with the shipped data) is seen only by the first
test that asked for it; the others use its result all the same. So each fixture's calls are kept
when it is set up, and added to those of every test that asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mutmut.state import state

HITS = "_mutate_hits"


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
