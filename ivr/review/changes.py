"""What a change of the flow does to callers: the routes of two versions, played in both, compared.

A route is one `ivr routes` reports (the shortest keys to each node and number, and the caller who
never presses a key) in either version. Each is played again in both versions, and its ending
compared: which number, which service, transfer or read-out, and the listening time before it.
A route that no longer reaches a person (the call ends without a transfer or a number, or the
explorer finds a dead end, a loop or an error that the other version did not have) is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..flow.directory import Service
from ..flow.model import Flow, Readout
from ..simulator.explorer import MAX_DEPTH, Exploration, Progress, explore, no_progress
from ..simulator.player import DIAL_STATUSES, Call
from ..simulator.report import Departments, NumberBook, by_department, department, keys_of, masked, place, report

HUMAN = ("dial", "read")


@dataclass(frozen=True)
class Version:
    """One version of the flow, and how to call it."""

    label: str
    flow: Flow
    start: Callable[[], Call]  # a new call, not yet started
    book: NumberBook


@dataclass(frozen=True)
class Ending:
    """Where a route leads: a transfer, a number read, a menu still waiting, or the end of the call."""

    kind: str  # "dial", "read", "wait" (no number yet), "lost" (the call ends without a human), "error"
    node: str
    number: str = ""
    service: str = ""
    seconds: float = 0.0
    detail: str = ""

    @property
    def human(self) -> bool:
        """Tell whether the route reaches a person: put through, or told a number."""
        return self.kind in HUMAN

    def way(self) -> tuple[str, ...]:
        """What must stay the same for the caller: the kind of ending and its number (the node when no number)."""
        return (self.kind, self.number, self.service) if self.human else (self.kind, self.node)

    def __str__(self) -> str:
        return self.told(self.node)

    def told(self, node: str) -> str:
        """Say the ending, at `node` (the node itself, or with its département masked)."""
        if self.kind == "dial":
            return f"transfer to {self.number} ({self.service}) at {node}"
        if self.kind == "read":
            return f"reads {self.number} ({self.service}) at {node}"
        if self.kind == "wait":
            return f"waits at {node}, no number"
        return f"{self.detail} at {node}"


@dataclass(frozen=True)
class Route:
    """One route played in both versions."""

    inputs: tuple[str, ...]
    before: Ending
    after: Ending

    @property
    def keys(self) -> str:
        return keys_of(self.inputs)


@dataclass
class Changes:
    """Everything that differs for callers between two versions, grouped."""

    before: str
    after: str
    endings: list[Route] = field(default_factory=list)  # same keys, another ending
    lost: list[str] = field(default_factory=list)  # routes that no longer reach a person: errors
    numbers_added: list[tuple[str, str, str]] = field(default_factory=list)  # service, number, words
    numbers_removed: list[tuple[str, str, str]] = field(default_factory=list)
    numbers_changed: list[tuple[str, tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    prompts: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # key, before, after
    slower: list[Route] = field(default_factory=list)  # same ending, time to a human moved beyond the threshold
    threshold: float = 2.0
    # Numbers changed while their sources' dates did not: (file, service or council, before, after, dates).
    undated: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.endings,
                self.lost,
                self.numbers_added,
                self.numbers_removed,
                self.numbers_changed,
                self.prompts,
                self.slower,
            )
        )


def _service_of(flow: Flow, number: str) -> str:
    return ", ".join(sid for sid, s in flow.services.items() if s.number == number) or "not in the directory"


def play(version: Version, inputs: tuple[str, ...]) -> Ending:
    """Play a route in a version, stopping at the first input that does not fit what the call waits for."""
    call = version.start().start()
    for token in inputs:
        if call.over:
            break
        fits = token in DIAL_STATUSES if call.dial is not None else token not in DIAL_STATUSES
        if not fits:
            break
        call.act(token)
    node = place(call)
    if call.error is not None:
        return Ending("error", node, detail=f"error: {call.error}")
    outcome = version.book.last(call.events)
    if outcome is not None:
        return Ending(outcome.kind, node, outcome.number, _service_of(version.flow, outcome.number), outcome.seconds)
    if call.over:
        return Ending("lost", node, detail=f"the call ends ({call.ended}) without a transfer or a number")
    return Ending("wait", node)


def routes(found: Exploration, book: NumberBook) -> tuple[list[tuple[str, ...]], list[str]]:
    """Return the inputs of every route `ivr routes` reports, and the problems it finds."""
    rows, problems = report(found, book)
    return [
        tuple(stop.inputs) for stop in found.states.values() if keys_of(stop.inputs) in {r.keys for r in rows}
    ], problems


def _grouped(problems: list[str], shown: set[str]) -> list[str]:
    """Group the explorer's problems ("keys: what goes wrong") by what goes wrong, shortest keys first."""
    ways: dict[str, list[str]] = {}
    for problem in problems:
        way, _, what = problem.partition(": ")
        ways.setdefault(what, []).append(way)
    out = []
    for what, keys in ways.items():
        keys.sort(key=lambda k: (len(k.split()), k))
        if keys[0] in shown:
            continue
        more = f" (and {len(keys) - 1} longer way(s) to the same)" if len(keys) > 1 else ""
        out.append(f"{keys[0]}: {what}{more}")
    return out


