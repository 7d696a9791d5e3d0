"""Answer each webhook from its URL and input; each distinct answer is computed once, then reused."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl

from ..errors import CallStateError
from ..flow import moves as call
from ..flow.hours import Hours
from ..flow.model import Flow, Readout, Transfer
from ..flow.position import Position, parse_position
from ..flow.speech import Listener, understand
from ..stats import events
from .twiml import Renderer

# What a <Gather> can send back: keypad keys, at most two (a département's menu takes two).
KEYS = re.compile(r"[0-9*#]{0,2}")
NOT_A_KEY = "?"  # any other Digits: a wrong key, cached once for all of them
MAX_POSITIONS = 16384  # more than the real positions of a flow a hundred times the default
MAX_ANSWERS = 8192  # answers kept to keys or words, each cache: every position's of a large flow
MAX_TRANSFER_ANSWERS = 1024  # answers kept to the end of a transfer and to a whisper, each cache


@dataclass(frozen=True)
class Answer:
    """A TwiML document, what it means for the log, and the statistics' counters it adds to."""

    where: str
    document: bytes
    counts: tuple[events.Key, ...] = ()


class Answers:
    """The line's answers: the flow does not change between requests, so neither do they."""

    def __init__(
        self,
        flow: Flow,
        renderer: Renderer,
        max_tries: int,
        confidence: float = 0.5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.flow, self.renderer, self.max_tries = flow, renderer, max_tries
        self.confidence = confidence  # below it, words are answered like silence
        self.clock = clock  # the line's time: a read-out whose service keeps hours depends on it
        start = call.start(flow)
        self.entry = self._answer(start, events.entry_keys(flow, start))
        self.fallback = Answer("fallback", renderer.fallback.encode())
        # Cached on the parsed position and a validated input, never on what the request said:
        # only positions a caller can be at, and keys a keypad has, ever enter the caches.
        self._key_at = lru_cache(maxsize=MAX_ANSWERS)(self._key)
        self._dial_at = lru_cache(maxsize=MAX_TRANSFER_ANSWERS)(self._dial)
        self._said_at = lru_cache(maxsize=MAX_ANSWERS)(self._said)
        # A callback's query string exactly as the line wrote it -> its position: parsing costs a
        # request more than the rest of its answer. Only the line's own spelling of a real position
        # enters, so junk, padding or reordered parameters are parsed each time and never kept.
        self._positions: dict[str, Position] = {}
        self._whisper_at = lru_cache(maxsize=MAX_TRANSFER_ANSWERS)(self._whisper)

    def _answer(self, step: call.Step | None, counts: tuple[events.Key, ...] = ()) -> Answer:
        if step is call.HANGUP:
            return Answer("ended after the transfer", self.renderer.hangup.encode(), counts)
        return Answer(f"at {step.position.node}", self.renderer.render(step).encode(), counts)

    def position(self, query: str) -> Position:
        """Parse the position in a callback's query string; raise CallStateError unless a caller can be there."""
        known = self._positions.get(query)
        if known is not None:
            return known
        position = parse_position(dict(parse_qsl(query, keep_blank_values=True)), self.flow, self.max_tries)
        if position.query() == query and len(self._positions) < MAX_POSITIONS:
            self._positions[query] = position
        return position

    def hours(self, node: str, now: datetime | None = None) -> tuple[tuple[str, str], ...]:
        """What the hour changes one or two moves from a node: each read-out whose service keeps hours,
        with OPEN or when it opens. Part of the cached answer's key: an answer that depends on the
        hour is never served at another hour. Empty (the usual case) costs nothing."""
        near = self.flow.closing.get(node)
        if not near:
            return ()
        now = now or self.clock()
        return tuple((rid, hours_of(self.flow, rid).state(now)) for rid in near)

    def key(self, query: str, digits: str, now: datetime | None = None) -> Answer:
        """Answer the keys pressed ("" for silence) at the position in the query string (at `now`, a
        simulated call's instant, or the line's clock)."""
        position = self.position(query)
        hours = self.hours(position.node, now)
        return self._key_at(position, digits if KEYS.fullmatch(digits) else NOT_A_KEY, hours)

    def said(self, query: str, words: str, confidence: str = "", now: datetime | None = None) -> Answer:
        """Answer what a caller said (SpeechResult, with Twilio's Confidence when it sent one) at the
        position in the query string. The words are understood as keys, then forgotten: only the
        keys and how sure (never the words) reach the cache and the statistics."""
        position = self.position(query)
        listener = self.flow.listeners.get(position.node)
        if not isinstance(listener, Listener):  # a transfer: nothing to say there, nor any hour to mind
            return self._key_at(position, "", ())
        heard = understand(listener, words, _confidence(confidence), self.confidence)
        return self._said_at(position, heard.keys, heard.outcome, self.hours(position.node, now), heard.distress)

    def dial(self, query: str, status: str, now: datetime | None = None) -> Answer:
        """Answer the end of a transfer (DialCallStatus) at the position in the query string."""
        position = self.position(query)
        status = status if status in events.DIAL_STATUSES else events.OTHER
        return self._dial_at(position, status, self.hours(position.node, now))

    def whisper(self, query: str) -> Answer:
        """Answer the request for a transfer's whisper at the position in the query string."""
        position = self.position(query)
        if not isinstance(self.flow.nodes[position.node], Transfer):
            raise CallStateError("whisper for a node that is not a transfer")
        return self._whisper_at(Position(position.node, position.trail, distress=position.distress))

    def _whisper(self, position: Position) -> Answer:
        return Answer(f"whisper at {position.node}", self.renderer.whisper(position).encode())

    def _key(self, position: Position, digits: str, hours: tuple[tuple[str, str], ...]) -> Answer:
        step = call.at_hours(self.flow, call.press(self.flow, position, digits, self.max_tries), dict(hours))
        return self._answer(step, events.press_keys(self.flow, position, digits, step, self.max_tries))

    def _said(
        self,
        position: Position,
        keys: tuple[str, ...],
        outcome: str,
        hours: tuple[tuple[str, str], ...],
        distress: bool,
    ) -> Answer:
        step = call.at_hours(self.flow, call.press_in_turn(self.flow, position, keys, self.max_tries), dict(hours))
        if distress:
            step = call.in_distress(self.flow, step)
        return self._answer(step, events.speech_keys(self.flow, position, outcome, step))

    def _dial(self, position: Position, status: str, hours: tuple[tuple[str, str], ...]) -> Answer:
        step = call.at_hours(self.flow, call.dialled(self.flow, position, status), dict(hours))
        return self._answer(step, events.dial_keys(self.flow, position, status, step))


def hours_of(flow: Flow, readout: str) -> Hours:
    """The hours of the service a read-out reads (one that keeps hours: see Flow.closing)."""
    node = flow.nodes[readout]
    assert isinstance(node, Readout)
    opening = flow.services[node.service].opening
    assert opening is not None
    return opening


def _confidence(raw: str) -> float | None:
    """Read Twilio's Confidence ("0.92"); None when it sent none (Twilio does not promise one), 0 when
    it is not a number."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return 0.0
