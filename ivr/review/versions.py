"""Another version of the flow to compare with: a git revision of the repository, or a folder.

Only what the caller's route depends on is taken: `data/` and `prompts/fr.yaml`. Recordings are
left out on both sides, so both are timed from their text alike.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from ..errors import IVRError
from ..flow.loader import PROMPTS_FILE


class VersionError(IVRError):
    """The version asked for cannot be found."""


def copy_folders(data_dir: Path, prompts_dir: Path, out: Path) -> tuple[Path, Path]:
    """Copy a data folder and the prompts file under out; return the two new folders."""
    data, prompts = out / "data", out / "prompts"
    shutil.copytree(data_dir, data)
    prompts.mkdir(parents=True)
    shutil.copy(prompts_dir / PROMPTS_FILE, prompts / PROMPTS_FILE)
    return data, prompts


def _git(repo: Path, *args: str) -> bytes:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True)
    if done.returncode != 0:
        raise VersionError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def from_git(revision: str, data_dir: Path, prompts_dir: Path, out: Path) -> tuple[Path, Path]:
    """Write the data folder and prompts file of a git revision under out; return the two folders."""
    repo = Path(_git(data_dir, "rev-parse", "--show-toplevel").decode().strip())
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except VersionError:
        raise VersionError(
            f"{revision!r} is neither a folder holding data/ and prompts/ nor a git revision of {repo}"
        ) from None
    data_rel = data_dir.resolve().relative_to(repo).as_posix()
    prompts_rel = (prompts_dir.resolve() / PROMPTS_FILE).relative_to(repo).as_posix()
    archive = _git(repo, "archive", "--format=tar", revision, "--", data_rel, prompts_rel)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(out, filter="data")
        else:  # our own repository's archive
            tar.extractall(out)
    return out / data_rel, (out / prompts_rel).parent


def materialise(against: str, data_dir: Path, prompts_dir: Path, out: Path) -> tuple[Path, Path]:
    """Write the version `against` (a folder with data/ and prompts/, or a git revision) under out."""
    folder = Path(against)
    if (folder / "data").is_dir() and (folder / "prompts").is_dir():
        return copy_folders(folder / "data", folder / "prompts", out)
    return from_git(against, data_dir, prompts_dir, out)
