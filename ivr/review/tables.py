"""The tables people read about the line, written from the flow itself: the numbers it says or dials
(who each serves, hours, sources, the day someone called it), who reaches which line, and the time to
a human. `docs/lines.md` holds them, written by `ivr docs --write`, so a change of `data/` or
`prompts/` never leaves a table that says otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..config import Settings
from ..flow import moves as call
from ..flow.callers import reach_by_caller, walk
from ..flow.directory import EVERYONE, FAMILY, Service, Source
from ..flow.loader import DIRECTORY_FILE, FLOW_FILE, load_flow
from ..flow.model import Department, Flow, Menu, Readout, Transfer
from ..flow.position import Position
from ..flow.timing import DIAL_TIMEOUT_EXTRA
from ..flow.usage import number_uses
from ..line.budget import ASSAULT_OPTION, BUDGETS, Budget, Route, keys_to_option
from ..line.twiml import Renderer

LINES_DOC = Path("docs") / "lines.md"  # from the checkout's root
DOCS_COMMAND = "ivr docs --write"
# The greeting is longest when the line hides callers' numbers and is free to call: the budgets hold
# for it. Any valid number will do, it is never shown.
LONGEST_GREETING = {"caller_id": "+33970000000", "free_number": True}
FAMILY_NAME = "a relative of a health professional"


def _cell(text: str) -> str:
    """Text that stays inside one cell of a Markdown table."""
    return " ".join(text.replace("|", "\\|").split())


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---:" if i in right else "---" for i in range(len(header))) + " |")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _source(source: Source) -> str:
    if source.seed:
        return f"seed {source.seed}" + (f" (dated {source.date})" if source.date else " (undated)")
    host = (source.url or "").split("://", 1)[-1].split("/", 1)[0]
    return f"[{host}]({source.url}) (consulted {source.date})"


def _serves(flow: Flow, service: Service) -> str:
    if EVERYONE in service.professions:
        return "everyone"
    names = [flow.professions.get(p, p) for p in service.professions]
    return ", ".join(names + (["families"] if service.families else []))


def _hours(service: Service) -> str:
    known = service.opening.describe() if service.opening is not None else "not known (read at any hour)"
    return f"{known} ({service.hours})" if service.hours else known


def _called(service: Service) -> str:
    if service.emergency:
        return "emergency: not called for a test"
    return service.called.isoformat() if service.called else "never"


def _caller_name(flow: Flow, caller: str | None) -> str:
    if caller is None:
        return "before any choice (silence, 0)"
    return f"{caller} ({flow.professions.get(caller, FAMILY_NAME)})"


def directory_markdown(flow: Flow, data: str = "data") -> str:
    """The directory as Markdown: every number the line says or dials, who reaches which line, the
    councils with a number, and the numbers kept as history."""
    uses = number_uses(flow)
    out = [f"## Numbers the line says or dials ({data}/{DIRECTORY_FILE})", ""]
    out += _table(
        ("number", "service", "name", "who it serves", "hours", "how the line uses it", "sources", "called"),
        [
            (
                u.service.number,
                u.service.id,
                u.service.name,
                _serves(flow, u.service),
                _hours(u.service),
                "; ".join(u.used_by),
                "; ".join(map(_source, u.service.sources)) + ("" if u.service.confirmed else "; to confirm"),
                _called(u.service),
            )
            for u in uses
        ],
    )
    out += [
        "",
        "*to confirm*: only public pages give the number, none of the seed documents; compare it with "
        "them. *called*: the day someone called the number and reached the service (`called:`).",
    ]
    reach = reach_by_caller(walk(flow.entry, flow.operator, flow.nodes, flow.mentions))
    if set(reach) != {None}:
        out += ["", f"## Who reaches which line ({data}/{FLOW_FILE}, `callers:`)", ""]
        callers = [None, *flow.professions, *([FAMILY] if FAMILY in reach else [])]
        out += _table(
            ("caller", "lines dialled or read"),
            [
                (
                    _caller_name(flow, caller),
                    ", ".join(f"{sid} ({flow.services[sid].number})" for sid in reach.get(caller, {}))
                    or "nothing: no menu choice names them",
                )
                for caller in callers
            ],
        )
    councils = [n for n in flow.places if n in flow.nodes]
    if councils:
        read = [n for n in councils if isinstance(flow.nodes[n], Readout)]
        out += [
            "",
            f"Councils: {len(read)} of {len(councils)} have a number the line reads ({data}/councils.yaml); "
            "the others are named, then the caller is put through.",
        ]
    if flow.superseded:
        out += ["", "## Numbers kept as history, never said nor dialled", ""]
        out += _table(
            ("number", "in use", "replaced by", "sources"),
            [
                (
                    old.number,
                    " to ".join(p for p in (old.since, old.until) if p),
                    f"{flow.services[old.successor].number} ({old.successor})",
                    "; ".join(map(_source, old.sources)),
                )
                for old in flow.superseded
            ],
        )
    return "\n".join(out) + "\n"


def _choices(flow: Flow, keys: tuple[str, ...], max_tries: int) -> str:
    """Say what a caller chose by these keys: the menus' labels, the départements typed."""
    said, position = [], Position(flow.entry)
    for key in keys:
        node = flow.nodes[position.node]
        option = node.option(key) if isinstance(node, Menu) else None
        if option is not None:
            said.append(flow.prompts[option.say])
        elif isinstance(node, Department):
            said.append(f"département {key}")
        else:
            said.append("silence" if key == "" else key)
        position = call.press(flow, position, key, max_tries).position
    return ", ".join(said)


