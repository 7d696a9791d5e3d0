"""The call flow as frozen dataclasses: menus, read-outs, département look-ups, transfers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import Problem
from .directory import Service
from .fields import Fields

# Keys the line gives every menu: 0 = a psychologist, * = repeat, # = back.
OPERATOR_KEY, REPEAT_KEY, BACK_KEY = "0", "*", "#"
RESERVED_KEYS = (OPERATOR_KEY, REPEAT_KEY, BACK_KEY)
READOUT_REPEAT_KEY = "1"
MAX_OPTIONS = 5
KEY_PROMPTS = {**{d: f"press_{d}" for d in "0123456789"}, "*": "press_star", "#": "press_hash"}
NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
DEPARTMENT = re.compile(r"^\d\d$")
SYNTHETIC_SEP = "-"  # a département's read-out: "<node>-<code>", never written in YAML

# Prompts the line itself says, whatever the flow.
SYSTEM_PROMPTS = ("press", *KEY_PROMPTS.values(), "wrong_key", "silence_reprompt",
                  "readout_repeat", "readout_options", "fallback", "fallback_number")


@dataclass(frozen=True)
class Option:
    """A menu choice: the key to press, the label said, the node it leads to."""

    key: str
    say: str
    target: str


@dataclass(frozen=True)
class Menu:
    """A keypad menu; `intro` is said once on arrival, `say` inside the keypad prompt."""

    id: str
    intro: tuple[str, ...] = ()
    say: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()

    def option(self, key: str) -> Option | None:
        """Return the option for a key, if any."""
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Readout:
    """Read a service's number, twice, the French way."""

    id: str
    service: str
    intro: tuple[str, ...] = ()
    say: tuple[str, ...] = ()


@dataclass(frozen=True)
class Department:
    """Ask the two digits of the département; read the matching service or go to `unknown`."""

    id: str
    say: tuple[str, ...]
    services: Mapping[str, str]
    found_intro: tuple[str, ...]
    unknown: str
    intro: tuple[str, ...] = ()

    def readout_id(self, code: str) -> str:
        """Name the read-out node of one département."""
        return f"{self.id}{SYNTHETIC_SEP}{code}"


@dataclass(frozen=True)
class Transfer:
    """Put the caller through to a service; `on_failure` when nobody answers."""

    id: str
    service: str
    on_failure: str
    intro: tuple[str, ...] = ()


Node = Menu | Readout | Department | Transfer
Interactive = (Menu, Readout, Department)  # nodes that take keys


def key_moves(node: Node) -> tuple[tuple[str, str], ...]:
    """List the keys a node offers besides 0, * and #, each with the node it leads to."""
    if isinstance(node, Menu):
        return tuple((o.key, o.target) for o in node.options)
    if isinstance(node, Department):
        return tuple((code, node.readout_id(code)) for code in node.services)
    return ()


@dataclass(frozen=True)
class Flow:
    """The whole call flow, validated: nodes, directory and prompts."""

    entry: str
    operator: str
    nodes: Mapping[str, Node]
    services: Mapping[str, Service]
    prompts: Mapping[str, str]
    mentions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # prompt -> services said
    edges: frozenset[tuple[str, str]] = field(default=frozenset())

    @property
    def platform(self) -> Service:
        """Return the service the operator node dials (the psychologists)."""
        return self.services[self.nodes[self.operator].service]


_NODE_KEYS = {
    "menu": ("type", "intro", "say", "options"),
    "readout": ("type", "intro", "say", "service"),
    "department": ("type", "intro", "say", "services", "found_intro", "unknown"),
    "transfer": ("type", "intro", "service", "on_failure"),
}


def _parse_node(nid: str, raw: Any, file: str, problems: list[Problem]) -> Node | None:
    where = f"nodes.{nid}"
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in _NODE_KEYS:
        problems.append(Problem(file, f"{where}.type",
                                f"type must be one of {', '.join(_NODE_KEYS)}, got {kind!r}"))
        return None
    f = Fields(raw, file, where, problems, allowed=_NODE_KEYS[kind])
    intro = f.text_list("intro", required=False)
    if kind == "menu":
        options = []
        for i, opt in enumerate(f.items("options")):
            of = Fields(opt, file, f"{where}.options[{i}]", problems, allowed=("key", "say", "target"))
            key, say, target = of.text("key"), of.text("say"), of.text("target")
            if key is not None and say is not None and target is not None:
                options.append(Option(key=key, say=say, target=target))
        return Menu(id=nid, intro=intro, say=f.text_list("say", required=False), options=tuple(options))
    if kind == "readout":
        return Readout(id=nid, service=f.text("service") or "", intro=intro,
                       say=f.text_list("say", required=False))
    if kind == "department":
        codes = {}
        for code, sid in f.mapping("services").items():
            if not isinstance(code, str) or not DEPARTMENT.match(code):
                problems.append(Problem(file, f"{where}.services.{code}",
                                        f"a département is two digits in quotes, like \"14\"; got {code!r}"))
            elif not isinstance(sid, str):
                problems.append(Problem(file, f"{where}.services.{code}", f"expected a service id, got {sid!r}"))
            else:
                codes[code] = sid
        return Department(id=nid, intro=intro, say=f.text_list("say"), services=MappingProxyType(codes),
                          found_intro=f.text_list("found_intro", required=False),
                          unknown=f.text("unknown") or "")
    return Transfer(id=nid, service=f.text("service") or "", on_failure=f.text("on_failure") or "",
                    intro=intro)


def parse_nodes(raw: Any, file: str, problems: list[Problem]) -> tuple[str, str, dict[str, Node]]:
    """Build entry, operator and nodes from the parsed flow file, appending every problem."""
    top = Fields(raw, file, "", problems, allowed=("entry", "operator", "nodes"))
    nodes: dict[str, Node] = {}
    for nid, raw_node in top.mapping("nodes").items():
        if not isinstance(nid, str) or not NODE_ID.match(nid):
            problems.append(Problem(file, f"nodes.{nid}", "a node id is lower-case letters, digits "
                                    "and _, starting with a letter"))
            continue
        node = _parse_node(nid, raw_node, file, problems)
        if node is not None:
            nodes[nid] = node
    for dep in [n for n in nodes.values() if isinstance(n, Department)]:
        for code, sid in dep.services.items():
            rid = dep.readout_id(code)
            nodes[rid] = Readout(id=rid, service=sid, intro=dep.found_intro)
    return top.text("entry") or "", top.text("operator") or "", nodes
