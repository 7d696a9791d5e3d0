"""`ivr budget`: seconds before the listening team is dialled or a number is read, per route."""

from __future__ import annotations

from datetime import datetime

import click

from ..line.budget import Budget
from ..review.tables import budget_markdown
from .options import at_option, markdown_option


def budget_lines(line, now: datetime | None = None) -> list[str]:
    """Describe the time to a human of a line: (a) silent, (b) 0 at once, (c) each number, (d) the
    longest wait of a caller silent after any prompt, (e) a silent caller when nobody answers, (f) each
    caller a choice names, to a line that serves them; for each line callers reach first, when nobody
    answers, from its first ring: (h) until the next try rings, (i) until the 3114 is heard."""
    b = Budget(line.flow, line.renderer, line.audio, now)
    lines = [
        f"Time to a human, for a caller who presses each key as soon as its choice is said, until the "
        f"transfer or the first word of the number (speech at 15 characters a second, numbers at 90 %, "
        f"recordings at their length, {line.settings.gather_timeout} s of silence per unanswered menu unless "
        f"it sets its own"
        + (f"; at {now:%A %d %B %Y %H:%M}, services outside their hours closed):" if now else "; every service open):")
    ]
    rows = [("(a) presses nothing", b.silent_caller()), ("(b) presses 0 at once", b.zero_caller())]
    rows += [(f"(c) {r.name}", r) for r in b.numbers()]
    longest = b.longest_silence()
    rows += [(f"(d) silent at {longest.name}", longest), ("(e) nobody answers", b.unanswered())]
    rows += [(f"(f) line of {r.name}", r) for r in b.callers_lines()]
    for first in b.first_lines():
        rows += [(f"(h) {first.name}, next try", b.next_line(first.name))]
        rows += [(f"(i) {first.name}, the 3114", b.crisis_line(first.name))]
    for label, route in rows:
        keys = " ".join(k or "_" for k in route.keys)
        outcome = line.flow.services[route.outcome].number if route.outcome in line.flow.services else route.outcome
        lines.append(f"  {label:<32} keys {keys:<22} -> {outcome:<16} {route.seconds:5.1f} s")
    return lines


@click.command("budget")
@at_option
@markdown_option("markdown: one table, each route named by the choices said, with its budget (as in docs/lines.md).")
def budget(at: datetime | None, fmt: str) -> None:
    """Print the seconds a caller listens before the listening team or each number."""
    from .. import create_app

    line = create_app(dev=True).extensions["ivr"]
    if fmt == "markdown":
        click.echo(budget_markdown(line.flow, line.renderer, line.settings, line.audio, at), nl=False)
        return
    click.echo("\n".join(budget_lines(line, at)))
