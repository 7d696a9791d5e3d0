"""Time to a human: seconds a caller listens before the listening team is dialled, or a number."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from ..flow import moves as call
from ..flow.callers import walk
from ..flow.directory import FAMILY
from ..flow.model import (
    CLOSED_MOVE,
    NOBODY_ANSWERED,
    OPERATOR_KEY,
    SYNTHETIC_SEP,
    Department,
    Flow,
    Interactive,
    Menu,
    Readout,
    Transfer,
)
from ..flow.position import Position
from ..flow.timing import DIAL_TIMEOUT_EXTRA, speech_seconds
from .answers import hours_of
from .twiml import NUMBER_RATE, Renderer

_RATE = float(NUMBER_RATE.rstrip("%")) / 100
KEYING_SECONDS = 0.5  # to type one digit of a département

# The budgets, in seconds: rules on the flow (tests/line/test_budget.py), shown beside the figures.
BUDGETS = {
    "silent": 25.0,  # (a) a caller who presses nothing, the 3114 said on the way
    "zero": 6.0,  # (b) a caller who presses 0 as soon as keys are taken, greeting included
    "silent_after_any_prompt": 50.0,  # (d) a caller silent after the longest prompt of the flow
    "line": 25.0,  # (f) each caller a choice names, to a line that serves them, by the fastest keys
    "assault": 40.0,  # (g) a caller who chose ASSAULT_OPTION and then stays silent, until someone is dialled
    "next_line": 45.0,  # (h) from the first ring of a caller's line nobody answers, until the next try rings
    "crisis_line": 100.0,  # (i) from the first ring of a caller's line nobody answers, until the 3114 is heard
}
ASSAULT_OPTION = "opt_assault"  # the prompt key of the choice after which (g) is measured


@dataclass(frozen=True)
class Heard:
    """One sentence the caller hears, and how long it lasts."""

    text: str
    seconds: float
    number: bool  # a number read slowly


def heard(document: str, played: Mapping[str, tuple[float, bool]] | None = None) -> list[Heard]:
    """List what a TwiML document says or plays, in order; `played` gives each audio URL's
    seconds and whether it is a number."""
    out = []
    for verb in ET.fromstring(document).iter():
        if verb.tag == "Say":
            slow = verb.find("prosody") is not None
            text = " ".join("".join(verb.itertext()).split())
            out.append(Heard(text, speech_seconds(text, _RATE if slow else 1.0), slow))
        elif verb.tag == "Play":
            seconds, number = (played or {}).get((verb.text or "").strip(), (0.0, False))
            out.append(Heard((verb.text or "").strip(), seconds, number))
    return out


def keys_to_option(flow: Flow, label: str) -> tuple[str, ...] | None:
    """The keys of the menu choices that lead to the choice whose prompt key is `label`, then its own
    key (the fewest keys); None when no menu has that choice."""
    todo: list[tuple[str, tuple[str, ...]]] = [(flow.entry, ())]
    seen: set[str] = set()
    while todo:
        nid, keys = todo.pop(0)
        node = flow.nodes[nid]
        if nid in seen or not isinstance(node, Menu):
            continue
        seen.add(nid)
        for option in node.options:
            if option.say == label:
                return (*keys, option.key)
            todo.append((option.target, (*keys, option.key)))
    return None


@dataclass(frozen=True)
class Route:
    """A way through the flow and the seconds it costs before its outcome."""

    name: str
    keys: tuple[str, ...]
    seconds: float
    outcome: str


class Budget:
    """Walk the rendered flow and add up listening and waiting time."""

    def __init__(self, flow: Flow, renderer: Renderer, audio=None, now: datetime | None = None) -> None:
        self.flow, self.renderer = flow, renderer
        # Recorded prompts count for their real length (from the audio manifest).
        self.played: dict[str, tuple[float, bool]] = {}
        if audio is not None:
            self.played.update({url: (audio.seconds[key], False) for key, url in audio.urls.items()})
            self.played.update({url: (audio.number_seconds[sid], True) for sid, url in audio.numbers.items()})
        self.max_tries = renderer.settings.max_tries
        self.ring = renderer.settings.dial_timeout + DIAL_TIMEOUT_EXTRA  # a transfer nobody answers
        self.now = now  # the hour the caller calls at: a service outside its hours is closed (None: all open)

    def _press(self, position: Position, digits: str, max_tries: int) -> call.Step:
        """A key pressed, at the budget's hour: a read-out whose service is closed then is not read."""
        step = call.press(self.flow, position, digits, max_tries)
        if self.now is None or position.node not in self.flow.closing:
            return step
        states = {rid: hours_of(self.flow, rid).state(self.now) for rid in self.flow.closing[position.node]}
        closed = call.at_hours(self.flow, step, states)
        assert closed is not None  # a key never hangs up
        return closed

    def _until(self, step: call.Step, stop: str | None) -> float:
        """Seconds of a document, up to and including the sentence `stop` (all when None)."""
        total = 0.0
        for sentence in heard(self.renderer.render(step), self.played):
            total += sentence.seconds
            if stop is not None and sentence.text == stop:
                return total
        if stop is not None:
            raise ValueError(f"{stop!r} is not said at {step.position.node}")
        return total

    def _before_number(self, step: call.Step) -> float:
        total = 0.0
        for sentence in heard(self.renderer.render(step), self.played):
            if sentence.number:
                return total
            total += sentence.seconds
        return total

    def _intro(self, step: call.Step) -> float:
        """Seconds said before the keypad prompt starts (keys cannot cut them)."""
        document = ET.fromstring(self.renderer.render(step))
        gather = document.find("Gather")
        before = ET.Element("Response")
        before.extend(document[: list(document).index(gather)] if gather is not None else list(document))
        return sum(h.seconds for h in heard(ET.tostring(before, encoding="unicode"), self.played))

    def silent_caller(self) -> Route:
        """(a) A caller who presses nothing until the listening team is dialled."""
        step, total, keys = call.start(self.flow), 0.0, []
        while not isinstance(self.flow.nodes[step.position.node], Transfer):
            total += self._until(step, None) + self.renderer.timeout(self.flow.nodes[step.position.node])
            keys.append("")
            step = self._press(step.position, "", self.max_tries)
        total += self._until(step, None)
        return Route("silence", tuple(keys), total, self._service(step.position.node))

    def keys_then_silence(self, keys: tuple[str, ...]) -> Route:
        """A caller who presses each key as soon as its choice is said, then stays silent until
        someone is dialled (at once, for a key that puts them through)."""
        step, total = call.start(self.flow), 0.0
        for key in keys:
            node = self.flow.nodes[step.position.node]
            option = node.option(key) if isinstance(node, Menu) else None
            if option is not None:
                total += self._until(step, self.renderer.option_text(option))
            elif key == OPERATOR_KEY:
                total += self._intro(step)
            else:  # a département's code, typed once the question is said
                total += self._until(step, None) + KEYING_SECONDS * len(key)
            step = self._press(step.position, key, self.max_tries)
        while not isinstance(self.flow.nodes[step.position.node], Transfer):
            total += self._until(step, None) + self.renderer.timeout(self.flow.nodes[step.position.node])
            step = self._press(step.position, "", self.max_tries)
        total += self._until(step, None)
        return Route(" ".join(keys) + " then silence", keys, total, self._service(step.position.node))

    def callers_lines(self) -> list[Route]:
        """(f) For each caller a menu choice names (a profession, or a relative), the fastest keys to
        a line that serves them: choices pressed as soon as they are said, until the ring."""
        best: dict[str, Route] = {}
        for reached in walk(self.flow.entry, self.flow.operator, self.flow.nodes, self.flow.mentions):
            node = self.flow.nodes[reached.node]
            # Choices said in the menus only: not 0, not a transfer nobody answered, not an office closed.
            by_choice = not {OPERATOR_KEY, NOBODY_ANSWERED} & set(reached.route) and not any(
                m.endswith(CLOSED_MOVE) for m in reached.route
            )
            if not (reached.callers and by_choice and isinstance(node, Transfer)):
                continue
            if reached.service != node.services[0]:
                continue
            route = self.keys_then_silence(reached.route)
            for caller in reached.callers:
                known = best.get(caller)
                faster = known is None or route.seconds < known.seconds
                if faster and self.flow.services[reached.service].serves(caller):
                    best[caller] = Route(caller, route.keys, route.seconds, reached.service)
        order = [*self.flow.professions, FAMILY]
        return sorted(best.values(), key=lambda r: order.index(r.name) if r.name in order else len(order))

    def zero_caller(self) -> Route:
        """(b) A caller who presses 0 as soon as keys are taken (the greeting cannot be cut)."""
        first = call.start(self.flow)
        step = self._press(first.position, "0", self.max_tries)
        return Route(
            "0 at once", ("0",), self._intro(first) + self._until(step, None), self._service(step.position.node)
        )

    def longest_silence(self) -> Route:
        """(d) The longest a caller waits who stays silent after a prompt: from arriving at a node
        (its whole prompt, then the menu's timeout) until the listening team is dialled."""
        waits = []
        for nid, node in self.flow.nodes.items():
            if isinstance(node, Interactive):
                step = call.Step(Position(nid), arrived=True)
                after = self._press(step.position, "", self.max_tries)
                waits.append(
                    Route(
                        nid,
                        ("",),
                        self._until(step, None) + self.renderer.timeout(node) + self._until(after, None),
                        self._service(after.position.node),
                    )
                )
        return max(waits, key=lambda r: r.seconds)

    def unanswered(self) -> Route:
        """(e) A silent caller when the listening team never answers: every try rings out (Twilio adds 5 s
        to each), until the first word of the other lines' number."""
        silent, rings = self.silent_caller(), self.crisis_line(self.flow.operator)
        return Route("no answer", (*silent.keys, *rings.keys), silent.seconds + rings.seconds, rings.outcome)

    def first_lines(self) -> list[Route]:
        """The transfers callers reach first, by 0, silence or a choice (not those tried again after a
        failure), each with the fewest keys to it."""
        best: dict[str, Route] = {}
        for reached in walk(self.flow.entry, self.flow.operator, self.flow.nodes, self.flow.mentions):
            node = self.flow.nodes[reached.node]
            if not isinstance(node, Transfer) or NOBODY_ANSWERED in reached.route or reached.node in best:
                continue
            if SYNTHETIC_SEP in reached.node:  # a council without a number: its operator's lines, measured there
                continue
            if any(m.endswith(CLOSED_MOVE) for m in reached.route):
                continue
            best[reached.node] = Route(reached.node, reached.route, 0.0, node.services[0])
        return list(best.values())

    def next_line(self, transfer: str) -> Route:
        """(h) Seconds from the first ring of a transfer nobody answers until its next try rings: another
        line (the first one that differs), or the same line again when it is the only one listed."""
        node = self.flow.nodes[transfer]
        assert isinstance(node, Transfer)
        step, total, keys = call.Step(Position(transfer), arrived=True), 0.0, []
        first = node.services[0]
        while True:
            total += self.ring
            keys.append("no-answer")
            after = call.dialled(self.flow, step.position, "no-answer")
            assert after is not None  # only an answered transfer hangs up
            if after.position.node != transfer:  # no other try: the failure read-out
                return Route(transfer, tuple(keys), total, self._service(after.position.node))
            total += self._until(after, None)
            service = node.services[after.position.tries]
            if service != first or len(set(node.services)) == 1:
                return Route(transfer, tuple(keys), total, service)
            step = after

    def crisis_line(self, transfer: str) -> Route:
        """(i) Seconds from the first ring of a transfer nobody answers (every try rings out) until the
        first word of the number its failure read-out gives (the 3114)."""
        step, total, keys = call.Step(Position(transfer), arrived=True), 0.0, []
        while isinstance(self.flow.nodes[step.position.node], Transfer):
            total += self.ring
            keys.append("no-answer")
            after = call.dialled(self.flow, step.position, "no-answer")
            assert after is not None  # only an answered transfer hangs up
            step = after
            node = self.flow.nodes[step.position.node]
            total += self._until(step, None) if isinstance(node, Transfer) else self._before_number(step)
        return Route(transfer, tuple(keys), total, self._service(step.position.node))

    def _service(self, nid: str) -> str:
        node = self.flow.nodes[nid]
        return node.services[0] if isinstance(node, Transfer) else cast(Readout, node).service

    def numbers(self) -> list[Route]:
        """(c) Each number read: a caller who listens to each menu until their choice."""
        routes: list[Route] = []
        self._walk(call.start(self.flow), (), 0.0, routes, set())
        return routes

    def _walk(self, step: call.Step, keys: tuple[str, ...], total: float, routes: list[Route], seen: set) -> None:
        node = self.flow.nodes[step.position.node]
        if node.id in seen:
            return
        seen = seen | {node.id}
        if isinstance(node, Readout):
            routes.append(
                Route(node.id, keys, total + self._before_number(step), self.flow.services[node.service].number)
            )
            return
        if isinstance(node, Transfer):
            number = self.flow.services[node.services[0]].number
            routes.append(Route(node.id, keys, total + self._until(step, None), number))
            return
        moves: list[tuple[str, float]] = []
        if isinstance(node, Menu):
            moves = [(o.key, self._until(step, self.renderer.option_text(o))) for o in node.options]
        elif isinstance(node, Department):
            # A council's number, or a further question: a council without a number is put through
            # like 0, and would only repeat the same figure a hundred times.
            moves = [
                (code, self._until(step, None) + KEYING_SECONDS * len(code))
                for code, target in node.codes.items()
                if not isinstance(self.flow.nodes[target], Transfer)
            ]
        for key, seconds in moves:
            nxt = self._press(step.position, key, self.max_tries)
            self._walk(nxt, (*keys, key), total + seconds, routes, seen)
