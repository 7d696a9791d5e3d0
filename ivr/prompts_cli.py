"""The `ivr prompts` commands: build the recorded prompts, report on them."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .audio import FORMATS, number_clips
from .errors import ConfigError, FlowError
from .flow import Flow
from .loader import load_flow
from .recordings import AUDIO_DIR, NUMBERS_DIR, RECORDINGS_DIR, entry_state, read_manifest
from .timing import speech_seconds


@dataclass(frozen=True)
class Row:
    """One line of the report: a prompt or a number, what the caller hears, for how long."""

    key: str
    status: str  # recorded, placeholder, stale, broken, missing (spoken by text-to-speech)
    seconds: float
    detail: str = ""

    @property
    def played(self) -> bool:
        """Tell whether the caller hears the audio file."""
        return self.status in ("recorded", "placeholder")


def rows(flow: Flow, prompts_dir: Path) -> list[Row]:
    """Describe every prompt, then every number, as the line would play or say it."""
    audio_dir = Path(prompts_dir) / AUDIO_DIR
    manifest = read_manifest(audio_dir)
    out = []
    for key, text in flow.prompts.items():
        entry = manifest["prompts"].get(key)
        out.append(_row(key, entry, text, audio_dir, ""))
    clips_dir = Path(prompts_dir) / RECORDINGS_DIR / NUMBERS_DIR
    for sid, service in flow.services.items():
        if not service.words:
            continue
        missing = sorted({n for g in number_clips(service.number) for n in g
                          if not (clips_dir / f"{n}.wav").is_file()})
        detail = f"no clip for {', '.join(map(str, missing))}" if missing else ""
        out.append(_row(f"number {sid}", manifest["numbers"].get(sid), service.spoken, audio_dir, detail))
    return out


def _row(key: str, entry: dict | None, text: str, audio_dir: Path, detail: str) -> Row:
    spoken = round(speech_seconds(text), 1)
    if entry is None:
        return Row(key, "missing", spoken, detail)
    state = entry_state(entry, text, audio_dir)
    if state == "current":
        return Row(key, entry["source"], float(entry["seconds"]), entry.get("from", ""))
    why = {"stale": "the text changed after this recording: record it again",
           "broken": f"{entry.get('file')} is missing or unreadable: build again"}[state]
    return Row(key, state, spoken, why)


def strays(flow: Flow, prompts_dir: Path) -> list[str]:
    """List the recordings named after no prompt (a typo in a file name, a removed prompt)."""
    folder = Path(prompts_dir) / RECORDINGS_DIR
    return sorted(p.name for p in folder.glob("*.*")
                  if p.suffix[1:].lower() in FORMATS and p.stem not in flow.prompts)


def print_report(table: list[Row], unused: list[str] = ()) -> None:
    """Print the table, then the prompts still spoken by text-to-speech."""
    click.echo(f"{'prompt':<24} {'heard as':<20} {'seconds':>8}  notes")
    for row in table:
        heard = row.status if row.played else f"speech ({row.status})"
        seconds = f"{row.seconds:.2f}" if row.played else f"~{row.seconds:.1f}"
        click.echo(f"{row.key:<24} {heard:<20} {seconds:>8}  {row.detail}".rstrip())
    played = [r for r in table if r.played]
    click.echo(f"\n{len(played)} of {len(table)} played from audio files, "
               f"{sum(r.status == 'placeholder' for r in played)} of them placeholders.")
    for status in ("stale", "broken", "missing"):
        keys = [r.key for r in table if r.status == status]
        if keys:
            click.echo(f"{status} ({len(keys)}): {', '.join(keys)}")
    if unused:
        click.echo(f"named after no prompt, ignored: {', '.join(unused)}")


@click.group()
def prompts() -> None:
    """Recorded prompts: staff drop recordings into prompts/recordings/, then build."""


def _flow() -> tuple[Flow, Path]:
    from .config import Settings

    try:
        settings = Settings.from_env()
        return load_flow(settings.data_dir, settings.prompts_dir), settings.prompts_dir
    except (ConfigError, FlowError) as exc:
        raise click.ClickException(f"{exc}; run `ivr check`") from None


@prompts.command()
@click.option("--placeholders", is_flag=True,
              help="Synthesise a placeholder (espeak-ng) for every prompt without a recording.")
def build(placeholders: bool) -> None:
    """Turn recordings into telephone-ready files and a manifest, then report."""
    from .audio import build as build_audio

    flow, prompts_dir = _flow()
    try:
        build_audio(flow, prompts_dir, placeholders=placeholders)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    print_report(rows(flow, prompts_dir), strays(flow, prompts_dir))
    click.echo("Restart the line to play the new files.")


@prompts.command()
def report() -> None:
    """List every prompt with its duration and source; exit 1 when some are stale or broken."""
    flow, prompts_dir = _flow()
    table = rows(flow, prompts_dir)
    print_report(table, strays(flow, prompts_dir))
    if any(r.status in ("stale", "broken") for r in table):
        sys.exit(1)
