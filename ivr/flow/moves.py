"""What happens next in a call: pure moves from a position and a key, no Flask, no TwiML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import pairwise

from ..errors import CallStateError
from .hours import OPEN
from .model import (
    BACK_KEY,
    OPERATOR_KEY,
    READOUT_REPEAT_KEY,
    REPEAT_KEY,
    Department,
    Flow,
    Interactive,
    Menu,
    Readout,
    Transfer,
    closed_id,
)
from .position import Position

ANSWERED = frozenset({"completed", "answered"})


@dataclass(frozen=True)
class Step:
    """What to play next: a node at a position (with its intro on arrival, after a notice)."""

    position: Position
    arrived: bool = False
    notice: str | None = None  # prompt key said first: wrong_key, missing_digit, transfer_retry, transfer_next...
    opening: str | None = None  # at a closed service's transfer: when it opens ("lundi à neuf heures")


HANGUP = None  # the only way a call ends: the call with the listening team is over


def start(flow: Flow) -> Step:
    """Answer a new call."""
    return Step(Position(flow.entry), arrived=True)


def go(pos: Position, target: str) -> Step:
    """Move forward to a node; going back to a node already walked through cuts the trail."""
    trail = (*pos.trail, pos.node)
    if target in trail:
        trail = trail[: trail.index(target)]
    return Step(Position(target, trail), arrived=True)


def back(flow: Flow, pos: Position) -> Step:
    """Return to the last menu walked through; at the first menu, say it again."""
    for i in range(len(pos.trail) - 1, -1, -1):
        if isinstance(flow.nodes[pos.trail[i]], Interactive):
            return Step(Position(pos.trail[i], pos.trail[:i]))
    return Step(replace(pos, tries=0))


def _miss(flow: Flow, pos: Position, notice: str, max_tries: int) -> Step:
    """Say why, then ask again; after `max_tries` misses, put the caller through."""
    if pos.tries + 1 >= max_tries:
        return go(pos, flow.operator_of(pos.node))
    return Step(replace(pos, tries=pos.tries + 1), notice=notice)


def press(flow: Flow, pos: Position, digits: str, max_tries: int) -> Step:
    """Answer the keys a caller pressed at a position ("" is silence)."""
    node = flow.nodes[pos.node]
    if isinstance(node, Transfer):
        return Step(pos, arrived=True)  # nothing to press here: put them through
    if digits in ("", OPERATOR_KEY):
        # Every prompt promised it: staying on the line (or 0) reaches someone, at once: the person
        # who serves this caller (a node's own operator, or the flow's).
        return go(pos, flow.operator_of(pos.node))
    if digits == REPEAT_KEY:
        return Step(replace(pos, tries=0))
    if digits == BACK_KEY:
        return back(flow, pos)
    if isinstance(node, Menu) and (option := node.option(digits)):
        return go(pos, option.target)
    if isinstance(node, Readout) and digits == READOUT_REPEAT_KEY:
        return Step(replace(pos, tries=0))
    if isinstance(node, Department) and digits.isdigit():
        if digits in node.codes:
            return go(pos, node.codes[digits])
        notice = "missing_digit" if len(digits) < node.digits else "unknown_department"
        return _miss(flow, pos, notice, max_tries)
    return _miss(flow, pos, "wrong_key", max_tries)


def at_hours(flow: Flow, step: Step | None, states: Mapping[str, str]) -> Step | None:
    """Send a caller who reaches a read-out whose service is closed (`states`: read-out -> OPEN, or
    when it opens, at this hour) to its closed read-out: when it opens, its number for later, then a
    person for whoever stays on the line."""
    if step is HANGUP or not states:
        return step
    state = states.get(step.position.node)
    if state is None or state == OPEN or closed_id(step.position.node) not in flow.nodes:
        return step
    return Step(Position(closed_id(step.position.node), step.position.trail), arrived=True, opening=state)


def press_in_turn(flow: Flow, pos: Position, keys: tuple[str, ...], max_tries: int) -> Step:
    """Answer keys understood from what a caller said, pressed in turn ("20" then "1": Corse-du-Sud);
    none is silence."""
    step = press(flow, pos, keys[0] if keys else "", max_tries)
    for key in keys[1:]:
        step = press(flow, step.position, key, max_tries)
    return step


def in_distress(flow: Flow, step: Step | None) -> Step | None:
    """Mark a caller who said words of distress, at the transfer they reach: whoever answers hears
    it first (the whisper). Only there: the mark ends with the transfer."""
    if step is not HANGUP and isinstance(flow.nodes[step.position.node], Transfer):
        return replace(step, position=replace(step.position, distress=True))
    return step


def dialled(flow: Flow, pos: Position, status: str) -> Step | None:
    """Answer the end of a transfer: hang up after a real call; otherwise dial the next service of
    the transfer, after a word; when none is left, the failure node."""
    node = flow.nodes[pos.node]
    if not isinstance(node, Transfer):
        raise CallStateError("dial callback for a node that is not a transfer")
    if status in ANSWERED:
        return HANGUP
    if pos.tries + 1 < len(node.services):
        # "We call them again", or, when the next try is another line, "we call another line".
        again = node.services[pos.tries + 1] == node.services[pos.tries]
        return Step(replace(pos, tries=pos.tries + 1), notice="transfer_retry" if again else "transfer_next")
    return go(pos, node.on_failure)


def chosen(flow: Flow, pos: Position) -> tuple[str, ...]:
    """Name what the caller chose on the way to a position: the label of each option taken, and the
    département's name at a council. Nothing else is known of them, and nothing else is said.

    A move to the listening team is left out: 0 and silence lead there too, and the trail does not
    tell which of them the caller used."""
    parts: list[str] = []
    path = (*pos.trail, pos.node)
    for here, there in pairwise(path):
        node = flow.nodes[here]
        if there in flow.places:
            parts.append(flow.places[there])
        elif isinstance(node, Menu) and there != flow.operator_of(here):
            option = next((o for o in node.options if o.target == there), None)
            if option is not None:
                parts.append(flow.prompts[option.say])
    return tuple(parts)