def _ending(flow: Flow, nid: str) -> str:
    node = flow.nodes[nid]
    if isinstance(node, Transfer):
        return f"dials {flow.services[node.services[0]].number} ({node.services[0]})"
    assert isinstance(node, Readout)
    return f"reads {flow.services[node.service].number} ({node.service})"


def _dials(flow: Flow, route: Route) -> str:
    return f"dials {flow.services[route.outcome].number} ({route.outcome})"


def _reads(flow: Flow, route: Route) -> str:
    return f"reads {flow.services[route.outcome].number} ({route.outcome})"


def budget_markdown(flow: Flow, renderer: Renderer, settings: Settings, audio=None, now: datetime | None = None) -> str:
    """The time to a human of every route `ivr budget` measures, as one Markdown table."""
    b = Budget(flow, renderer, audio, now)
    tries = settings.max_tries

    def keys(route: Route) -> str:
        return " ".join(k or "_" for k in route.keys)

    def limit(name: str) -> str:
        return f"≤ {BUDGETS[name]:g}"

    silent, zero, longest, unanswered = b.silent_caller(), b.zero_caller(), b.longest_silence(), b.unanswered()
    rows = [
        ("(a) presses nothing", keys(silent), _dials(flow, silent), f"{silent.seconds:.1f}", limit("silent")),
        ("(b) presses 0 at once", keys(zero), _dials(flow, zero), f"{zero.seconds:.1f}", limit("zero")),
    ]
    for route in b.numbers():
        rows.append(
            (
                f"(c) {_choices(flow, route.keys, tries)}",
                keys(route),
                _ending(flow, route.name),
                f"{route.seconds:.1f}",
                "",
            )
        )
    rows.append(
        (
            f"(d) silent after the longest prompt ({longest.name})",
            keys(longest),
            _dials(flow, longest),
            f"{longest.seconds:.1f}",
            limit("silent_after_any_prompt"),
        )
    )
    rows.append(
        (
            "(e) presses nothing, nobody answers",
            keys(unanswered),
            _reads(flow, unanswered),
            f"{unanswered.seconds:.1f}",
            "",
        )
    )
    for route in b.callers_lines():
        who = flow.professions.get(route.name, FAMILY_NAME)
        rows.append((f"(f) {who}: their line", keys(route), _dials(flow, route), f"{route.seconds:.1f}", limit("line")))
    assault = keys_to_option(flow, ASSAULT_OPTION)
    if assault is not None:
        route = b.keys_then_silence(assault)
        rows.append(
            (
                f"(g) {_choices(flow, assault, tries)}, then silence",
                keys(route),
                _dials(flow, route),
                f"{route.seconds:.1f}",
                limit("assault"),
            )
        )
    for first in b.first_lines():
        nxt, crisis = b.next_line(first.name), b.crisis_line(first.name)
        after = f"{_choices(flow, first.keys, tries)}: " if first.keys else ""
        rows.append(
            (
                f"(h) {after}{first.name} rings out, until the next try ({nxt.outcome}) rings",
                keys(nxt),
                _dials(flow, nxt),
                f"{nxt.seconds:.1f}",
                limit("next_line"),
            )
        )
        rows.append(
            (
                f"(i) {after}{first.name} rings out, until the 3114 is heard",
                keys(crisis),
                _reads(flow, crisis),
                f"{crisis.seconds:.1f}",
                limit("crisis_line"),
            )
        )
    lines = [
        "Seconds a caller listens before the transfer starts or the first word of a number: each key pressed "
        "as soon as its choice is said, speech at 15 characters a second, numbers at 90 %, "
        f"{settings.gather_timeout} s of silence per unanswered menu unless it sets its own, "
        f"{settings.dial_timeout} + {DIAL_TIMEOUT_EXTRA} s per transfer nobody answers"
        + (f"; at {now:%A %d %B %Y %H:%M}, services outside their hours closed." if now else "; every service open."),
        "",
    ]
    lines += _table(("route", "keys", "outcome", "seconds", "budget"), rows, right=(3,))
    return "\n".join(lines) + "\n"


def docs_settings(data_dir: Path, prompts_dir: Path) -> Settings:
    """The settings the generated documents are written with: the defaults, whatever the environment
    says, and the longest greeting; only the folders are the caller's."""
    return Settings.from_env({}, data_dir=data_dir, prompts_dir=prompts_dir, **LONGEST_GREETING)


def lines_document(data_dir: Path, prompts_dir: Path) -> str:
    """Write docs/lines.md: the directory and the time to a human, from `data/` and `prompts/`."""
    settings = docs_settings(data_dir, prompts_dir)
    flow = load_flow(settings.data_dir, settings.prompts_dir, settings.facts)
    renderer = Renderer(flow, settings)
    return "\n".join(
        [
            "# The line's numbers and times to a human",
            "",
            f"<!-- Generated by `{DOCS_COMMAND}` from data/ and prompts/: do not edit by hand. -->",
            f"This page is generated from `data/` and `prompts/fr.yaml` by `{DOCS_COMMAND}` (in the checkout, "
            f"`.venv/bin/{DOCS_COMMAND}`); run it after every change there. `ivr check --format markdown` and "
            "`ivr budget --format markdown` print each part on its own, with the settings of the shell.",
            "",
            directory_markdown(flow),
            "## Time to a human (`ivr budget`)",
            "",
            "With the longest greeting (`IVR_CALLER_ID` set and `IVR_FREE_NUMBER=1`), every other setting at "
            "its default, prompts timed from their text (recordings left out). The budgets are rules: "
            "`tests/line/test_budget.py` fails when a change breaks one.",
            "",
            budget_markdown(flow, renderer, settings),
        ]
    )
