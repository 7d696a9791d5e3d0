"""The words staff know for the ids the line counts and draws: menu labels, département names, services.

Built once per loaded flow (`Line.build`), read when a page or a command shows ids; the webhooks never
need it. An id the flow no longer has (a node removed since its counts were written) is not an
error: it is named by its id, marked as gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .councils import PREFIX_NAMES
from .model import CLOSED, CLOSED_MOVE, SYNTHETIC_SEP, Department, Flow, Menu, Readout, Transfer, key_moves

WIDTH = 48  # characters of a sentence that names a node no choice leads to


@dataclass(frozen=True)
class Name:
    """What to show for an id: its words, the id, and whether the flow still has it."""

    words: str
    id: str
    known: bool = True

    def __str__(self) -> str:
        return self.words


@dataclass(frozen=True)
class Names:
    """The words of each node and service of one flow."""

    nodes: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)

    def node(self, nid: str) -> Name:
        """Name a node; an id not in the flow is shown as itself, marked as gone."""
        words = self.nodes.get(nid)
        return Name(words, nid) if words is not None else Name(nid, nid, known=False)

    def service(self, sid: str) -> Name:
        """Name a service of the directory; an id not in it is shown as itself, marked as gone."""
        words = self.services.get(sid)
        return Name(words, sid) if words is not None else Name(sid, sid, known=False)


def shorten(text: str, width: int = WIDTH) -> str:
    """Return a text on one line, cut to `width` characters with "…" when longer."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _labels(flow: Flow) -> dict[str, list[str]]:
    """The labels of the menu options that lead to each node, in the order of the flow."""
    found: dict[str, list[str]] = {}
    for node in flow.nodes.values():
        if isinstance(node, Menu):
            for option in node.options:
                label = flow.prompts.get(option.say)
                if label and label not in found.setdefault(option.target, []):
                    found[option.target].append(label)
    return found


def _said(flow: Flow, node) -> str | None:
    """The start of the first sentence a node says."""
    for key in (*getattr(node, "intro", ()), *getattr(node, "say", ())):
        if flow.prompts.get(key):
            return shorten(flow.prompts[key])
    return None


def _council(flow: Flow, nid: str) -> str | None:
    """A council's node: its code and its département's name ("07 Ardèche"); a question a prefix asks
    ("20", "97"): the prefix and the names of its départements."""
    code = nid.rpartition(SYNTHETIC_SEP)[2]
    if nid in flow.places:
        return f"{code} {flow.places[nid]}"
    node = flow.nodes[nid]
    if SYNTHETIC_SEP in nid and isinstance(node, Menu | Department):
        targets = [o.target for o in node.options] if isinstance(node, Menu) else list(node.codes.values())
        names = [flow.places[t] for t in targets if t in flow.places]
        if code in PREFIX_NAMES:
            return f"{code} {PREFIX_NAMES[code]} ({', '.join(names)})" if names else f"{code} {PREFIX_NAMES[code]}"
        return f"{code} ({', '.join(names)})" if names else code
    return None


def _before(flow: Flow) -> dict[str, str]:
    """The first node (in the order of the flow) a key or a failed transfer leads from, for each node."""
    found: dict[str, str] = {}
    for nid, node in flow.nodes.items():
        nexts = [target for _, target in key_moves(node)]
        if isinstance(node, Transfer):
            nexts.append(node.on_failure)
        for target in nexts:
            found.setdefault(target, nid)
    return found


def _tell_apart(flow: Flow, nodes: dict[str, str]) -> None:
    """Give nodes that share their words the words of the node before them: "Pharmacien → Prévention"."""
    before = _before(flow)
    by_words: dict[str, list[str]] = {}
    for nid, words in nodes.items():
        by_words.setdefault(words, []).append(nid)
    for same in by_words.values():
        if len(same) > 1:
            for nid in same:
                if nid in before:
                    nodes[nid] = f"{nodes[before[nid]]} → {nodes[nid]}"


def build(flow: Flow) -> Names:
    """Name every node and service of a flow.

    A council: its code and département. A node a menu choice leads to: the choice's label (each
    label, when several choices lead there). A read-out or transfer no choice leads to: the name of
    its (first) service. A read-out's closed transfer: the read-out's words, then "(closed)". Else:
    the start of what the node says first, or its id. Nodes that would share their words are told
    apart by the words of the node before them.
    """
    labels = _labels(flow)
    nodes: dict[str, str] = {}
    closed: list[str] = []
    for nid, node in flow.nodes.items():
        base = nid.removesuffix(f"{SYNTHETIC_SEP}{CLOSED}")
        if base != nid and isinstance(flow.nodes.get(base), Readout):
            closed.append(nid)
            continue
        words = _council(flow, nid)
        if words is None and labels.get(nid):
            words = " / ".join(labels[nid])
        if words is None and isinstance(node, Readout) and node.service in flow.services:
            words = flow.services[node.service].name
        if words is None and isinstance(node, Transfer) and node.services and node.services[0] in flow.services:
            words = flow.services[node.services[0]].name
        nodes[nid] = words or _said(flow, node) or nid
    for nid in closed:
        nodes[nid] = nodes[nid.removesuffix(f"{SYNTHETIC_SEP}{CLOSED}")] + CLOSED_MOVE
    _tell_apart(flow, nodes)
    services = {sid: service.name for sid, service in flow.services.items()}
    return Names(nodes=MappingProxyType(nodes), services=MappingProxyType(services))
