"""Enumerate, from the flow data alone, the keys that reach each node."""

from __future__ import annotations

from collections import deque

from ivr.flow.model import Flow, key_moves


def key_paths(flow: Flow) -> dict[str, tuple[str, ...]]:
    """Return, for each node, the shortest keys from the entry that reach it."""
    paths = {flow.entry: ()}
    todo = deque([flow.entry])
    while todo:
        nid = todo.popleft()
        node = flow.nodes[nid]
        for key, target in key_moves(node):
            if target not in paths:
                paths[target] = (*paths[nid], key)
                todo.append(target)
    return paths
