"""The `ivr` command: one click group, one module per family of commands."""

from __future__ import annotations

import click

from .budget import budget
from .calls import call_command, routes_command
from .check import check
from .graph import graph
from .prompts import prompts
from .serve import serve


@click.group()
def main() -> None:
    """Voice menu of the helpline for health professionals in distress."""


for command in (check, serve, call_command, routes_command, budget, prompts, graph):
    main.add_command(command)
