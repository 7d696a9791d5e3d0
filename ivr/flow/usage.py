"""What staff review before going live: every number the flow can say or dial, and where."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Flow, Readout, Transfer


@dataclass(frozen=True)
class NumberUse:
    """A service's number and the places that say or dial it."""

    service_id: str
    number: str
    spoken: str
    source: str
    confirmed: bool
    used_by: tuple[str, ...]


def number_uses(flow: Flow) -> list[NumberUse]:
    """List every service the flow says or dials, with where it is used."""
    uses: dict[str, list[str]] = {sid: [] for sid in flow.services}
    for nid, node in flow.nodes.items():
        if isinstance(node, Transfer):
            uses[node.service].append(f"dialled by {nid}")
        elif isinstance(node, Readout):
            uses[node.service].append(f"read by {nid}")
    for key, sids in flow.mentions.items():
        for sid in sids:
            uses[sid].append(f"said in prompt {key}")
    uses[flow.platform.id].append("dialled and read by the fallback")
    return [
        NumberUse(sid, s.number, s.spoken, str(s.source), s.source.confirmed, tuple(uses[sid]))
        for sid, s in flow.services.items() if uses[sid]
    ]


def unused_services(flow: Flow) -> list[str]:
    """List services of the directory that nothing says or dials."""
    used = {u.service_id for u in number_uses(flow)}
    return [sid for sid in flow.services if sid not in used]
