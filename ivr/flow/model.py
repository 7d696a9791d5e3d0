"""The call flow as frozen dataclasses: menus, read-outs, département look-ups, transfers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import Problem
from .directory import Service, Superseded
from .fields import Fields

# Keys the line gives every menu: 0 = the listening team, * = repeat, # = back.
OPERATOR_KEY, REPEAT_KEY, BACK_KEY = "0", "*", "#"
RESERVED_KEYS = (OPERATOR_KEY, REPEAT_KEY, BACK_KEY)
READOUT_REPEAT_KEY = "1"
MAX_OPTIONS = 5
KEY_PROMPTS = {**{d: f"press_{d}" for d in "0123456789"}, "*": "press_star", "#": "press_hash"}
NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
SYNTHETIC_SEP = "-"  # a département's own nodes: "<node>-<code>", never written in YAML
CLOSED = "closed"  # a read-out's service outside its hours: "<read-out>-closed", read for later
OPENING_FIELD = "{opening}"  # in a closed sentence: when the service opens ("lundi à neuf heures")

# Prompts the line itself says, whatever the flow.
SYSTEM_PROMPTS = (
    "press",
    *KEY_PROMPTS.values(),
    "wrong_key",
    "readout_repeat",
    "readout_options",
    "transfer_retry",
    "transfer_next",
    "fallback",
    "fallback_after",
    "missing_digit",
    "unknown_department",
    "department_last_digit",
    "whisper",
    "whisper_distress",
)


class Listening(Protocol):
    """What a node that takes keys understands of words (built by ivr.flow.speech): the model knows
    only the hints the prompt gives Twilio's recognition."""

    @property
    def hints(self) -> str: ...


@dataclass(frozen=True)
class Option:
    """A menu choice: the key to press, the label said, the node it leads to."""

    key: str
    say: str
    target: str
    callers: tuple[str, ...] = ()  # who the caller says they are by this choice (professions, or FAMILY)


@dataclass(frozen=True)
class Menu:
    """A keypad menu; `intro` is said once on arrival, `say` inside the keypad prompt, then the
    options, then `after`."""

    id: str
    intro: tuple[str, ...] = ()
    say: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    after: tuple[str, ...] = ()
    operator: str | None = None  # where 0 and silence lead from here (the flow's operator when None)
    timeout: int | None = None  # seconds of silence after the prompt (IVR_GATHER_TIMEOUT when None)

    def option(self, key: str) -> Option | None:
        """Return the option for a key, if any."""
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Readout:
    """Read a service's number, twice, the French way; `after` is said after the second reading."""

    id: str
    service: str
    intro: tuple[str, ...] = ()
    say: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    operator: str | None = None  # where 0 and silence lead from here (the flow's operator when None)
    closed_intro: str | None = None  # said instead, with {opening}, when the service is closed


@dataclass(frozen=True)
class Department:
    """Ask the digits of a département and go to the node of its council (data/councils.yaml).

    `codes` maps what the caller types (`digits` keys) to a node: the council's number read out, a
    transfer when the line has no number for it, or a further question ("20": which Corsica; "97":
    the third digit of an overseas département). `found_intro` and `no_number_intro` are prompts
    written with {council} (and {hours}), said for each council.
    """

    id: str
    say: tuple[str, ...]
    codes: Mapping[str, str] = field(default_factory=dict)
    digits: int = 2
    found_intro: str | None = None
    no_number_intro: str | None = None
    intro: tuple[str, ...] = ()
    operator: str | None = None  # where 0 and silence lead from here (the flow's operator when None)
    closed_intro: str | None = None  # a council closed at this hour: {council} and {opening}

    def child_id(self, code: str) -> str:
        """Name the node of one council, or of a further question."""
        return f"{self.id}{SYNTHETIC_SEP}{code}"


@dataclass(frozen=True)
class Transfer:
    """Put the caller through: each service of `services` in turn (the same one twice is a retry),
    then `on_failure` when nobody answered."""

    id: str
    services: tuple[str, ...]
    on_failure: str
    intro: tuple[str, ...] = ()


Node = Menu | Readout | Department | Transfer
Interactive = (Menu, Readout, Department)  # nodes that take keys


def key_moves(node: Node) -> tuple[tuple[str, str], ...]:
    """List the keys a node offers besides 0, * and #, each with the node it leads to."""
    if isinstance(node, Menu):
        return tuple((o.key, o.target) for o in node.options)
    if isinstance(node, Department):
        return tuple(node.codes.items())
    return ()


NOBODY_ANSWERED = "no answer"  # the move from a transfer nobody answered to its on_failure


CLOSED_MOVE = f" ({CLOSED})"  # after a key: the move it makes while the service it leads to is closed


def closed_id(readout: str) -> str:
    """Name the read-out that stands for a read-out while its service is closed."""
    return f"{readout}{SYNTHETIC_SEP}{CLOSED}"


