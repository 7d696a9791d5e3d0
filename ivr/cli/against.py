"""`ivr routes --against REV`: what a change of data/ and prompts/ does to callers, before it goes live."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import click

from ..errors import ConfigError, FlowError
from ..review.changes import Version, as_markdown, as_text, compare
from ..review.versions import VersionError, copy_folders, materialise
from ..simulator.player import Call
from ..simulator.report import NumberBook
from ..simulator.transport import LOCAL_BASE, flask_audio_length, flask_transport, remembering
from .options import settings_for
from .progress import progress


def in_process(label: str, data_dir: Path, prompts_dir: Path, now: datetime | None = None) -> Version:
    """Build the line of one version in-process (its clock at `now` when given), and how to call it."""
    from .. import create_app

    overrides: dict[str, object] = {"data_dir": data_dir, "prompts_dir": prompts_dir, "stats_url": "off"}
    if now is not None:
        overrides["now"] = now
    app = create_app(overrides, dev=True)
    line = app.extensions["ivr"]
    transport, audio_length = remembering(flask_transport(app, line.settings.auth_token)), flask_audio_length(app)
    entry = f"{(line.settings.public_url or LOCAL_BASE).rstrip('/')}/voice"
    return Version(
        label,
        line.flow,
        lambda: Call(transport, entry, audio_length=audio_length),
        NumberBook(line.flow.services, played=line.audio.numbers),
    )


def compare_command(
    against: str,
    fmt: str,
    output: Path | None,
    threshold: float,
    fail_on_change: bool,
    depth: int,
    data_dir: Path | None,
    prompts_dir: Path | None,
) -> None:
    """Compare the flow on disk with `against`; print only what changed; exit 1 on a route lost."""
    if fmt not in ("text", "markdown"):
        raise click.UsageError("--against writes text or markdown")
    settings = settings_for(data_dir, prompts_dir)
    logging.getLogger("ivr").setLevel(logging.ERROR)  # the line's own log would drown the comparison
    with tempfile.TemporaryDirectory(prefix="ivr-against-") as tmp:
        try:
            before = in_process(
                against, *materialise(against, settings.data_dir, settings.prompts_dir, Path(tmp) / "before")
            )
            after = in_process("on disk", *copy_folders(settings.data_dir, settings.prompts_dir, Path(tmp) / "after"))
        except (VersionError, FlowError, ConfigError, OSError) as exc:
            raise click.ClickException(f"cannot compare with {against}: {exc}") from None
        changes = compare(before, after, threshold, depth, progress=progress)
    written = (as_markdown if fmt == "markdown" else as_text)(changes)
    if output:
        output.write_text(written, encoding="utf-8")
        click.echo(f"Wrote the changes for callers to {os.fspath(output)}")
    else:
        click.echo(written, nl=False)
    for file, sid, old, new, dates in changes.undated:
        click.echo(
            f"{settings.data_dir.name}/{file}: {sid}: number changed ({old} → {new}) "
            f"but its source date did not ({dates})",
            err=True,
        )
    if changes.lost:
        click.echo(f"{len(changes.lost)} route(s) no longer reach a person.", err=True)
        sys.exit(1)
    if fail_on_change and changes:
        click.echo("Callers would hear a change (--fail-on-change).", err=True)
        sys.exit(1)