def compare(
    before: Version,
    after: Version,
    threshold: float = 2.0,
    depth: int = MAX_DEPTH,
    explored: tuple[Exploration, Exploration] | None = None,
    progress: Progress = no_progress,
) -> Changes:
    """Explore both versions (unless `explored` gives both explorations), play every route of either
    in both, and group what changed; say how far each step is to `progress`."""
    changes = Changes(before.label, after.label, threshold=threshold)
    found = explored or tuple(_explore(version, depth, progress) for version in (before, after))
    inputs_before, problems_before = routes(found[0], before.book)
    inputs_after, problems_after = routes(found[1], after.book)
    new_problems = [p for p in problems_after if p not in problems_before]
    seen: list[tuple[str, ...]] = []
    every = sorted(dict.fromkeys(inputs_before + inputs_after), key=lambda i: (len(i), i))
    played = []
    with progress(f"Playing {len(every)} routes in both", len(every)) as step:
        for inputs in every:
            played.append(Route(inputs, play(before, inputs), play(after, inputs)))
            step(1)
    for route in played:
        inputs = route.inputs
        if route.before.human and not route.after.human and route.after.kind != "wait":
            changes.lost.append(f"{route.keys}: {route.before} before; now {route.after}")
        if route.before.way() != route.after.way():
            if not any(inputs[: len(s)] == s for s in seen):  # what follows a changed route changed with it
                changes.endings.append(route)
            seen.append(inputs)
        elif route.before.human and abs(route.after.seconds - route.before.seconds) > threshold:
            changes.slower.append(route)
    changes.lost += _grouped(new_problems, {r.split(":", 1)[0] for r in changes.lost})
    old, new = before.flow.services, after.flow.services
    changes.numbers_added = [(sid, new[sid].number, new[sid].spoken) for sid in new if sid not in old]
    changes.numbers_removed = [(sid, old[sid].number, old[sid].spoken) for sid in old if sid not in new]
    changes.numbers_changed = [
        (sid, (old[sid].number, old[sid].spoken), (new[sid].number, new[sid].spoken))
        for sid in old
        if sid in new and old[sid].number != new[sid].number
    ]
    changes.undated = undated(before.flow, after.flow)
    keys = list(dict.fromkeys([*before.flow.prompts, *after.flow.prompts]))
    changes.prompts = [
        (k, before.flow.prompts.get(k), after.flow.prompts.get(k))
        for k in keys
        if before.flow.prompts.get(k) != after.flow.prompts.get(k)
    ]
    return changes


def _explore(version: Version, depth: int, progress: Progress) -> Exploration:
    with progress(f"Exploring {version.label}", None) as step:
        return explore(version.start, max_depth=depth, step=step)


def source_dates(service: Service) -> str:
    """The days a service's number was read from its pages (from its seed documents when it has no page)."""
    pages = [s.date for s in service.sources if s.url and s.date]
    return ", ".join(dict.fromkeys(pages or [s.date for s in service.sources if s.date])) or "no date"


def undated(old: Flow, new: Flow) -> list[tuple[str, str, str, str, str]]:
    """The numbers that changed while the day their source was read did not: a number of directory.yaml
    (by service), or the number a council of councils.yaml reads (when it names another service)."""
    found = [
        ("directory.yaml", sid, old.services[sid].number, service.number, source_dates(service))
        for sid, service in new.services.items()
        if sid in old.services
        and old.services[sid].number != service.number
        and source_dates(old.services[sid]) == source_dates(service)
    ]
    for nid, node in new.nodes.items():
        was = old.nodes.get(nid)
        if not (nid in new.places and isinstance(node, Readout) and isinstance(was, Readout)):
            continue
        before, after = old.services[was.service], new.services[node.service]
        if was.service != node.service and before.number != after.number:
            if source_dates(before) == source_dates(after):
                found.append(("councils.yaml", node.service, before.number, after.number, source_dates(after)))
    return found


NO_CHANGE = "no change for callers"


def _seconds(route: Route) -> str:
    delta = route.after.seconds - route.before.seconds
    return f"{route.before.seconds:.1f} s → {route.after.seconds:.1f} s ({delta:+.1f} s)"


def _times(route: Route) -> str:
    return " → ".join(f"{e.seconds:.1f} s" if e.human else "no human" for e in (route.before, route.after))


def _route_says(route: Route) -> tuple:
    """What a route says, its département masked: the routes of several départements that say the same
    are one line."""
    return tuple((e.told(masked(e.node)), e.human) for e in (route.before, route.after))


