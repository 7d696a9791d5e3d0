"""The `ivr` command: one click group, one module per family of commands."""

from __future__ import annotations

import click

from . import budget, calls, check, fallback, graph, prompts, serve, stats, twilio


@click.group()
def main() -> None:
    """Voice menu of the helpline for health professionals in distress."""


for command in (
    check.check,
    serve.serve,
    calls.call_command,
    calls.routes_command,
    budget.budget,
    prompts.prompts,
    fallback.fallback,
    graph.graph,
    stats.stats,
    twilio.twilio_group,
):
    main.add_command(command)
