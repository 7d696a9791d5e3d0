"""The `ivr prompts` commands: build the recorded prompts, report on them."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ..audio.report import Row, rows, strays
from ..errors import ConfigError, FlowError
from ..flow.loader import load_flow
from ..flow.model import Flow


def print_report(table: list[Row], unused: Sequence[str] = ()) -> None:
    """Print the table, then the prompts still spoken by text-to-speech."""
    click.echo(f"{'prompt':<24} {'heard as':<20} {'seconds':>8}  notes")
    for row in table:
        heard = row.status if row.played else f"speech ({row.status})"
        seconds = f"{row.seconds:.2f}" if row.played else f"~{row.seconds:.1f}"
        click.echo(f"{row.key:<24} {heard:<20} {seconds:>8}  {row.detail}".rstrip())
    played = [r for r in table if r.played]
    click.echo(
        f"\n{len(played)} of {len(table)} played from audio files, "
        f"{sum(r.status == 'placeholder' for r in played)} of them placeholders."
    )
    for status in ("stale", "broken", "missing"):
        keys = [r.key for r in table if r.status == status]
        if keys:
            click.echo(f"{status} ({len(keys)}): {', '.join(keys)}")
    if unused:
        click.echo(f"named after no prompt, ignored: {', '.join(unused)}")


@click.group()
def prompts() -> None:
    """Recorded prompts: staff drop recordings into prompts/recordings/, then build."""


def _flow() -> tuple[Flow, Path]:
    from ..config import Settings

    try:
        settings = Settings.from_env()
        return load_flow(settings.data_dir, settings.prompts_dir), settings.prompts_dir
    except (ConfigError, FlowError) as exc:
        raise click.ClickException(f"{exc}; run `ivr check`") from None


@prompts.command()
@click.option(
    "--placeholders", is_flag=True, help="Synthesise a placeholder (espeak-ng) for every prompt without a recording."
)
def build(placeholders: bool) -> None:
    """Turn recordings into telephone-ready files and a manifest, then report."""
    from ..audio.build import build as build_audio

    flow, prompts_dir = _flow()
    try:
        build_audio(flow, prompts_dir, placeholders=placeholders)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # a recording or a file of prompts/audio/ that cannot be read or written
        raise click.ClickException(f"{exc.filename or 'prompts/audio'}: {exc.strerror or type(exc).__name__}") from None
    print_report(rows(flow, prompts_dir), strays(flow, prompts_dir))
    click.echo("Restart the line to play the new files.")


@prompts.command()
def report() -> None:
    """List every prompt with its duration and source; exit 1 when some are stale or broken."""
    flow, prompts_dir = _flow()
    table = rows(flow, prompts_dir)
    print_report(table, strays(flow, prompts_dir))
    if any(r.status in ("stale", "broken") for r in table):
        sys.exit(1)
