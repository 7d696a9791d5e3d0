"""The route report: what each path of a simulated call leads to, in the directory's own words.

The simulator only knows TwiML; this module puts names on what it heard. A number is "read"
when a <Say> speaks one directory number and nothing else (prompts that mention a number inside
a sentence, like the emergency notice, are not outcomes). A number is "dialled" when a <Dial>
calls it. The time to an outcome is the estimated listening time from the answer of the call
to the start of the <Dial>, or to the end of the first reading of the number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from ..flow.directory import Service
from .explorer import SILENCE, Exploration
from .player import Call, Event

CALLER_ACTS = ("keys", "speech", "silence", "dial-status")
# A council's node: the département look-up's id, the département's code, and what follows (-closed).
COUNCIL_NODE = re.compile(r"(?P<base>.+?)-(?P<code>\d{2,3}|2[AB])(?P<rest>-.*)?")
ANY_DEPARTMENT = "<dépt>"
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """A number the caller is put through to, or hears."""

    kind: str  # "dial" or "read"
    number: str  # as written in data/directory.yaml when known
    seconds: float  # estimated listening time before it

    def __str__(self) -> str:
        return f"{'transfer to' if self.kind == 'dial' else 'reads'} {self.number}"


class NumberBook:
    """Recognise directory numbers in what the caller heard."""

    def __init__(self, services: Mapping[str, Service], played: Mapping[str, str] | None = None) -> None:
        self.spoken = {_norm(s.spoken): s.number for s in services.values() if s.words}
        # Numbers assembled from recorded words, by file name (names are content-hashed).
        self.played = {url.rsplit("/", 1)[-1]: services[sid].number for sid, url in (played or {}).items()}
        self.dialled = {s.dial: s.number for s in services.values() if s.dial}
        self.dialled.update({s.number.replace(" ", ""): s.number for s in services.values() if s.words})

    def read(self, event: Event) -> str | None:
        """Return the number a <Say> reads (when it reads one and nothing else), or a <Play> plays."""
        if event.kind == "play":
            return self.played.get(event.text.rsplit("/", 1)[-1])
        return self.spoken.get(_norm(event.text)) if event.kind == "say" else None

    def dial(self, event: Event) -> str:
        """Return the number a <Dial> calls, as written in the directory when it is there."""
        raw = event.text.split(",")[0].split(" ", 1)[-1].strip()
        return self.dialled.get(raw, raw)

    def outcomes(self, events: Iterable[Event]) -> list[Outcome]:
        """List every transfer and every first reading of a number after each caller action."""
        found: list[Outcome] = []
        read_since_act: set[str] = set()
        for event in events:
            if event.kind in CALLER_ACTS:
                read_since_act = set()
            elif event.kind == "dial":
                found.append(Outcome("dial", self.dial(event), event.at))
            elif (number := self.read(event)) and number not in read_since_act:
                read_since_act.add(number)
                found.append(Outcome("read", number, event.end))
        return found

    def last(self, events: list[Event]) -> Outcome | None:
        """Return the outcome since the caller's last action: where this path has led."""
        acts = [i for i, e in enumerate(events) if e.kind in CALLER_ACTS]
        tail = self.outcomes(events[acts[-1] + 1 if acts else 0 :])
        return tail[0] if tail else None


def _norm(text: str) -> str:
    return " ".join(text.replace(",", " ").replace(".", " ").split()).lower()


def heard_since_last_act(events: list[Event]) -> list[str]:
    """Return the texts said or played since the caller's last action."""
    acts = [i for i, e in enumerate(events) if e.kind in CALLER_ACTS]
    return [e.text for e in events[acts[-1] + 1 if acts else 0 :] if e.kind in ("say", "play")]


@dataclass(frozen=True)
class Row:
    """One line of the route report."""

    keys: str
    place: str  # the flow node, from the callback URL's `n=`
    outcome: Outcome
    heard: str
    inputs: tuple[str, ...] = ()  # the keys, one input each


def department(node: str) -> tuple[str, str] | None:
    """The département of a council's node and the node with it masked: `cdo_lookup-14-closed` ->
    ("14", "cdo_lookup-<dépt>-closed"); None for a node of no département."""
    found = COUNCIL_NODE.fullmatch(node)
    if found is None:
        return None
    return found["code"], f"{found['base']}-{ANY_DEPARTMENT}{found['rest'] or ''}"


