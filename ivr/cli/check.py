"""`ivr check`: validate the flow, and list every number it can say or dial with its source."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from ..deploy.readiness import CHECKED_WITHIN_DAYS, production_checks
from ..errors import FlowError
from ..flow.loader import load_flow
from ..flow.model import SYNTHETIC_SEP
from ..flow.usage import number_uses, unused_services
from .options import data_option, prompts_option, settings_for


@click.command()
@data_option
@prompts_option
@click.option("--production", is_flag=True, help="Check instead what the live line needs: its settings, the "
              "platform number, numbers checked recently, current recordings. One line per check.")
@click.option("--checked-within", type=click.IntRange(1), default=CHECKED_WITHIN_DAYS, show_default=True,
              metavar="DAYS", help="With --production: days after which a number must be checked again.")
def check(data_dir: Path | None, prompts_dir: Path | None, production: bool, checked_within: int) -> None:
    """Validate the flow as a whole; list every number it can say or dial, with its source."""
    if production:
        _production(data_dir, prompts_dir, checked_within)
        return
    settings = settings_for(data_dir, prompts_dir)
    try:
        flow = load_flow(settings.data_dir, settings.prompts_dir)
    except FlowError as exc:
        click.echo(f"The call flow is NOT valid: {len(exc.problems)} problem(s).", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    menus = len([n for n in flow.nodes if SYNTHETIC_SEP not in n])
    click.echo(f"The call flow is valid: {menus} nodes, {len(flow.services)} services.\n")
    click.echo("Numbers the line can say or dial:")
    to_confirm = 0
    for use in number_uses(flow):
        status = "seed" if use.confirmed else "TO CONFIRM"
        to_confirm += not use.confirmed
        click.echo(f"  {use.number:<16} {use.service_id:<14} [{status}] {use.source}")
        click.echo(f"  {'':<16} said: \"{use.spoken}\"")
        click.echo(f"  {'':<16} {'; '.join(use.used_by)}")
    for sid in unused_services(flow):
        click.echo(f"  (unused) {sid}: in data/directory.yaml but nothing says or dials it")
    if to_confirm:
        click.echo(f"\n{to_confirm} number(s) come from outside the seed documents: "
                   "confirm each against its source before going live.")


def _production(data_dir: Path | None, prompts_dir: Path | None, checked_within: int) -> None:
    """Print one line per production check; exit 1 when one fails."""
    data = data_dir or Path(os.environ.get("IVR_DATA_DIR", "").strip() or "data")
    prompts = prompts_dir or Path(os.environ.get("IVR_PROMPTS_DIR", "").strip() or "prompts")
    failed = 0
    for result in production_checks(os.environ, data, prompts, dt.date.today(), checked_within):
        click.echo(str(result))
        failed += not result.ok
    if failed:
        click.echo(f"\n{failed} check(s) failed: not ready for the live line.", err=True)
        sys.exit(1)
    click.echo("\nReady for the live line.")
