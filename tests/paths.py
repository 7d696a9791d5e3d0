"""Where the checkout's files are, whatever folder the tests run from."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"  # small flows of the tests' own, each with data/ and prompts/

LINE_NUMBER = "+33970000000"  # the line's own number (IVR_CALLER_ID): what the platform sees
