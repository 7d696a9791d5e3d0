"""Counts the database could not take, kept on disk until it is back: one JSON file per batch.

A batch is a random id and its increments ((epoch hour, key) -> count): the keys are the anonymous
counters' keys, nothing of a caller or a call. A file is written whole (a temporary file renamed)
and taken by one process at a time (renamed to a name carrying its pid); the database counts a
batch once (its id is written with it), so a batch written twice counts once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from .events import Key

log = logging.getLogger("ivr.stats")
FOLDER = "stats-spool"  # in the app's instance folder
SUFFIX = ".json"
_ID_LENGTH = 32


@dataclass
class Batch:
    """Increments to write together: (epoch hour, key) -> count, under a random id."""

    increments: dict[tuple[int, Key], int]
    lost: int = 0  # how many of them count increments dropped earlier (the `lost` key)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def total(self) -> int:
        """The number of increments."""
        return sum(self.increments.values())

    def merge(self, other: Batch) -> None:
        """Add another batch's increments to this one (same id: this one's)."""
        for slot, n in other.increments.items():
            self.increments[slot] = self.increments.get(slot, 0) + n
        self.lost += other.lost


def folder_for(instance_path: str | Path, url: str) -> Path:
    """The spool of a database: a folder of the instance folder named by a digest of its URL (without
    its password), so counts spooled for one database are never written to another."""
    address = sa.engine.make_url(url).render_as_string(hide_password=True)
    return Path(instance_path) / FOLDER / hashlib.sha256(address.encode()).hexdigest()[:16]


class BadSpoolFile(ValueError):
    """A spool file that is not a batch this module wrote."""


def dumps(batch: Batch) -> str:
    """A batch as the text of its file."""
    rows = [[hour, *key, n] for (hour, key), n in sorted(batch.increments.items())]
    return json.dumps({"batch": batch.id, "lost": batch.lost, "counts": rows})


def loads(text: str) -> Batch:
    """Read a batch's file; BadSpoolFile when it is anything else."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadSpoolFile("not JSON") from exc
    if not isinstance(data, dict) or set(data) != {"batch", "lost", "counts"}:
        raise BadSpoolFile("not a batch")
    ident, lost, rows = data["batch"], data["lost"], data["counts"]
    if not (isinstance(ident, str) and len(ident) == _ID_LENGTH and all(c in "0123456789abcdef" for c in ident)):
        raise BadSpoolFile("bad batch id")
    if not (type(lost) is int and lost >= 0 and isinstance(rows, list)):
        raise BadSpoolFile("bad counts")
    increments: dict[tuple[int, Key], int] = {}
    for row in rows:
        if not (
            isinstance(row, list)
            and len(row) == 5
            and type(row[0]) is int
            and all(isinstance(part, str) and len(part) <= 64 for part in row[1:4])
            and type(row[4]) is int
            and row[4] > 0
        ):
            raise BadSpoolFile("bad counts")
        hour, event, subject, outcome, n = row
        increments[(hour, (event, subject, outcome))] = increments.get((hour, (event, subject, outcome)), 0) + n
    return Batch(increments, lost, ident)


class Spool:
    """A folder of batches waiting for the database."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def put(self, batch: Batch) -> None:
        """Write a batch to its own file, on disk when this returns; OSError when it cannot be."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{batch.id}{SUFFIX}"
        temporary = self.folder / f".{batch.id}.tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(dumps(batch))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)

    def take(self) -> Iterator[tuple[Path, Batch]]:
        """Take the waiting batches one by one (each file renamed to this process's name first).

        The caller ends each with `done` (written) or `give_back` (not written). A file another
        process took is left to it, unless that process is gone; a file that is not a batch is set
        aside (`.bad`) and said once.
        """
        try:
            names = sorted(os.listdir(self.folder))
        except OSError:  # no spool yet, or none to be had (said when a batch cannot be spooled)
            return
        for name in names:
            path = self.folder / name
            if name.endswith(SUFFIX):
                ident = name.removesuffix(SUFFIX)
            elif name.endswith(".taken") and name.count(".") == 2 and not _busy(name.split(".")[1]):
                ident = name.split(".")[0]
            else:
                continue
            mine = self.folder / f"{ident}.{os.getpid()}.taken"
            try:
                os.rename(path, mine)
            except FileNotFoundError:  # another process took it first
                continue
            try:
                batch = loads(mine.read_text(encoding="utf-8"))
            except (BadSpoolFile, UnicodeDecodeError) as exc:
                os.replace(mine, self.folder / f"{ident}.bad")
                log.warning("statistics: %s is not a batch of counts (%s); set aside as %s.bad", name, exc, ident)
                continue
            yield mine, batch

    def done(self, taken: Path) -> None:
        """The batch of a taken file is written: remove the file."""
        taken.unlink(missing_ok=True)

    def give_back(self, taken: Path, batch: Batch) -> None:
        """The batch of a taken file could not be written: it waits again."""
        os.replace(taken, self.folder / f"{batch.id}{SUFFIX}")


def _busy(pid: str) -> bool:
    """Whether another process of this pid runs (then it may be writing the file it took)."""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
