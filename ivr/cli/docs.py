"""`ivr docs`: write the documents generated from the flow (docs/lines.md), or say they are stale."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import FlowError
from ..review.tables import DOCS_COMMAND, LINES_DOC, lines_document
from .options import data_option, prompts_option, settings_for


@click.command("docs")
@data_option
@prompts_option
@click.option("--write", is_flag=True, help=f"Write {LINES_DOC} (from the checkout's root).")
@click.option("--check", "check_only", is_flag=True, help=f"Exit 1 when {LINES_DOC} is not what --write would write.")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    help="The checkout whose docs/ to write or check (default: the current folder).",
)
def docs(data_dir: Path | None, prompts_dir: Path | None, write: bool, check_only: bool, root: Path) -> None:
    """Print docs/lines.md as data/ and prompts/ make it: the numbers and the times to a human."""
    if write and check_only:
        raise click.UsageError("--write or --check, not both")
    settings = settings_for(data_dir, prompts_dir)
    try:
        text = lines_document(settings.data_dir, settings.prompts_dir)
    except FlowError as exc:
        click.echo(f"The call flow is NOT valid: {len(exc.problems)} problem(s); run ivr check.", err=True)
        sys.exit(1)
    target = root / LINES_DOC
    if write:
        target.parent.mkdir(parents=True, exist_ok=True)
        changed = not target.is_file() or target.read_text(encoding="utf-8") != text
        target.write_text(text, encoding="utf-8")
        click.echo(f"{target}: {'written' if changed else 'already current'}")
    elif check_only:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            click.echo(f"{target} is stale: run {DOCS_COMMAND} (from the checkout's root)", err=True)
            sys.exit(1)
        click.echo(f"{target}: current")
    else:
        click.echo(text, nl=False)
