"""Answer each webhook from its URL and input; each distinct answer is computed once, then reused."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from ..flow import moves as call
from ..flow.model import Flow
from ..flow.position import parse_position
from ..stats import events
from .twiml import Renderer


@dataclass(frozen=True)
class Answer:
    """A TwiML document, what it means for the log, and the statistics' counters it adds to."""

    where: str
    document: bytes
    counts: tuple[events.Key, ...] = ()


class Answers:
    """The line's answers: the flow does not change between requests, so neither do they."""

    def __init__(self, flow: Flow, renderer: Renderer, max_tries: int) -> None:
        self.flow, self.renderer, self.max_tries = flow, renderer, max_tries
        start = call.start(flow)
        self.entry = self._answer(start, events.entry_keys(flow, start))
        self.fallback = Answer("fallback", renderer.fallback.encode())
        self.key = lru_cache(maxsize=8192)(self._key)
        self.dial = lru_cache(maxsize=1024)(self._dial)

    def _answer(self, step: call.Step | None, counts: tuple[events.Key, ...] = ()) -> Answer:
        if step is call.HANGUP:
            return Answer("ended after the transfer", self.renderer.hangup.encode(), counts)
        return Answer(f"at {step.position.node}", self.renderer.render(step).encode(), counts)

    def _position(self, query: str):
        return parse_position(dict(parse_qsl(query, keep_blank_values=True)), self.flow, self.max_tries)

    def _key(self, query: str, digits: str) -> Answer:
        """Answer the keys pressed ("" for silence) at the position in the query string."""
        position = self._position(query)
        step = call.press(self.flow, position, digits, self.max_tries)
        return self._answer(step, events.press_keys(self.flow, position, digits, step, self.max_tries))

    def _dial(self, query: str, status: str) -> Answer:
        """Answer the end of a transfer at the position in the query string."""
        position = self._position(query)
        step = call.dialled(self.flow, position, status)
        return self._answer(step, events.dial_keys(self.flow, position, status, step))
