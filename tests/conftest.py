"""Fixtures: app -> client -> caller, and a copy of the data to break."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from ivr import create_app
from ivr.flow.loader import load_flow
from tests.paths import ROOT

from .caller import Caller

# Apps built by the tests count nothing unless a test asks (tests/stats give IVR_STATS_URL themselves).
os.environ["IVR_STATS_URL"] = "off"
# The line's clock, for every app the tests build: a Tuesday morning, when offices are open, whatever
# the day the tests run. Tests of other hours set their own (tests/line/test_hours.py).
os.environ["IVR_NOW"] = "2026-12-01T10:00:00+01:00"

CALLER_NUMBER = "+33612345678"  # a recognisable fake caller; must never leak anywhere


@pytest.fixture(scope="session")
def flow():
    return load_flow(ROOT / "data", ROOT / "prompts")


@pytest.fixture
def app():
    return create_app(dev=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def caller(client):
    return Caller(client, caller_number=CALLER_NUMBER)


class DataCopy:
    """A copy of data/ and prompts/ in a temporary folder, edited as YAML."""

    def __init__(self, root: Path, source: Path = ROOT) -> None:
        self.data = root / "data"
        self.prompts = root / "prompts"
        shutil.copytree(source / "data", self.data)
        shutil.copytree(source / "prompts", self.prompts, ignore=shutil.ignore_patterns("audio", "recordings"))

    def path(self, name: str) -> Path:
        return {
            "flow": self.data / "flow.yaml",
            "directory": self.data / "directory.yaml",
            "councils": self.data / "councils.yaml",
            "prompts": self.prompts / "fr.yaml",
        }[name]

    def edit(self, name: str, change) -> None:
        """Load one file, let `change` mutate the parsed YAML, write it back."""
        path = self.path(name)
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def load(self):
        return load_flow(self.data, self.prompts)


@pytest.fixture
def data_copy(tmp_path):
    return DataCopy(tmp_path)
