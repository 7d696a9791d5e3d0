"""The flow as a picture: one Graphviz node per flow node, each drawn by a small function of its type.

Every node of the SVG is a `<g class="node" id="node-<flow node id>">`, so a page can find and
highlight where a caller is; it is titled with the words staff know (flow/names.py), its id small
below. Keys 0, *, # and silence are drawn as light edges (`class="edge light"`): they exist at every
menu and would otherwise hide the options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import graphviz

from ..flow import moves, names
from ..flow.model import (
    BACK_KEY,
    OPERATOR_KEY,
    READOUT_REPEAT_KEY,
    REPEAT_KEY,
    SYNTHETIC_SEP,
    Department,
    Flow,
    Interactive,
    Menu,
    Readout,
    Transfer,
    key_moves,
)
from ..flow.position import Position
from ..line.budget import Budget
from ..line.runtime import Line

FORMATS = ("svg", "png", "dot")
COLOURS = {"menu": "#dbe9f6", "readout": "#d9f0dc", "department": "#fbeccb", "transfer": "#eadcf5", "other": "#eeeeee"}
LIGHT = {
    "color": "#b4b4b4",
    "fontcolor": "#808080",
    "style": "dashed",
    "penwidth": "0.7",
    "arrowsize": "0.5",
    "fontsize": "8",
    "constraint": "false",
    "class": "light",  # the keypad page leaves them out of a node's neighbourhood
}
WIDTH = 46  # characters of a sentence shown in a node


def node_id(nid: str) -> str:
    """Return the SVG id of a flow node's picture."""
    return f"node-{nid}"


def grown_transfer(flow: Flow, nid: str) -> bool:
    """Tell whether a node is a council without a number: named, then put through like 0. There is one
    per département, about a hundred: the picture draws them as one edge to the operator, not as nodes."""
    return SYNTHETIC_SEP in nid and isinstance(flow.nodes[nid], Transfer)


def drawn(flow: Flow) -> list[str]:
    """List the flow nodes the picture draws, each as `node-<id>`."""
    return [nid for nid in flow.nodes if not grown_transfer(flow, nid)]


@dataclass(frozen=True)
class Ending:
    """The fastest way to a human at an ending: seconds, and the keys pressed."""

    seconds: float
    keys: tuple[str, ...]

    def __str__(self) -> str:
        keys = " ".join(k or "silence" for k in self.keys) or "no key"
        return f"{self.seconds:.1f} s to a human ({keys})"


def endings(line: Line) -> dict[str, list[Ending]]:
    """Return, per transfer and read-out node, the time to a human of `ivr budget`: the fastest keys,
    and for the operator the caller who presses 0 at once and the one who stays silent."""
    budget = Budget(line.flow, line.renderer, line.audio)
    found: dict[str, list[Ending]] = {}
    for route in budget.numbers():
        best = found.get(route.name)
        if best is None or route.seconds < best[0].seconds:
            found[route.name] = [Ending(route.seconds, route.keys)]
    operator = line.flow.operator
    extra = [budget.zero_caller(), budget.silent_caller()]
    found[operator] = sorted(
        found.get(operator, []) + [Ending(r.seconds, r.keys) for r in extra], key=lambda e: e.seconds
    )
    return found


def shorten(text: str, width: int = WIDTH) -> str:
    """Return a text as a node's row shows it: on one line, cut to `width` characters."""
    return names.shorten(text, width)


@dataclass
class Picture:
    """The graph being drawn, and what the per-type functions need to draw a node."""

    line: Line
    graph: graphviz.Digraph
    endings: dict[str, list[Ending]] = field(default_factory=dict)

    @property
    def flow(self) -> Flow:
        """Return the flow being drawn."""
        return self.line.flow

    def box(self, nid: str, kind: str, title: str, rows: list[tuple[str, str | None]]) -> None:
        """Draw a node as a table: a title, then rows of (text, port or None)."""
        words = shorten(self.line.names.node(nid).words)
        cells = [
            f'<tr><td align="left"><b>{escape(words)}</b></td></tr>',
            f'<tr><td align="left"><font point-size="8" color="#666666">{escape(nid)}</font>'
            f'<font point-size="8"> · {escape(title)}</font></td></tr>',
        ]
        for text, port in rows:
            attr = f' port="{port}"' if port else ""
            cells.append(f'<tr><td align="left"{attr}>{escape(text)}</td></tr>')
        for ending in self.endings.get(nid, []):
            cells.append(f'<tr><td align="left"><font color="#8a1c1c">{escape(str(ending))}</font></td></tr>')
        label = '<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">' + "".join(cells) + "</table>>"
        self.graph.node(nid, label=label, id=node_id(nid), fillcolor=COLOURS[kind])

    def edge(self, tail: str, head: str, label: str, eid: str, **attrs: str) -> None:
        if grown_transfer(self.flow, head.split(":")[0]):
            head = self.flow.operator_of(tail.split(":")[0])  # a council without a number: named, then put through
        self.graph.edge(tail, head, label=label, id=f"edge-{eid}", **attrs)

    def service(self, sid: str) -> list[tuple[str, str | None]]:
        """Rows naming a service and its number."""
        service = self.flow.services[sid]
        return [(f"{service.number}  ({sid})", None), (shorten(service.name), None)]

    def said(self, keys: tuple[str, ...]) -> list[tuple[str, str | None]]:
        """Rows showing the start of each sentence."""
        return [(f"« {shorten(self.flow.prompts[k])} »", None) for k in keys]


def _menu(p: Picture, node: Menu) -> None:
    rows = p.said(node.intro + node.say)
    rows += [(f"{o.key}  {shorten(p.flow.prompts[o.say])}", f"k{o.key}") for o in node.options]
    p.box(node.id, "menu", "menu", rows)
    for o in node.options:
        p.edge(f"{node.id}:k{o.key}", o.target, o.key, f"{node.id}-{o.key}")


