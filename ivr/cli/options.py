"""What several commands share: the folders of the flow, read into settings."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import Settings, folder_overrides
from ..errors import ConfigError


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
