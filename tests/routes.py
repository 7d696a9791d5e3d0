"""Enumerate, from the flow data alone, the keys that reach each node."""

from __future__ import annotations

from collections import deque

from ivr.flow import Department, Flow, Menu


def key_paths(flow: Flow) -> dict[str, tuple[str, ...]]:
    """Return, for each node, the shortest keys from the entry that reach it."""
    paths = {flow.entry: ()}
    todo = deque([flow.entry])
    while todo:
        nid = todo.popleft()
        node = flow.nodes[nid]
        moves: list[tuple[str, str]] = []
        if isinstance(node, Menu):
            moves = [(o.key, o.target) for o in node.options]
        elif isinstance(node, Department):
            moves = [(code, node.readout_id(code)) for code in node.services] + [("99", node.unknown)]
        for key, target in moves:
            if target not in paths:
                paths[target] = (*paths[nid], key)
                todo.append(target)
    return paths
