"""The shortest keys from the entry to every read-out and transfer of a flow, as callers press them."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ivr.flow.loader import load_flow
from ivr.flow.model import OPERATOR_KEY, Department, Flow, Menu, Readout, Transfer, key_moves
from ivr.flow.position import Position

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Route:
    """Keys pressed from the entry to an end node, and the position of the last key pressed."""

    end: str
    keys: tuple[str, ...]
    last: Position | None  # where the last key is pressed (None: the end is the entry's answer)

    def url(self) -> str:
        """Return the webhook URL that receives the last key."""
        return f"/voice/key?{self.last.query()}" if self.last else "/voice"


def load(data_dir: Path | None = None, prompts_dir: Path | None = None) -> Flow:
    """Load the flow the server under test serves."""
    return load_flow(data_dir or ROOT / "data", prompts_dir or ROOT / "prompts")


def routes(flow: Flow) -> dict[str, Route]:
    """Return, for every read-out and transfer reachable by keys, the shortest route to it."""
    found: dict[str, Route] = {}
    todo = deque([(flow.entry, (), ())])  # node, trail, keys
    seen = {flow.entry}
    while todo:
        nid, trail, keys = todo.popleft()
        node = flow.nodes[nid]
        moves = list(key_moves(node))
        if isinstance(node, (Menu, Department, Readout)):
            moves.append((OPERATOR_KEY, flow.operator))
        for key, target in moves:
            if target in seen:
                continue
            seen.add(target)
            route = Route(target, (*keys, key), Position(nid, trail))
            if isinstance(flow.nodes[target], (Readout, Transfer)):
                found[target] = route
            if not isinstance(flow.nodes[target], Transfer):
                todo.append((target, (*trail, nid), route.keys))
    return found


def transfer_failure(flow: Flow, node: str) -> str | None:
    """Return the node a transfer leads to when nobody answers (None when it is not a transfer)."""
    n = flow.nodes[node]
    return n.on_failure if isinstance(n, Transfer) else None


def deepest_readout(flow: Flow) -> Route:
    """Return the route to the read-out with the most keys (a département's, when there is one)."""
    found = [r for r in routes(flow).values() if isinstance(flow.nodes[r.end], Readout)]
    return max(found, key=lambda r: (len(r.keys), isinstance(flow.nodes[r.last.node], Department)))


def first_readout(flow: Flow) -> Route:
    """Return the route to the read-out with the fewest keys."""
    found = [r for r in routes(flow).values() if isinstance(flow.nodes[r.end], Readout)]
    return min(found, key=lambda r: len(r.keys))
