"""Where the checkout's files are, whatever folder the tests run from."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