def masked(node: str) -> str:
    """A node with its département masked, when it has one."""
    found = department(node)
    return found[1] if found else node


@dataclass(frozen=True)
class Departments:
    """Items that say the same thing for several départements: one line of a report."""

    items: tuple
    codes: tuple[str, ...]
    position: int  # the input that says the département

    def keys(self, inputs: Sequence[str]) -> str:
        """The keys of one item, the département's input masked."""
        return keys_of([*inputs[: self.position], ANY_DEPARTMENT, *inputs[self.position + 1 :]])

    def summary(self) -> str:
        """Name the départements in France's order, consecutive codes as a range: `01–13, 15, 2A
        (16 départements)`; Corsica's 2A and 2B stand between 19 and 21."""
        runs: list[list[str]] = []
        for code in sorted(self.codes, key=_in_order):
            if runs and _follows(runs[-1][-1], code):
                runs[-1].append(code)
            else:
                runs.append([code])
        named = [f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(run) for run in runs]
        return f"{', '.join(named)} ({len(self.codes)} départements)"


_CORSICA = {"19": "2A", "2A": "2B", "2B": "21"}  # the codes that follow one another around Corsica's


def _in_order(code: str) -> tuple[int, str]:
    """Sort départements as France numbers them: 19, 2A, 2B, 21, …, 95, 971."""
    return (20, code[1]) if code in ("2A", "2B") else (int(code) if code.isdigit() else 1000, code)


def _follows(before: str, code: str) -> bool:
    return _CORSICA.get(before) == code or (before.isdigit() and code.isdigit() and int(code) == int(before) + 1)


def by_department(
    items: Sequence[T], node: Callable[[T], str], inputs: Callable[[T], Sequence[str]], says: Callable[[T], Hashable]
) -> list[T | Departments]:
    """Group the items that say the same thing (`says`, written with masked nodes) of two or more
    départements, reached by the same inputs but one; keep every other item, a single département's
    included, on its own, in the order of the first of each."""
    buckets: dict[Hashable, list[T]] = {}
    for index, item in enumerate(items):
        found = department(node(item))
        key = (says(item), len(inputs(item))) if found else index
        buckets.setdefault(key, []).append(item)
    out: list[T | Departments] = []
    for bucket in buckets.values():
        codes = [department(node(item)) for item in bucket]
        positions = [i for i in range(len(inputs(bucket[0]))) if len({tuple(inputs(x))[i] for x in bucket}) > 1]
        if len(bucket) < 2 or len(positions) != 1 or len({c[0] for c in codes if c}) != len(bucket):
            out += bucket
        else:
            out.append(Departments(tuple(bucket), tuple(c[0] for c in codes if c), positions[0]))
    first = {id(item): index for index, item in enumerate(items)}
    return sorted(out, key=lambda x: first[id(x.items[0] if isinstance(x, Departments) else x)])


def keys_of(inputs: Iterable[str]) -> str:
    """Write the caller's inputs as `ivr call --keys` takes them."""
    return " ".join(inputs) or "(none)"


def place(call: Call) -> str:
    """Name the node a waiting call is at, from the `n=` of its callback URL."""
    waiting = call.gather or call.dial
    url = getattr(waiting, "action", None) or call.doc_url
    return parse_qs(urlsplit(url).query).get("n", [url])[0]


def report(found: Exploration, book: NumberBook, every: bool = False) -> tuple[list[Row], list[str]]:
    """Build the rows and the problems: the shortest path to each (node, outcome), and the path of a
    caller who never presses a key; with `every`, each state that reaches a number."""
    rows, seen, problems = [], set(), list(found.problems)
    for stop in found.states.values():
        outcome = book.last(stop.call.events)
        where = place(stop.call)
        silent = all(i == SILENCE for i in stop.inputs)
        if outcome is None or not (every or silent or (where, str(outcome)) not in seen):
            continue
        seen.add((where, str(outcome)))
        heard = " / ".join(heard_since_last_act(stop.call.events))
        rows.append(Row(keys_of(stop.inputs), where, outcome, heard, tuple(stop.inputs)))
    for stop in found.endings:
        call = stop.call
        if call.error is not None:
            continue
        acts = [e for e in call.events if e.kind in CALLER_ACTS]
        after_transfer = bool(acts) and acts[-1].kind == "dial-status" and acts[-1].text == "completed"
        if not after_transfer and book.last(call.events) is None and call.ended != "caller hung up":
            problems.append(f"{keys_of(stop.inputs)}: the call ends ({call.ended}) without a transfer or a number")
    return rows, problems


