"""`ivr check`: validate the flow, and list every number it can say or dial with its sources (and the
day each was consulted) and the day someone last called it."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path

import click

from ..config import Settings
from ..deploy.readiness import production_checks
from ..errors import FlowError
from ..flow.callers import reach_by_caller, walk
from ..flow.directory import FAMILY, Service, future_calls
from ..flow.hours import OPEN
from ..flow.loader import DIRECTORY_FILE, FLOW_FILE, load_flow
from ..flow.model import Flow, Readout
from ..flow.usage import number_uses, unused_services
from ..review.tables import directory_markdown
from .options import data_option, markdown_option, prompts_option, settings_for


def today_is() -> date:
    """Return today's date (a function, so that tests can say which day it is)."""
    return date.today()


@click.command()
@data_option
@prompts_option
@click.option(
    "--strict", is_flag=True, help="Exit 1 while a number is due to be called (never called, or too long ago)."
)
@click.option(
    "--max-age",
    type=click.IntRange(1),
    default=None,
    metavar="DAYS",
    help="Days after a call when a number is due to be called again (default: IVR_NUMBER_MAX_AGE, 180).",
)
@click.option(
    "--production",
    is_flag=True,
    help="Check instead what the live line needs: its settings, the "
    "platform number, numbers called recently, current recordings. One line per check.",
)
@markdown_option(
    "markdown: the tables of docs/lines.md (numbers, who they serve, hours, sources, called; who reaches "
    "which line), once the flow is valid."
)
def check(
    data_dir: Path | None, prompts_dir: Path | None, strict: bool, max_age: int | None, production: bool, fmt: str
) -> None:
    """Validate the flow as a whole; list every number it can say or dial, with its sources."""
    if production:
        _production(data_dir, prompts_dir, max_age)
        return
    settings = settings_for(data_dir, prompts_dir)
    max_age = settings.number_max_age if max_age is None else max_age
    today = today_is()
    now = settings.clock()
    try:
        flow = load_flow(settings.data_dir, settings.prompts_dir, settings.facts)
        future = future_calls(flow.services, today, f"{settings.data_dir.name}/{DIRECTORY_FILE}")
        if future:
            raise FlowError(future)
    except FlowError as exc:
        click.echo(f"The call flow is NOT valid: {len(exc.problems)} problem(s).", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    if fmt == "markdown":
        click.echo(directory_markdown(flow, settings.data_dir.name), nl=False)
        if strict and any(u.due(today, max_age) for u in number_uses(flow)):
            sys.exit(1)  # the table says "never" or the day of each call; --strict still refuses a number to call
        return
    takes = "keys and words (prompts/fr.yaml, words)" if settings.speech else "keys only (IVR_SPEECH=0)"
    click.echo(
        f"The call flow is valid: {flow.written} nodes written in {settings.data_dir.name}/{FLOW_FILE} "
        f"({len(flow.nodes)} with the councils' own), {len(flow.services)} services; its prompts take {takes}.\n"
    )
    click.echo(
        "Numbers the line can say or dial\n"
        "  ([seed]: a seed document gives it; [TO CONFIRM]: only public pages give it, compare it with them;\n"
        "  then the day someone last called it and reached the service, TO CALL when nobody has or not for\n"
        f"  {max_age} days; emergency and national short numbers are never called for a test):"
    )
    uses = number_uses(flow)
    for use in uses:
        s = use.service
        status = "seed" if s.confirmed else "TO CONFIRM"
        click.echo(f"  {s.number:<16} {s.id:<14} [{status}] {use.calls(today, max_age)}")
        click.echo(f"  {'':<16} sources: {s.source}")
        click.echo(f"  {'':<16} {_hours(s, now)}")
        click.echo(f'  {"":<16} said: "{s.spoken}"')
        click.echo(f"  {'':<16} {'; '.join(use.used_by)}")
    for sid in unused_services(flow):
        click.echo(f"  (unused) {sid}: in data/directory.yaml but nothing says or dials it")
    councils = [n for n in flow.places if n in flow.nodes]
    if councils:
        read = [n for n in councils if isinstance(flow.nodes[n], Readout)]
        click.echo(
            f"\nCouncils: {len(read)} of {len(councils)} have a number the line reads (data/councils.yaml); "
            "the others are named, then the caller is put through."
        )
    _who_reaches_what(flow)
    if flow.superseded:
        click.echo("\nSuperseded numbers, never said nor dialled:")
        for old in flow.superseded:
            period = " to ".join(p for p in (old.since, old.until) if p)
            click.echo(
                f"  {old.number:<16} {period}, replaced by {flow.services[old.successor].number} "
                f"({old.successor}); source: {'; '.join(map(str, old.sources))}"
            )
    to_confirm = [u for u in uses if not u.service.confirmed]
    if to_confirm:
        click.echo(
            f"\n{len(to_confirm)} number(s) come from outside the seed documents: "
            "confirm each against its source before going live."
        )
    emergency = [u.service.number for u in uses if u.service.emergency]
    if emergency:
        click.echo(
            f"\nEmergency numbers ({', '.join(emergency)}): not to be called for a test; checked against their sources."
        )
    due = [u for u in uses if u.due(today, max_age)]
    if due:
        click.echo(
            f"\nTo confirm: call it ({len(due)}), never called or called more than {max_age} days ago:\n"
            + "".join(f"  {u.service.number:<16} {u.service.id:<14} {u.service.name}\n" for u in due)
            + "Call each at the hours it claims; once the service named has answered, write the day in its "
            "`called:` in data/directory.yaml (docs/staff.md, How to check a number)."
        )
        if strict:
            sys.exit(1)


def _hours(service: Service, now: datetime) -> str:
    """Say a number's hours and whether it is open at the line's time."""
    if service.opening is None:
        return "hours: not known (read at any hour, with no word of hours)"
    state = service.opening.state(now)
    when = "open now" if state == OPEN else f"closed now, opens {state}"
    return f"hours: {service.opening.describe()}; {when}"


def _who_reaches_what(flow: Flow) -> None:
    """Print, for each caller, the services their routes dial or read (data/flow.yaml, `callers:`)."""
    reach = reach_by_caller(walk(flow.entry, flow.operator, flow.nodes, flow.mentions))
    if set(reach) == {None}:
        return  # no choice says who calls
    click.echo("\nWho reaches which line (dialled or read), from the choice that says who calls:")
    names = {None: "before any choice (silence, 0)", FAMILY: "a relative of a health professional"}
    for caller in [None, *flow.professions, *([FAMILY] if FAMILY in reach else [])]:
        label = names[None] if caller is None else f"{caller} ({flow.professions.get(caller, names[FAMILY])})"
        click.echo(f"  {label}:\n      {', '.join(reach.get(caller, {})) or 'nothing: no menu choice names them'}")


def _production(data_dir: Path | None, prompts_dir: Path | None, max_age: int | None) -> None:
    """Print one line per production check; exit 1 when one fails."""
    # Read without Settings.from_env: a bad setting is one of the checks, not a reason to stop.
    data = data_dir or Path(os.environ.get(Settings.ENV["data_dir"], "").strip() or Settings.data_dir)
    prompts = prompts_dir or Path(os.environ.get(Settings.ENV["prompts_dir"], "").strip() or Settings.prompts_dir)
    failed = 0
    for result in production_checks(os.environ, data, prompts, today_is(), max_age):
        click.echo(str(result))
        failed += not result.ok
    if failed:
        click.echo(f"\n{failed} check(s) failed: not ready for the live line.", err=True)
        sys.exit(1)
    click.echo("\nReady for the live line.")
