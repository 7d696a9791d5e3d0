"""The statistics' fixtures: every test that takes `db_url` runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.postgres import Cluster, new_database

from .helpers import close_all

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session: IVR_TEST_DATABASE_URL, or a throwaway cluster."""
    given = os.environ.get("IVR_TEST_DATABASE_URL")
    if given:
        yield given
        return
    cluster = Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty statistics database on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stats.sqlite3'}"
    return new_database(request.getfixturevalue("postgres_server"), f"ivr_test_{os.getpid()}_{next(_names)}")


@pytest.fixture(autouse=True)
def _close_recorders():
    yield
    close_all()