def call_summary(call: Call, book: NumberBook) -> str:
    """Say how long the caller listened before reaching a human or hearing a number."""
    events = call.events
    answered = [i for i, e in enumerate(events) if e.kind == "dial-status" and e.text == "completed"]
    outcomes = book.outcomes(events)
    reads = [o for o in outcomes if o.kind == "read"]
    dials = [o for o in outcomes if o.kind == "dial"]
    parts = []
    if answered:
        dial_events = [e for e in events[: answered[0]] if e.kind == "dial"]
        parts.append(
            f"{dial_events[-1].at:.0f} s before being put through to {book.dial(dial_events[-1])} (a human answered)"
        )
    elif dials:
        parts.append(f"{dials[0].seconds:.0f} s before the transfer to {dials[0].number} started ringing")
    if reads:
        parts.append(f"{reads[0].seconds:.0f} s before hearing {reads[0].number} (end of its first reading)")
    if not parts:
        return "No transfer and no number heard in this call."
    return "Time listening: " + "; ".join(parts) + "."


COLUMNS = ("keys", "node", "outcome", "seconds", "heard")


def _cells(row: Row) -> tuple[str, ...]:
    return row.keys, row.place, str(row.outcome), f"{row.outcome.seconds:.0f}", row.heard


def seconds_of(values: Iterable[float]) -> str:
    """Seconds as the report writes them: `59`, or the range `59–72` of a group."""
    seen = list(values)
    low, high = f"{min(seen):.0f}", f"{max(seen):.0f}"
    return low if low == high else f"{low}–{high}"


def grouped(rows: list[Row]) -> list[tuple[tuple[str, ...], bool]]:
    """The cells of the rows, and whether they are a group: the rows that say the same thing of several
    départements (same node but for the département, same outcome) on one line, `1 2 <dépt>`, the
    seconds' range, and the départements where the heard text was."""
    out = []
    for item in by_department(rows, lambda r: r.place, lambda r: r.inputs, lambda r: (masked(r.place), str(r.outcome))):
        if isinstance(item, Row):
            out.append((_cells(item), False))
        else:
            first = item.items[0]
            seconds = seconds_of(r.outcome.seconds for r in item.items)
            cells = (item.keys(first.inputs), masked(first.place), str(first.outcome), seconds, item.summary())
            out.append((cells, True))
    return out


def as_markdown(rows: list[Row]) -> str:
    """Write the rows as a Markdown table, the départements that say the same thing on one line."""
    lines = ["| keys | node | outcome | seconds | heard since the last key |", "| --- | --- | --- | ---: | --- |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells, _ in grouped(rows)]
    return "\n".join(lines) + "\n"


def as_csv(rows: list[Row]) -> str:
    """Write the rows as CSV, one line each (for a spreadsheet: no group)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_cells(r) for r in rows)
    return out.getvalue()


def as_text(rows: list[Row], width: int = 60) -> str:
    """Write the rows as an aligned plain-text table, the départements that say the same thing on one
    line, the heard texts cut to `width` (never the départements of a group)."""
    lines = grouped(rows)
    keys_w = max([len(c[0]) for c, _ in lines] + [4])
    node_w = max([len(c[1]) for c, _ in lines] + [4])
    out_w = max([len(c[2]) for c, _ in lines] + [7])
    s_w = max([len(c[3]) for c, _ in lines] + [4])
    text = [f"{'keys':<{keys_w}}  {'node':<{node_w}}  {'outcome':<{out_w}}  {'s':>{s_w}}  heard"]
    for (keys, node, outcome, seconds, heard), group in lines:
        if not group and len(heard) > width:
            heard = heard[: width - 1] + "…"
        text.append(f"{keys:<{keys_w}}  {node:<{node_w}}  {outcome:<{out_w}}  {seconds:>{s_w}}  {heard}")
    return "\n".join(text) + "\n"
