"""What a webhook's answer counts, derived once from the step it plays (pure: no Flask, no database).

A counter key is (event, subject, outcome): the subject is a node or a service, the outcome what
happened there. Nothing in a key names a call, a caller or an instant; the hour is added when counted.
"""

from __future__ import annotations

import re

from ..flow import moves
from ..flow.model import Department, Flow, Menu, Readout, Transfer
from ..flow.position import Position

Key = tuple[str, str, str]

CALL = "call"  # a call answered
REACHED = "reached"  # a node reached (arrival, or return to a menu)
CHOICE = "choice"  # a move from a node to another: subject the node, outcome the target
SILENCE = "silence"  # a menu unanswered
WRONG_KEY = "wrong_key"  # a key the menu does not offer
SPEECH = "speech"  # words said at a node: outcome understood, not understood or unsure (never the words)
NUMBER = "number"  # a number read: subject the service
TRANSFER = "transfer"  # a transfer started: subject the service
TRANSFER_END = "transfer_end"  # how it ended: subject the service, outcome Twilio's DialCallStatus
FALLBACK = "fallback"  # Twilio's fallback URL: outcome its ErrorCode
FAULT = "fault"  # a fault answered with the fallback: outcome the exception's type
ENDED = "ended"  # a call over (status callback): subject CallStatus, outcome a duration bucket
LOST = "lost"  # increments dropped while the database could not be written

MISSES = ("wrong_key", "missing_digit", "unknown_department")  # what moves says before asking again
MENU_KINDS = (Menu, Department)  # nodes where a caller chooses, for drop-off
DIAL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
FAILED_DIALS = ("busy", "no-answer", "failed")  # the platform did not take the call
CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
# Upper bounds in seconds of the duration buckets, and their labels.
DURATIONS = (
    (30, "0-30 s"),
    (60, "30-60 s"),
    (120, "1-2 min"),
    (300, "2-5 min"),
    (600, "5-10 min"),
    (1200, "10-20 min"),
    (3600, "20-60 min"),
)
LONGEST = "60 min +"
DURATION_LABELS = (*(label for _, label in DURATIONS), LONGEST)
OTHER = "other"
# The AccountSid the simulator (ivr call, ivr routes, the keypad page) sends: no Twilio account has
# it, and its calls are never counted, even against the live line. `ivr call --stats` and
# `ivr stats demo` send COUNTED_SIMULATION instead.
SIMULATED_ACCOUNT = "AC" + "0" * 32
COUNTED_SIMULATION = "AC" + "5" * 32
_ERROR_CODE = re.compile(r"^[0-9]{5}$")  # ASCII: \d takes any script's digits
_TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def step_keys(flow: Flow, step: moves.Step | None, came_from: str | None) -> tuple[Key, ...]:
    """Count what playing a step means: a node reached, a number read, a transfer started."""
    if step is None:
        return ()
    node = flow.nodes[step.position.node]
    keys: list[Key] = []
    if step.position.node != came_from:
        keys.append((REACHED, node.id, ""))
        if came_from is not None:
            keys.append((CHOICE, came_from, node.id))
    if isinstance(node, Readout):
        keys.append((NUMBER, node.service, ""))
    elif isinstance(node, Transfer):
        keys.append((TRANSFER, _dialled(node, step.position), ""))
    return tuple(keys)


def _dialled(node: Transfer, pos: Position) -> str:
    """Name the service a transfer dials at a position (its tries are counted in the position)."""
    return node.services[min(pos.tries, len(node.services) - 1)]


def entry_keys(flow: Flow, step: moves.Step) -> tuple[Key, ...]:
    """Count a call answered and where it starts."""
    return ((CALL, "", "answered"), *step_keys(flow, step, None))


def press_keys(flow: Flow, pos: Position, digits: str, step: moves.Step | None, max_tries: int) -> tuple[Key, ...]:
    """Count keys pressed (or silence) at a position, given the step they led to."""
    node = flow.nodes[pos.node]
    keys: list[Key] = []
    if not isinstance(node, Transfer):
        if digits == "":
            keys.append((SILENCE, node.id, ""))
        else:
            # The same keys one try earlier: a wrong key is what moves answers with its notice.
            shadow = moves.press(flow, Position(pos.node, pos.trail, 0), digits, max_tries + 1)
            if shadow is not None and shadow.notice in MISSES:
                keys.append((WRONG_KEY, node.id, ""))
    return (*keys, *step_keys(flow, step, pos.node))


def speech_keys(flow: Flow, pos: Position, outcome: str, step: moves.Step | None) -> tuple[Key, ...]:
    """Count words said at a position by how they were understood, given the step they led to."""
    return ((SPEECH, pos.node, outcome), *step_keys(flow, step, pos.node))


def dial_keys(flow: Flow, pos: Position, status: str, step: moves.Step | None) -> tuple[Key, ...]:
    """Count the end of a transfer, by service and outcome, and where the caller goes next."""
    node = flow.nodes[pos.node]
    outcome = status if status in DIAL_STATUSES else OTHER
    if outcome == "answered":
        outcome = "completed"
    ends = ((TRANSFER_END, _dialled(node, pos), outcome),) if isinstance(node, Transfer) else ()
    return (*ends, *step_keys(flow, step, pos.node))


def fallback_key(error_code: str) -> Key:
    """Count a hit on the fallback URL by Twilio's error code (five digits, anything else `other`)."""
    code = error_code.strip()
    return (FALLBACK, "", code if _ERROR_CODE.match(code) else OTHER)


def fault_key(exc: BaseException) -> Key:
    """Count a fault by the exception's type only (never its message)."""
    name = type(exc).__name__
    return (FAULT, "", name if _TYPE_NAME.match(name) else OTHER)


def duration_bucket(seconds: str) -> str:
    """Put a call's duration in a coarse bucket."""
    try:
        value = int(seconds.strip())
    except ValueError:
        return OTHER
    if value < 0:
        return OTHER
    return next((label for limit, label in DURATIONS if value < limit), LONGEST)


def ended_key(call_status: str, duration: str) -> Key:
    """Count a call over, by Twilio's CallStatus and its duration bucket."""
    status = call_status.strip()
    return (ENDED, status if status in CALL_STATUSES else OTHER, duration_bucket(duration))
