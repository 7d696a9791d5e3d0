"""Answer each webhook from its URL and input; each distinct answer is computed once, then reused."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from ..flow import moves as call
from ..flow.model import Flow
from ..flow.position import parse_position
from .twiml import Renderer


@dataclass(frozen=True)
class Answer:
    """A TwiML document and what it means, for the log."""

    where: str
    document: bytes


class Answers:
    """The line's answers: the flow does not change between requests, so neither do they."""

    def __init__(self, flow: Flow, renderer: Renderer, max_tries: int) -> None:
        self.flow, self.renderer, self.max_tries = flow, renderer, max_tries
        self.entry = self._answer(call.start(flow))
        self.fallback = Answer("fallback", renderer.fallback.encode())
        self.key = lru_cache(maxsize=8192)(self._key)
        self.dial = lru_cache(maxsize=1024)(self._dial)

    def _answer(self, step: call.Step | None) -> Answer:
        if step is call.HANGUP:
            return Answer("ended after the transfer", self.renderer.hangup.encode())
        return Answer(f"at {step.position.node}", self.renderer.render(step).encode())

    def _position(self, query: str):
        return parse_position(dict(parse_qsl(query, keep_blank_values=True)), self.flow, self.max_tries)

    def _key(self, query: str, digits: str) -> Answer:
        """Answer the keys pressed ("" for silence) at the position in the query string."""
        return self._answer(call.press(self.flow, self._position(query), digits, self.max_tries))

    def _dial(self, query: str, status: str) -> Answer:
        """Answer the end of a transfer at the position in the query string."""
        return self._answer(call.dialled(self.flow, self._position(query), status))
