"""Walk every path of a line through the simulated caller: every key, every hint said, silence, transfer outcome."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from itertools import product

from .player import DIAL_STATUSES, Call, Gather, spoken

SILENCE = "_"
KEYS = "0123456789*#"
DIGITS = "0123456789"
# The longest path tried: a doctor's assault route to a council without a number (5 inputs), three
# failed tries, silence, three more (the loop closes there), with room to spare.
MAX_DEPTH = 16
# Says how far a long task is: progress(label, total or None) gives a function to call with the steps done.
Progress = Callable[[str, int | None], AbstractContextManager[Callable[[int], object]]]


def no_progress(label: str, total: int | None = None) -> AbstractContextManager[Callable[[int], object]]:
    """Say nothing of a task's progress."""
    return nullcontext(_nothing)


def _nothing(steps: int) -> None:
    pass


def choices(gather: Gather) -> list[str]:
    """List what a caller can do at a <Gather>: silence, every key, and every two-digit entry when
    it takes two or more digits (a longer entry is tried as the same key repeated); at one that
    listens to speech, every hint said, in double quotes as `ivr call --keys` takes it."""
    options = [SILENCE, *KEYS]
    if gather.num_digits == 2:
        options += ["".join(pair) for pair in product(DIGITS, repeat=2)]
    elif gather.num_digits and gather.num_digits > 2:
        options += [key * gather.num_digits for key in KEYS]
    if gather.finish_on_key:
        options = [
            o if o == SILENCE or len(o) >= (gather.num_digits or 99) else o + gather.finish_on_key for o in options
        ]
    if gather.speech:
        options += [f'"{hint}"' for hint in gather.hints]
    return list(dict.fromkeys(options))


@dataclass
class Stop:
    """Where a path stops: a state the caller waits in, or the end of the call."""

    inputs: tuple[str, ...]
    call: Call


@dataclass
class Exploration:
    """Every state reached, how, and what could go wrong."""

    states: dict[tuple[str, ...], Stop] = field(default_factory=dict)  # waiting states, first reached
    edges: dict[tuple[str, ...], set[tuple[str, ...] | str]] = field(default_factory=dict)
    endings: list[Stop] = field(default_factory=list)  # calls that ended (normally or not)
    problems: list[str] = field(default_factory=list)
    requested: set[str] = field(default_factory=set)  # every "METHOD url" requested

    def trapped(self) -> list[Stop]:
        """List the states from which the call can never end nor reach a transfer."""
        good = {k for k, stop in self.states.items() if stop.call.dial is not None}
        good |= {k for k, targets in self.edges.items() if "end" in targets}
        changed = True
        while changed:
            changed = False
            for k, targets in self.edges.items():
                if k not in good and targets & good:
                    good.add(k)
                    changed = True
        return [stop for k, stop in self.states.items() if k not in good]


def explore(
    start: Callable[[], Call], max_depth: int = MAX_DEPTH, step: Callable[[int], object] = _nothing
) -> Exploration:
    """Try everything a caller can do, breadth first, until every state has been seen (`step(1)` at each)."""
    found = Exploration()
    where_said: dict[tuple[str, str, str], tuple[str, ...] | str] = {}
    queue: deque[tuple[Call, tuple[str, ...], tuple[str, ...] | None]] = deque([(start().start(), (), None)])
    while queue:
        call, inputs, parent = queue.popleft()
        found.requested.update(call.requested)
        if call.over:
            found.endings.append(Stop(inputs, call))
            if call.error is not None:
                found.problems.append(f"{' '.join(inputs) or '(no key)'}: {call.error}")
            if parent is not None:
                found.edges[parent].add("end" if call.error is None else "error")
            continue
        key = call.key()
        if parent is not None:
            found.edges[parent].add(key)
        if key in found.states:
            continue
        found.states[key] = Stop(inputs, call)
        found.edges[key] = set()
        step(1)
        if len(inputs) >= max_depth:
            found.problems.append(f"{' '.join(inputs)}: still going after {max_depth} inputs")
            continue
        gather = call.gather
        if call.dial is not None:
            options = list(DIAL_STATUSES)
        else:
            assert gather is not None  # a call that is not over waits at a <Gather> or a <Dial>
            options = choices(gather)
        for option in options:
            # Words said post to the action, whose answer depends on nothing else (the line keeps
            # no state): the same words at the same action lead where they led before.
            said = (gather.method, gather.action, option) if gather is not None and spoken(option) is not None else None
            if said in where_said:
                found.edges[key].add(where_said[said])
                continue
            after = call.fork().act(option)
            if said is not None:
                where_said[said] = after.key() if not after.over else "end" if after.error is None else "error"
            queue.append((after, (*inputs, option), key))
    for stop in found.trapped():
        found.problems.append(
            f"{' '.join(stop.inputs)}: a loop without end (no path from here ends the call or reaches a transfer)"
        )
    return found
