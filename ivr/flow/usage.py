"""What staff review before going live: every number the flow can say or dial, where, and how fresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .directory import Service
from .model import SYNTHETIC_SEP, Flow, Readout, Transfer


@dataclass(frozen=True)
class NumberUse:
    """A service's number and the places that say or dial it."""

    service: Service
    used_by: tuple[str, ...]

    def due(self, today: date, max_age: int) -> bool:
        """Tell whether the number has not been checked for more than `max_age` days."""
        age = self.service.age(today)
        return age is None or age > max_age


def number_uses(flow: Flow) -> list[NumberUse]:
    """List every service the flow says or dials, with where it is used."""
    uses: dict[str, list[str]] = {sid: [] for sid in flow.services}
    for nid, node in flow.nodes.items():
        if isinstance(node, Transfer) and SYNTHETIC_SEP not in nid:
            for sid in dict.fromkeys(node.services):
                uses[sid].append(f"dialled by {nid}")
        elif isinstance(node, Readout):
            uses[node.service].append(f"read by {nid}")
    for key, sids in flow.mentions.items():
        for sid in sids:
            uses[sid].append(f"said in prompt {key}")
    uses[flow.platform.id].append("dialled and read by the fallback")
    return [NumberUse(s, tuple(uses[sid])) for sid, s in flow.services.items() if uses[sid]]


def unused_services(flow: Flow) -> list[str]:
    """List services of the directory that nothing says or dials."""
    used = {u.service.id for u in number_uses(flow)}
    return [sid for sid in flow.services if sid not in used]