def moves(nodes: Mapping[str, Node], operator: str, nid: str) -> list[tuple[str, str]]:
    """List the moves a caller can make forward from a node: (what they do, the node it leads to);
    a key that leads to a read-out whose service may be closed leads to its closed read-out too."""
    node = nodes[nid]
    out = list(key_moves(node))
    out += [(f"{key}{CLOSED_MOVE}", closed_id(target)) for key, target in out if closed_id(target) in nodes]
    if isinstance(node, Interactive):
        out.append((OPERATOR_KEY, operator_of(nodes, operator, nid)))
    if isinstance(node, Transfer):
        out.append((NOBODY_ANSWERED, node.on_failure))
    return out


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
    superseded: tuple[Superseded, ...] = ()  # numbers the line used to give, never said nor dialled
    places: Mapping[str, str] = field(default_factory=dict)  # a council's node -> its département's name
    listeners: Mapping[str, Listening] = field(default_factory=dict)  # node -> what a caller may say there

    professions: Mapping[str, str] = field(default_factory=dict)  # who calls: id -> what it covers
    closing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # node -> read-outs with hours a move away

    @property
    def platform(self) -> Service:
        """Return the service the operator node dials first: the first ear, for whoever has not said who
        they are (a line for every caller); IVR_PLATFORM_NUMBER replaces its number."""
        operator = self.nodes[self.operator]
        assert isinstance(operator, Transfer)  # validate() refuses a flow whose operator is not a transfer
        return self.services[operator.services[0]]

    @property
    def written(self) -> int:
        """Count the nodes written in flow.yaml, without those grown for each département's council."""
        return sum(1 for nid in self.nodes if SYNTHETIC_SEP not in nid)

    def operator_of(self, nid: str) -> str:
        """Name the node 0 and silence lead to from a node: its own operator, or the flow's."""
        return operator_of(self.nodes, self.operator, nid)


def operator_of(nodes: Mapping[str, Node], default: str, nid: str) -> str:
    """Name the node 0 and silence lead to from a node: its own operator, or the flow's."""
    return getattr(nodes.get(nid), "operator", None) or default


_NODE_KEYS = {
    "menu": ("type", "intro", "say", "options", "after", "operator", "timeout"),
    "readout": ("type", "intro", "say", "service", "after", "operator", "closed_intro"),
    "department": ("type", "intro", "say", "found_intro", "no_number_intro", "operator", "closed_intro"),
    "transfer": ("type", "intro", "services", "on_failure"),
}


def _parse_node(nid: str, raw: Any, file: str, problems: list[Problem]) -> Node | None:
    where = f"nodes.{nid}"
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in _NODE_KEYS:
        problems.append(Problem(file, f"{where}.type", f"type must be one of {', '.join(_NODE_KEYS)}, got {kind!r}"))
        return None
    f = Fields(raw, file, where, problems, allowed=_NODE_KEYS[kind])
    intro = f.text_list("intro", required=False)
    operator = f.text("operator", required=False)
    if kind == "menu":
        options = []
        for i, opt in enumerate(f.items("options")):
            of = Fields(opt, file, f"{where}.options[{i}]", problems, allowed=("key", "say", "target", "callers"))
            key, say, target = of.text("key"), of.text("say"), of.text("target")
            if key is not None and say is not None and target is not None:
                options.append(Option(key=key, say=say, target=target, callers=of.text_list("callers", required=False)))
        return Menu(
            id=nid,
            intro=intro,
            say=f.text_list("say", required=False),
            options=tuple(options),
            after=f.text_list("after", required=False),
            operator=operator,
            timeout=_timeout(f.get("timeout"), file, f"{where}.timeout", problems),
        )
    if kind == "readout":
        return Readout(
            id=nid,
            service=f.text("service") or "",
            intro=intro,
            say=f.text_list("say", required=False),
            after=f.text_list("after", required=False),
            operator=operator,
            closed_intro=f.text("closed_intro", required=False),
        )
    if kind == "department":
        return Department(
            id=nid,
            intro=intro,
            say=f.text_list("say"),
            found_intro=f.text("found_intro"),
            no_number_intro=f.text("no_number_intro"),
            operator=operator,
            closed_intro=f.text("closed_intro", required=False),
        )
    return Transfer(id=nid, services=f.text_list("services"), on_failure=f.text("on_failure") or "", intro=intro)


MENU_TIMEOUT = (1, 10)  # seconds a menu may wait in silence before the caller is put through


def _timeout(raw: Any, file: str, where: str, problems: list[Problem]) -> int | None:
    """Read a menu's own silence: whole seconds within MENU_TIMEOUT."""
    if raw is None:
        return None
    low, high = MENU_TIMEOUT
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        problems.append(Problem(file, where, f"seconds of silence, a whole number from {low} to {high}, got {raw!r}"))
        return None
    return raw


def parse_nodes(raw: Any, file: str, problems: list[Problem]) -> tuple[str, str, dict[str, Node]]:
    """Build entry, operator and nodes from the parsed flow file, appending every problem."""
    top = Fields(raw, file, "", problems, allowed=("entry", "operator", "nodes"))
    nodes: dict[str, Node] = {}
    for nid, raw_node in top.mapping("nodes").items():
        if not isinstance(nid, str) or not NODE_ID.match(nid):
            problems.append(
                Problem(file, f"nodes.{nid}", "a node id is lower-case letters, digits and _, starting with a letter")
            )
            continue
        node = _parse_node(nid, raw_node, file, problems)
        if node is not None:
            nodes[nid] = node
    return top.text("entry") or "", top.text("operator") or "", nodes
