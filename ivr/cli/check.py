"""`ivr check`: validate the flow, and list every number it can say or dial with its source."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import FlowError
from ..flow.loader import load_flow
from ..flow.model import SYNTHETIC_SEP
from ..flow.usage import number_uses, unused_services
from .options import data_option, prompts_option, settings_for


@click.command()
@data_option
@prompts_option
def check(data_dir: Path | None, prompts_dir: Path | None) -> None:
    """Validate the flow as a whole; list every number it can say or dial, with its source."""
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
