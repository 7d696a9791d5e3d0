"""`ivr graph`: the flow as a picture (SVG, PNG or DOT), drawn by Graphviz."""

from __future__ import annotations

import os
from pathlib import Path

import click
import graphviz

from ..errors import FlowError
from ..line.runtime import Line
from ..review.graph import FORMATS, render
from .options import data_option, prompts_option, settings_for


@click.command("graph")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="svg", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file (default: stdout).")
@data_option
@prompts_option
def graph(fmt, output, data_dir, prompts_dir) -> None:
    """Draw the flow: menus and their keys, read-outs, transfers, and the time to a human at each ending."""
    try:
        picture = render(Line.build(settings_for(data_dir, prompts_dir)), fmt)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from None
    except graphviz.ExecutableNotFound:
        raise click.ClickException(
            "Graphviz's `dot` is missing: install it (sudo apt-get install graphviz, or scripts/setup)"
        ) from None
    if output:
        output.write_bytes(picture)
        click.echo(f"Wrote the flow ({fmt}) to {os.fspath(output)}", err=True)
    else:
        click.echo(picture, nl=False)  # bytes go to the binary stream: PNG too
