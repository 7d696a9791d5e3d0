"""What staff review before going live: every number the flow can say or dial, where, and when someone
last called it."""

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
        """Tell whether someone must call the number: nobody has, or not for more than `max_age` days
        (or its `called` is after today). Emergency numbers never are: nobody calls 15 or 112 for a test."""
        if self.service.emergency:
            return False
        age = self.service.age(today)
        return age is None or age < 0 or age > max_age

    def calls(self, today: date, max_age: int) -> str:
        """Say when someone last called the number, and whether it is due."""
        service = self.service
        if service.emergency:
            return "emergency number: not to be called for a test; checked against its sources"
        if service.called is None:
            return "never called: TO CALL"
        age = (today - service.called).days
        if age < 0:
            return f"called {service.called.isoformat()}, after today: TO CALL"
        if age > max_age:
            return f"called {service.called.isoformat()}, {age} days ago: TO CALL AGAIN"
        return f"called {service.called.isoformat()}"


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
