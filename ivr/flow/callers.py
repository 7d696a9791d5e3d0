"""Who calls, and what each caller reaches: the flow followed from the choice of profession.

A menu choice may say who the caller is (`callers:` in flow.yaml: professions of
data/directory.yaml, or `famille`); from there on, every service the route dials or reads, and
every service its sentences name, must serve that caller (`professions:` and `families:` of the
service, from its sources). Before any such choice (silence, 0 at once) nothing is known of the
caller: the first line dialled, and every number read or named, must then serve every caller (the
first ear, checked by ivr.flow.validate).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from .directory import Service
from .model import NOBODY_ANSWERED, Menu, Node, Readout, Transfer, moves

Callers = frozenset[str] | None  # None: the caller has not said who they are


@dataclass(frozen=True)
class Reached:
    """A service a route reaches: dialled or read as the answer, or named in a sentence."""

    route: tuple[str, ...]  # the moves from the entry: keys, and NOBODY_ANSWERED
    node: str
    callers: Callers
    service: str
    answer: bool  # dialled, or read as the number to call; False: named in one of the node's sentences

    @property
    def keys(self) -> str:
        """Write the route as a caller plays it ("1 2 14", "0 (nobody answers)")."""
        return " ".join("(nobody answers)" if m == NOBODY_ANSWERED else m for m in self.route) or "(arriving)"


def _prompts_of(node: Node) -> tuple[str, ...]:
    return (*node.intro, *getattr(node, "say", ()), *getattr(node, "after", ()))


def _answers(node: Node) -> tuple[str, ...]:
    if isinstance(node, Transfer):
        return node.services
    if isinstance(node, Readout):
        return (node.service,)
    return ()


def walk(
    entry: str, operator: str, nodes: Mapping[str, Node], mentions: Mapping[str, tuple[str, ...]]
) -> list[Reached]:
    """Follow every route from the entry, remembering who the caller said they are; list each
    service reached, once per node and caller, by the shortest route."""
    start = (entry, None)
    route: dict[tuple[str, Callers], tuple[str, ...]] = {start: ()}
    todo: deque[tuple[str, Callers]] = deque([start])
    out: list[Reached] = []
    while todo:
        nid, callers = state = todo.popleft()
        node = nodes[nid]
        for sid in dict.fromkeys(_answers(node)):
            out.append(Reached(route[state], nid, callers, sid, True))
        for key in _prompts_of(node):
            for sid in mentions.get(key, ()):
                out.append(Reached(route[state], nid, callers, sid, False))
        chosen = {o.key: frozenset(o.callers) for o in node.options if o.callers} if isinstance(node, Menu) else {}
        for move, target in moves(nodes, operator, nid):
            nxt = (target, chosen.get(move, callers))
            if target in nodes and nxt not in route:
                route[nxt] = (*route[state], move)
                todo.append(nxt)
    return out


def not_served(reached: list[Reached], services: Mapping[str, Service]) -> list[tuple[Reached, str]]:
    """List each service reached by a caller it does not serve, with that caller."""
    return [
        (r, caller)
        for r in reached
        if r.callers is not None and r.service in services
        for caller in sorted(r.callers)
        if not services[r.service].serves(caller)
    ]


def reach_by_caller(reached: list[Reached]) -> dict[str | None, dict[str, Reached]]:
    """Group what callers reach as the answer: caller (None before any choice) -> service -> route."""
    out: dict[str | None, dict[str, Reached]] = {}
    for r in reached:
        if r.answer:
            for caller in sorted(r.callers) if r.callers is not None else [None]:
                out.setdefault(caller, {}).setdefault(r.service, r)
    return out
