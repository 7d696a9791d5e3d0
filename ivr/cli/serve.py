"""`ivr serve`: run the line locally for development."""

from __future__ import annotations

import logging

import click

from ..errors import ConfigError, FlowError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the line locally for development (no Twilio signature needed without a token)."""
    from ..app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(dev=True)
    except (FlowError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Voice webhook: http://{host}:{port}/voice  (fallback: /voice/fallback)")
    app.run(host=host, port=port)
