"""Which version of the line is running: the package's version and, when known, the git commit."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

# Where hosts put the deployed commit: set GIT_COMMIT yourself, or let the platform set its own
# (Heroku's dyno metadata, Clever Cloud's COMMIT_ID).
COMMIT_VARIABLES = ("GIT_COMMIT", "SOURCE_VERSION", "HEROKU_BUILD_COMMIT", "HEROKU_SLUG_COMMIT", "COMMIT_ID")


def running(environ: Mapping[str, str] | None = None, checkout: Path | None = None) -> dict[str, str | None]:
    """Return {"version": ..., "commit": ...}; the commit is None when nothing tells it.

    Without a variable naming the commit, ask git about `checkout`: by default the folder the
    line runs from, which holds its data/ (a checkout, or a host's copy without .git).
    """
    environ = os.environ if environ is None else environ
    checkout = Path.cwd() if checkout is None else checkout
    try:
        package = metadata.version("ivr")
    except metadata.PackageNotFoundError:
        package = None
    commit = next((environ[name].strip() for name in COMMIT_VARIABLES if environ.get(name, "").strip()), None)
    return {"version": package, "commit": commit or _git_head(checkout)}


def _git_head(checkout: Path) -> str | None:
    """Ask git for the checkout's commit, when the line runs from one."""
    if not (checkout / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    head = out.stdout.strip()
    return head if len(head) == 40 and all(c in "0123456789abcdef" for c in head) else None
