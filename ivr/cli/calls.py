"""`ivr call` and `ivr routes`: call the line as Twilio would, from a terminal."""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path

import click

from ..config import folder_overrides
from ..errors import ConfigError, FlowError
from ..simulator.explorer import MAX_DEPTH, SILENCE, explore
from ..simulator.player import ANONYMOUS, DIAL_STATUSES, Call, Event, spoken
from ..simulator.report import NumberBook, as_csv, as_markdown, as_text, call_summary, report
from ..simulator.transport import (
    LOCAL_BASE,
    flask_audio_length,
    flask_transport,
    http_audio_length,
    http_transport,
    remembering,
)
from ..stats.events import COUNTED_SIMULATION
from .options import at_option, data_option, prompts_option, settings_for, weekday_morning_and_sunday_night
from .progress import progress

STYLES = {
    "say": "cyan",
    "play": "cyan",
    "pause": None,
    "gather": "yellow",
    "keys": "green",
    "speech": "green",
    "silence": "green",
    "dial": "magenta",
    "dial-status": "green",
    "whisper": "magenta",
    "redirect": None,
    "hangup": "red",
    "end": "red",
    "error": "red",
    "skipped": "red",
}
LABELS = {
    "say": "Say",
    "play": "Play",
    "pause": "Pause",
    "gather": "Gather",
    "keys": "You press",
    "speech": "You say",
    "silence": "You wait",
    "dial": "Dial",
    "dial-status": "Transfer",
    "whisper": "They hear",
    "redirect": "Redirect",
    "hangup": "Hangup",
    "end": "End",
    "error": "ERROR",
    "skipped": "Skipped",
}
TOKENS = re.compile(r'"[^"]*"|\S+')  # keys, or words in double quotes kept whole
PHONE_KEYS = re.compile(r"[0-9*#]+")  # what a phone keypad can send
DIAL_ANSWERS = {
    "": "completed",
    "c": "completed",
    "b": "busy",
    "n": "no-answer",
    "f": "failed",
    **{s: s for s in DIAL_STATUSES},
}


def script_tokens(ctx: click.Context | None, param: click.Parameter | None, keys: str | None) -> list[str] | None:
    """Split --keys into what a caller does, refusing what a phone cannot do: a key not on its keypad,
    a word outside double quotes, a double quote left open."""
    if keys is None:
        return None
    tokens = TOKENS.findall(keys)
    for token in tokens:
        if '"' in token and spoken(token) is None:
            raise click.BadParameter(f'{token!r}: a double quote left open (say words as "aide financière")')
        if not (spoken(token) is not None or token == SILENCE or token in DIAL_STATUSES or PHONE_KEYS.fullmatch(token)):
            raise click.BadParameter(
                f"{token!r} is not something a phone does: keys 0-9 * #, {SILENCE} for silence, "
                f"words in double quotes, or a transfer outcome ({', '.join(DIAL_STATUSES)})"
            )
    return tokens


