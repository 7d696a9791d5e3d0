"""The `ivr` command: one click group, one module per family of commands."""

from __future__ import annotations

import click

from ..line import version
from . import budget, calls, check, docs, fallback, graph, prompts, serve, stats, twilio


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Print the package's version and the commit, as /healthz gives them, then stop."""
    if not value or ctx.resilient_parsing:
        return
    running = version.running()
    click.echo(f"ivr {running['version'] or 'unknown'} (commit {running['commit'] or 'unknown'})")
    ctx.exit()


@click.group()
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and the commit (as /healthz), then exit.",
)
def main() -> None:
    """Voice menu of the helpline for health professionals in distress."""


for command in (
    check.check,
    serve.serve,
    calls.call_command,
    calls.routes_command,
    budget.budget,
    docs.docs,
    prompts.prompts,
    fallback.fallback,
    graph.graph,
    stats.stats,
    twilio.twilio_group,
):
    main.add_command(command)
