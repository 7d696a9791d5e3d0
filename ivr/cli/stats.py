"""`ivr stats`: the anonymous statistics, as tables, CSV or JSON; `migrate`; `demo`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import click

from ..config import Settings
from ..errors import ConfigError, FlowError, IVRError
from ..flow.loader import load_flow
from ..flow.names import Names, build
from ..stats import report
from ..stats.runtime import open_store
from ..stats.store import database_url
from .options import data_option, prompts_option, settings_for


def _instance_path() -> str:
    from flask import Flask

    return Flask("ivr.app").instance_path  # the app's instance folder, where SQLite lives by default


def _store(url: str | None):
    try:
        settings = Settings.from_env(**({"stats_url": url} if url else {}))
        store = open_store(settings, _instance_path())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if store is None:
        raise click.ClickException("statistics are off (IVR_STATS_URL=off)")
    return store


def _day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a day as YYYY-MM-DD, got {value!r}") from None


THROWAWAY = "--db sqlite:///demo.sqlite3"


def _same_database(a: str, b: str) -> bool:
    sqlite = "sqlite:///"
    if a.startswith(sqlite) and b.startswith(sqlite):
        return Path(a.removeprefix(sqlite)).resolve() == Path(b.removeprefix(sqlite)).resolve()
    return a == b


def _throwaway(url: str | None) -> str:
    """The database `demo` may fill: one given with --db, never the live statistics."""
    if not url:
        raise click.UsageError(f"demo writes simulated calls: give it a throwaway database with --db, e.g. {THROWAWAY}")
    try:
        live = database_url(Settings.from_env().stats_url, _instance_path())
        given = database_url(url, _instance_path())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if live is not None and given is not None and _same_database(live, given):
        raise click.UsageError(
            f"--db is the live statistics (IVR_STATS_URL or instance/): give a throwaway one, e.g. {THROWAWAY}"
        )
    return url


def _names(data_dir: Path | None, prompts_dir: Path | None) -> Names | None:
    """The words of the flow on disk for the ids counted; None (ids shown) when it does not load."""
    settings = settings_for(data_dir, prompts_dir)
    try:
        return build(load_flow(settings.data_dir, settings.prompts_dir, settings.facts))
    except FlowError:
        click.echo("The flow does not load (see ivr check): ids are shown instead of words.", err=True)
        return None


url_option = click.option("--db", "url", help="Database URL (default: IVR_STATS_URL, or SQLite in instance/).")


@click.group("stats", invoke_without_command=True)
@click.option("--since", callback=_day, help="First Paris day, YYYY-MM-DD (default: 30 days before --until).")
@click.option("--until", callback=_day, help="Last Paris day, YYYY-MM-DD, included (default: today).")
@click.option("--format", "fmt", type=click.Choice(list(report.FORMATS)), default="table", show_default=True)
@click.option("--ids", is_flag=True, help="Show the ids of menus, départements and services instead of their words.")
@url_option
@data_option
@prompts_option
@click.pass_context
def stats(ctx, since, until, fmt, ids, url, data_dir, prompts_dir) -> None:
    """Show the line's statistics: calls, routes, transfers and their failure rate, drop-off, durations.

    Menus, départements and services are named in the words of the flow on disk (--data, --prompts); an
    id it no longer has is shown as the id, "(no longer in the flow)".
    """
    if ctx.invoked_subcommand is not None:
        return
    until = until or datetime.now(report.PARIS).date()
    since = since or until - timedelta(days=29)
    if since > until:
        raise click.BadParameter("--since comes after --until")
    names = None if ids else _names(data_dir, prompts_dir)
    store = _store(url)
    try:
        click.echo(report.FORMATS[fmt](report.load(store, since, until), names), nl=False)
    except Exception as exc:  # noqa: BLE001 (the type only: a message may hold the database's address)
        raise click.ClickException(
            f"cannot read the statistics ({type(exc).__name__}); is the database up and migrated (ivr stats migrate)?"
        ) from None
    finally:
        store.dispose()


@stats.command("migrate")
@url_option
def migrate(url) -> None:
    """Create or upgrade the statistics' tables."""
    store = _store(url)
    try:
        store.migrate()
    finally:
        store.dispose()
    click.echo("The statistics' database is up to date.")


@stats.command("demo")
@click.option("--day", callback=_day, help="The Paris day to fill, YYYY-MM-DD (default: yesterday).")
@click.option("--days", default=1, show_default=True, help="How many days, ending with --day.")
@click.option("--calls", default=300, show_default=True, help="Calls a day.")
@click.option("--seed", default=1, show_default=True)
@click.option("--db", "url", help=f"A throwaway database URL, never the live one (required; e.g. {THROWAWAY}).")
def demo(day, days, calls, seed, url) -> None:
    """Play a realistic day of simulated calls through the app into a throwaway statistics database."""
    from ..app import create_app
    from .demo import play_day

    url = _throwaway(url)
    last = day or datetime.now(report.PARIS).date() - timedelta(days=1)
    try:
        app = create_app({"stats_url": url}, dev=True)
    except IVRError as exc:
        raise click.ClickException(str(exc)) from None
    if "ivr.stats" not in app.extensions:
        raise click.ClickException("statistics are off (IVR_STATS_URL=off)")
    for i in range(days):
        one = last - timedelta(days=days - 1 - i)
        played = play_day(app, one, calls, seed=seed + i)
        click.echo(
            f"{one}: {played.calls} simulated calls, {played.transfers} transfers "
            f"({played.failed_transfers} not answered)"
        )
    app.extensions["ivr.stats"].close()