def _council(route: Route) -> str:
    """The node that names the route's département: where it led before, or leads now."""
    return route.before.node if department(route.before.node) else route.after.node


def _by_department(routes: list[Route]) -> list[Route | Departments]:
    return by_department(routes, _council, lambda r: r.inputs, _route_says)


def _range(routes: tuple[Route, ...], ending: str) -> str:
    """The seconds of the routes' endings before or after, `59.0 s` or `59.0–72.0 s`; "no human"."""
    endings = [getattr(r, ending) for r in routes]
    if not endings[0].human:
        return "no human"
    low, high = min(e.seconds for e in endings), max(e.seconds for e in endings)
    return f"{low:.1f} s" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}–{high:.1f} s"


def _ending_rows(changes: Changes) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for item in _by_department(changes.endings):
        if isinstance(item, Route):
            rows.append((item.keys, str(item.before), str(item.after), _times(item)))
        else:
            first: Route = item.items[0]
            keys = f"{item.keys(first.inputs)} ({item.summary()})"
            before, after = (first.before.told(masked(first.before.node)), first.after.told(masked(first.after.node)))
            rows.append((keys, before, after, f"{_range(item.items, 'before')} → {_range(item.items, 'after')}"))
    return rows


def _slower_rows(changes: Changes) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for item in _by_department(changes.slower):
        if isinstance(item, Route):
            rows.append((item.keys, str(item.after), _seconds(item)))
        else:
            first: Route = item.items[0]
            deltas = sorted({f"{r.after.seconds - r.before.seconds:+.1f}" for r in item.items}, key=float)
            delta = deltas[0] if len(deltas) == 1 else f"{deltas[0]}…{deltas[-1]}"
            seconds = f"{_range(item.items, 'before')} → {_range(item.items, 'after')} ({delta} s)"
            keys = f"{item.keys(first.inputs)} ({item.summary()})"
            rows.append((keys, first.after.told(masked(first.after.node)), seconds))
    return rows


def sections(changes: Changes) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """Return (title, columns, rows) for each group that changed, errors first."""
    out: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = []
    if changes.lost:
        out.append(("ERROR: routes that no longer reach a person", ("route",), [(p,) for p in changes.lost]))
    if changes.endings:
        out.append(
            (
                "Routes whose ending changed",
                ("keys", "before", "after", "time to a human"),
                _ending_rows(changes),
            )
        )
    numbers: list[tuple[str, ...]] = [("added", sid, "", f"{n} ({w})") for sid, n, w in changes.numbers_added]
    numbers += [("removed", sid, f"{n} ({w})", "") for sid, n, w in changes.numbers_removed]
    numbers += [("changed", sid, f"{a[0]} ({a[1]})", f"{b[0]} ({b[1]})") for sid, a, b in changes.numbers_changed]
    if numbers:
        out.append(("Numbers added, removed or changed", ("", "service", "before", "after"), numbers))
    if changes.prompts:
        out.append(
            (
                "Prompts changed",
                ("prompt", "before", "after"),
                [(k, b or "(none)", a or "(none)") for k, b, a in changes.prompts],
            )
        )
    if changes.slower:
        out.append(
            (
                f"Time to a human changed by more than {changes.threshold:g} s",
                ("keys", "ending", "seconds"),
                _slower_rows(changes),
            )
        )
    return out


def _text_row(columns: tuple[str, ...], row: tuple[str, ...]) -> list[str]:
    """Write one row for a terminal: before and after on their own lines when they are long."""
    if columns[-2:] == ("before", "after"):
        head = " ".join(row[:-2])
        return [f"  {head}:", f"    before: {row[-2] or '(none)'}", f"    after:  {row[-1] or '(none)'}"]
    if columns[-3:-1] == ("before", "after"):
        return [f"  {row[0]}: {row[-1]}", f"    before: {row[1]}", f"    after:  {row[2]}"]
    return ["  " + ": ".join(row)]


def as_text(changes: Changes) -> str:
    """Describe the changes for a terminal."""
    if not changes:
        return f"{changes.before} → {changes.after}: {NO_CHANGE}.\n"
    lines = [f"What changes for callers, {changes.before} → {changes.after}:"]
    for title, columns, rows in sections(changes):
        lines.append(f"\n{title} ({len(rows)}):")
        for row in rows:
            lines += _text_row(columns, row)
    return "\n".join(lines) + "\n"


def as_markdown(changes: Changes) -> str:
    """Describe the changes as Markdown, for a merge request."""
    if not changes:
        return f"**{NO_CHANGE}** ({changes.before} → {changes.after}).\n"
    lines = [f"## What changes for callers ({changes.before} → {changes.after})"]
    for title, columns, rows in sections(changes):
        lines += [
            "",
            f"### {title} ({len(rows)})",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + " --- |" * len(columns),
        ]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
