"""Where a caller is in the flow, carried in callback URLs and checked when it comes back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from ..errors import CallStateError
from .model import Flow, Transfer

_TRAIL_SEP = "."
_TRIES = re.compile(r"^\d$")
DISTRESS_FLAG = "1"  # d=1: at a transfer, the caller said words of distress (the whisper says so first)


@dataclass(frozen=True)
class Position:
    """A node, the nodes walked through to reach it, and the misses at it so far (at a transfer:
    which of its services is being dialled)."""

    node: str
    trail: tuple[str, ...] = ()
    tries: int = 0
    distress: bool = False  # at a transfer: reached by words of distress; nothing else of what was said

    def query(self) -> str:
        """Encode the position as a URL query string."""
        params = {"n": self.node}
        if self.trail:
            params["t"] = _TRAIL_SEP.join(self.trail)
        if self.tries:
            params["r"] = str(self.tries)
        if self.distress:
            params["d"] = DISTRESS_FLAG
        return urlencode(params)


def parse_position(args: Mapping[str, str], flow: Flow, max_tries: int) -> Position:
    """Decode a position from callback URL arguments; raise CallStateError unless it is one
    a caller can really be at (known nodes, joined by real moves, from the entry)."""
    node = args.get("n", "")
    trail_text = args.get("t", "")
    tries_text = args.get("r", "0")
    if node not in flow.nodes:
        raise CallStateError("unknown node in callback URL")
    trail = tuple(trail_text.split(_TRAIL_SEP)) if trail_text else ()
    if len(trail) > len(flow.nodes):
        raise CallStateError("trail longer than the flow")
    path = (*trail, node)
    if path[0] != flow.entry:
        raise CallStateError("trail does not start at the entry")
    for a, b in zip(path, path[1:], strict=False):
        if (a, b) not in flow.edges:
            raise CallStateError("trail holds a move the flow does not have")
    node_def = flow.nodes[node]
    limit = len(node_def.services) if isinstance(node_def, Transfer) else max_tries
    if not _TRIES.match(tries_text) or int(tries_text) >= limit:
        raise CallStateError("retry counter out of range")
    distress = args.get("d")
    if distress is not None and (distress != DISTRESS_FLAG or not isinstance(node_def, Transfer)):
        raise CallStateError("distress flag out of place")
    return Position(node=node, trail=trail, tries=int(tries_text), distress=distress is not None)