def _readout(p: Picture, node: Readout) -> None:
    p.box(node.id, "readout", "reads", p.said(node.intro) + p.service(node.service))


def _department(p: Picture, node: Department) -> None:
    rows = p.said(node.intro + node.say)
    shown, named = [], []
    for code, target in node.codes.items():
        child = p.flow.nodes[target]
        if isinstance(child, Readout):
            shown.append((code, target, p.flow.services[child.service].number))
        elif grown_transfer(p.flow, target):
            named.append(code)
        else:
            shown.append((code, target, "a further question"))
    rows += [(f"{code}  {what}", f"d{code}") for code, _, what in shown]
    if named:
        rows.append((f"{len(named)} other codes: the council named, then put through", "named"))
    rows.append(("no such code: said, asked again once", None))
    p.box(node.id, "department", "département", rows)
    for code, target, _ in shown:
        p.edge(f"{node.id}:d{code}", target, code, f"{node.id}-{code}")
    if named:
        p.edge(f"{node.id}:named", p.flow.operator_of(node.id), f"{len(named)} codes", f"{node.id}-named")


def _transfer(p: Picture, node: Transfer) -> None:
    tries = list(dict.fromkeys(node.services))
    rows = p.said(node.intro) + [row for sid in tries for row in p.service(sid)]
    if len(node.services) > 1:
        rows.append((f"{len(node.services)} tries: " + ", then ".join(node.services), None))
    p.box(node.id, "transfer", "puts through to", rows)
    p.edge(
        node.id,
        node.on_failure,
        "busy, no answer, failed" + (" (every try)" if len(node.services) > 1 else ""),
        f"{node.id}-failure",
        color="#b3261e",
        fontcolor="#b3261e",
        style="bold",
    )


def _other(p: Picture, node) -> None:
    """A node type this picture does not know yet: its id, type and key moves."""
    p.box(node.id, "other", type(node).__name__.lower(), [])
    for key, target in key_moves(node):
        p.edge(node.id, target, key, f"{node.id}-{key}")


DRAW: dict[type, Callable[[Picture, Any], None]] = {
    Menu: _menu,
    Readout: _readout,
    Department: _department,
    Transfer: _transfer,
}


def draw(p: Picture, node) -> None:
    """Draw one node with the function of its type (a type not known yet: its id, type and keys)."""
    DRAW.get(type(node), _other)(p, node)


def _light_edges(p: Picture) -> None:
    """Draw 0, *, # and silence lightly, from where the moves of a call really lead."""
    flow, tries = p.flow, p.line.settings.max_tries
    before: dict[str, set[str]] = {nid: set() for nid in flow.nodes}
    for nid, node in flow.nodes.items():
        for _, target in key_moves(node):
            before[target].add(nid)
    for nid, node in flow.nodes.items():
        if not isinstance(node, Interactive):
            continue
        before[nid] = {b for b in before[nid] if not grown_transfer(flow, b)}
        zero = moves.press(flow, Position(nid), OPERATOR_KEY, tries).position.node
        silent = moves.press(flow, Position(nid), "", tries).position.node
        repeat = f"{REPEAT_KEY}, {READOUT_REPEAT_KEY}" if isinstance(node, Readout) else REPEAT_KEY
        backs = sorted(b for b in before[nid] if isinstance(flow.nodes[b], Interactive))
        if zero == silent:
            p.edge(nid, zero, f"{OPERATOR_KEY}, silence", f"{nid}-0", **LIGHT)
        else:
            p.edge(nid, zero, OPERATOR_KEY, f"{nid}-0", **LIGHT)
            p.edge(nid, silent, "silence", f"{nid}-silence", **LIGHT)
        p.edge(nid, nid, repeat if backs else f"{repeat}, {BACK_KEY}", f"{nid}-repeat", **LIGHT)
        for b in backs:
            p.edge(nid, b, BACK_KEY, f"{nid}-back-{b}", **LIGHT)


def picture(line: Line) -> graphviz.Digraph:
    """Draw the whole flow of a line, with the time to a human on each ending."""
    graph = graphviz.Digraph(
        "flow",
        graph_attr={"rankdir": "TB", "fontname": "sans-serif", "nodesep": "0.3", "ranksep": "0.45"},
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "sans-serif",
            "fontsize": "10",
            "color": "#555555",
            "margin": "0.05",
        },
        edge_attr={"fontname": "sans-serif", "fontsize": "10", "color": "#333333"},
    )
    p = Picture(line, graph, endings(line))
    graph.node(
        "start", label="call", shape="circle", style="filled", fillcolor="#333333", fontcolor="white", id="node-start"
    )
    graph.edge("start", line.flow.entry, id="edge-start")
    for nid in drawn(line.flow):
        draw(p, line.flow.nodes[nid])
    _light_edges(p)
    return graph


def render(line: Line, fmt: str = "svg") -> bytes:
    """Return the picture as SVG, PNG or DOT bytes; raise graphviz.ExecutableNotFound without Graphviz."""
    graph = picture(line)
    if fmt == "dot":
        return graph.source.encode("utf-8")
    return graph.pipe(format=fmt)


def svg_once(line: Line) -> Callable[[], bytes | None]:
    """Return a function giving the SVG of a line, drawn on first use; None when Graphviz is missing."""
    drawn: list[bytes | None] = []

    def svg() -> bytes | None:
        if not drawn:
            try:
                drawn.append(render(line, "svg"))
            except graphviz.ExecutableNotFound:
                drawn.append(None)
        return drawn[0]

    return svg
