"""The `ivr` command: check the flow, serve it locally."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .config import Settings, folder_overrides
from .errors import ConfigError, FlowError
from .flow import SYNTHETIC_SEP
from .loader import load_flow
from .prompts_cli import prompts
from .report import number_uses, unused_services


@click.group()
def main() -> None:
    """Voice menu of the helpline for health professionals in distress."""


def _settings(data_dir: Path | None, prompts_dir: Path | None) -> Settings:
    overrides = folder_overrides(data_dir, prompts_dir)
    try:
        return Settings.from_env(**overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


data_option = click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
                           help="Folder of flow.yaml and directory.yaml (default: IVR_DATA_DIR or data/).")
prompts_option = click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path, file_okay=False),
                              help="Folder of fr.yaml (default: IVR_PROMPTS_DIR or prompts/).")


@main.command()
@data_option
@prompts_option
def check(data_dir: Path | None, prompts_dir: Path | None) -> None:
    """Validate the flow as a whole; list every number it can say or dial, with its source."""
    settings = _settings(data_dir, prompts_dir)
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the line locally for development (no Twilio signature needed without a token)."""
    from . import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(dev=True)
    except (FlowError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Voice webhook: http://{host}:{port}/voice  (fallback: /voice/fallback)")
    app.run(host=host, port=port)


main.add_command(prompts)

from .sim_cli import call_command, routes_command  # noqa: E402 (commands defined in their own module)

main.add_command(call_command)
main.add_command(routes_command)

from .budget_cli import budget  # noqa: E402

main.add_command(budget)