def _line(
    url: str | None,
    token: str | None,
    data_dir: Path | None,
    prompts_dir: Path | None,
    stats: bool = False,
    at: datetime | None = None,
):
    """Return (entry URL, transport, number book, audio length): a running line at `url`, or the app
    in-process (counting into the statistics only when `stats`; its clock at `at` when given)."""
    from .. import create_app
    from ..config import Settings
    from ..flow.loader import load_flow

    overrides: dict[str, object] = {**folder_overrides(data_dir, prompts_dir)}
    if at is not None:
        if url:
            raise click.UsageError("--at sets the clock of the line in-process; a running line keeps its own (IVR_NOW)")
        overrides["now"] = at
    try:
        if url:
            settings = Settings.from_env(**overrides)
            book = NumberBook(load_flow(settings.data_dir, settings.prompts_dir).services)
            entry = url if url.rstrip("/").endswith("/voice") else url.rstrip("/") + "/voice"
            transport = http_transport(token if token is not None else settings.auth_token)
            return entry, transport, book, http_audio_length()
        logging.getLogger("ivr").setLevel(logging.ERROR)  # the line's own log would drown the transcript
        app = create_app(overrides if stats else {**overrides, "stats_url": "off"}, dev=True)
    except (FlowError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    if "ivr.stats" in app.extensions:  # --stats: write the call's counts when the command ends
        click.get_current_context().call_on_close(app.extensions["ivr.stats"].close)
    line = app.extensions["ivr"]
    base = (line.settings.public_url or LOCAL_BASE).rstrip("/")
    book = NumberBook(line.flow.services, played=line.audio.numbers)
    return f"{base}/voice", flask_transport(app, line.settings.auth_token), book, flask_audio_length(app)


def _show(event: Event) -> None:
    label = click.style(f"{LABELS.get(event.kind, event.kind):>9}", fg=STYLES.get(event.kind), bold=True)
    timing = click.style(f"{event.at:6.1f} s", dim=True)
    click.echo(f"{timing} {label}  {event.text}")


line_options = [
    click.option("--url", help="A running line (e.g. http://127.0.0.1:5000); default: the app, in-process."),
    click.option("--token", help="Sign requests with this auth token (default: TWILIO_AUTH_TOKEN)."),
    data_option,
    prompts_option,
]


def with_line_options(command):
    """Add the options that choose the line to call."""
    for option in reversed(line_options):
        command = option(command)
    return command


@click.command("call")
@click.option(
    "--keys",
    "tokens",
    callback=script_tokens,
    help=f"Play the call non-interactively: keys per menu, separated by spaces; words in "
    f'double quotes are said ("aide financière"); {SILENCE} = silence; {", ".join(DIAL_STATUSES)} = '
    "how a transfer ends (default completed). The caller hangs up when the keys run out.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1),
    default=0.9,
    show_default=True,
    help="The Confidence sent with the words said (0 to 1).",
)
@click.option("--caller", default=ANONYMOUS, show_default=True, help="The From number sent to the line.")
@click.option(
    "--stats", is_flag=True, help="Count the call in the statistics (IVR_STATS_URL's, or the line's at --url)."
)
@at_option
@with_line_options
def call_command(tokens, confidence, caller, stats, at, url, token, data_dir, prompts_dir) -> None:
    """Call the line as Twilio would, and print what the caller hears."""
    entry, transport, book, audio_length = _line(url, token, data_dir, prompts_dir, stats, at)
    call = Call(transport, entry, caller=caller, audio_length=audio_length)
    if stats:
        call.account = COUNTED_SIMULATION  # the simulator's own account is never counted
    shown = 0

    def flush() -> None:
        nonlocal shown
        for event in call.events[shown:]:
            _show(event)
        shown = len(call.events)

    call.start()
    while not call.over:
        flush()
        if tokens is not None:
            if not tokens:
                call.hang_up()
            elif call.dial is not None and tokens[0] not in DIAL_STATUSES:
                call.answer("completed")
            else:
                call.act(tokens.pop(0), confidence)
            continue
        if call.dial is not None:
            answer = (
                click.prompt(
                    "Transfer answered? [Enter] completed, b busy, n no-answer, f failed, h hang up",
                    default="",
                    show_default=False,
                )
                .strip()
                .lower()
            )
            if answer == "h":
                call.hang_up()
            elif answer in DIAL_ANSWERS:
                call.answer(DIAL_ANSWERS[answer])
        else:
            answer = click.prompt('Keys or "words"? [Enter] silence, h hang up', default="", show_default=False).strip()
            if answer.lower() == "h":
                call.hang_up()
            elif answer.startswith('"'):
                call.say(answer.strip('"'), confidence)
            else:
                call.act(answer.replace(" ", ""))
    flush()
    if tokens:
        click.echo(f"Keys not used, the call was over: {' '.join(tokens)}", err=True)
    click.echo(call_summary(call, book))
    if call.error is not None:
        sys.exit(1)


def _at_night(
    day: datetime, night: datetime, found_day, depth: int, data_dir: Path | None, prompts_dir: Path | None
) -> list[str]:
    """Explore the line again at night and print the routes whose ending differs from the day's
    (a council closed: when it opens, then a person); return what no longer reaches a person."""
    from ..review.changes import as_text, compare
    from .against import in_process

    settings = settings_for(data_dir, prompts_dir)
    versions = [in_process(f"{when:%A %H:%M}", settings.data_dir, settings.prompts_dir, when) for when in (day, night)]
    if not versions[0].flow.closing:  # no answer depends on the hour
        return []
    with progress("Exploring every route at night", None) as step:
        found_night = explore(versions[1].start, max_depth=depth, step=step)
    changes = compare(versions[0], versions[1], explored=(found_day, found_night), progress=progress)
    click.echo(f"\nAt night ({night:%A %d %B %Y %H:%M}), compared with the day:")
    click.echo(as_text(changes), nl=False)
    return [f"at night: {p}" for p in changes.lost]


@click.command("routes")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "csv"]), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the table to this file.")
@click.option("--all", "every", is_flag=True, help="One row per state reaching a number, not per node.")
@click.option("--depth", default=MAX_DEPTH, show_default=True, help="Give up on paths longer than this many inputs.")
@click.option(
    "--against",
    metavar="REV",
    help="Print only what changes for callers since REV: a git revision "
    "(HEAD, main) or a folder holding data/ and prompts/; exit 1 when a route loses its way to a human.",
)
@click.option(
    "--threshold",
    default=2.0,
    show_default=True,
    help="With --against: the seconds of time to a human a route may gain or lose unreported.",
)
@click.option("--fail-on-change", is_flag=True, help="With --against: exit 1 on any change for callers.")
@at_option
@with_line_options
def routes_command(
    fmt, output, every, depth, against, threshold, fail_on_change, at, url, token, data_dir, prompts_dir
) -> None:
    """Try every path of the line (every key, silence, transfer outcome); fail on a dead end."""
    if against is not None:
        if url:
            raise click.UsageError("--against compares flows on disk, not a running line (--url)")
        from .against import compare_command

        return compare_command(against, fmt, output, threshold, fail_on_change, depth, data_dir, prompts_dir)
    day, night = weekday_morning_and_sunday_night(date.today())
    when = at or (None if url else day)
    entry, transport, book, audio_length = _line(url, token, data_dir, prompts_dir, at=when)
    transport = remembering(transport)
    with progress("Exploring every route", None) as step:
        found = explore(lambda: Call(transport, entry, audio_length=audio_length), max_depth=depth, step=step)
    rows, problems = report(found, book, every=every)
    if when is not None:
        click.echo(f"At {when:%A %d %B %Y %H:%M} (Paris time, the line's clock):")
    table = {"text": as_text, "markdown": as_markdown, "csv": as_csv}[fmt](rows)
    if output:
        output.write_text(table, encoding="utf-8")
        click.echo(f"Wrote {len(rows)} routes to {os.fspath(output)}")
    else:
        click.echo(table, nl=False)
    click.echo(
        f"{len(found.states)} states, {len(found.requested)} distinct requests, {len(found.endings)} endings tried."
    )
    if url is None and at is None:  # the flow on disk: what changes at night, then its budget
        problems += _at_night(day, night, found, depth, data_dir, prompts_dir)
    if not url:  # the flow on disk: its time-to-human budget too
        from .. import create_app
        from .budget import budget_lines

        overrides = folder_overrides(data_dir, prompts_dir)
        app = create_app({**overrides, "stats_url": "off"}, dev=True)
        click.echo("\n".join(budget_lines(app.extensions["ivr"])))
    if problems:
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
