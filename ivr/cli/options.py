"""What several commands share: the folders of the flow, read into settings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from ..config import Settings, folder_overrides
from ..errors import ConfigError
from ..flow.hours import PARIS, paris_instant


def settings_for(data_dir: Path | None, prompts_dir: Path | None) -> Settings:
    """Read the settings, with the folders given on the command line; a bad setting is a usage error."""
    try:
        return Settings.from_env(**folder_overrides(data_dir, prompts_dir))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of flow.yaml and directory.yaml (default: IVR_DATA_DIR or ./data).",
)
prompts_option = click.option(
    "--prompts",
    "prompts_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of fr.yaml (default: IVR_PROMPTS_DIR or ./prompts).",
)


class Instant(click.ParamType):
    """An instant for the line's clock: "2026-12-25 03:00" (Paris time), or ISO 8601 with an offset."""

    name = "instant"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return paris_instant(str(value))
        except ValueError:
            self.fail(f'{value!r} is not a date and time such as "2026-12-25 03:00"', param, ctx)


at_option = click.option(
    "--at",
    "at",
    type=Instant(),
    default=None,
    help='Set the line\'s clock (Paris time): "2026-12-25 03:00"; opening hours follow it.',
)


def weekday_morning_and_sunday_night(today: date) -> tuple[datetime, datetime]:
    """The next Tuesday at 10:00 and the next Sunday at 03:00, Paris time: a day and a night (noon
    would fall in many offices' lunch break)."""
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    paris = ZoneInfo(PARIS)
    return datetime.combine(tuesday, time(10, 0), paris), datetime.combine(sunday, time(3, 0), paris)


def markdown_option(help: str):
    """`--format text|markdown` (text by default), as `fmt`: the tables of docs/lines.md in markdown."""
    return click.option(
        "--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True, help=help
    )
