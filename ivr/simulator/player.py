"""Play TwiML as a caller hears it, with Twilio's semantics: it knows TwiML, never our flow."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from ..flow.timing import DIAL_TIMEOUT_EXTRA, speech_seconds
from .twiml import (
    CallError,
    Dial,
    Gather,
    attr_int,
    dial_of,
    gather_of,
    parse_twiml,
    say_seconds,
    say_text,
    serialized,
)

# (method, absolute url, form) -> (HTTP status, body)
Transport = Callable[[str, str, Mapping[str, str]], tuple[int, str]]
# absolute url of a <Play> -> seconds the file lasts, None when unknown
AudioLength = Callable[[str], "float | None"]

DIAL_STATUSES = ("completed", "busy", "no-answer", "failed")
ANONYMOUS = "anonymous"  # what Twilio sends as From when the caller withholds their number
HEARD = ("Say", "Play", "Pause")
NOT_SIMULATED = frozenset(
    {"Record", "Sms", "Message", "Enqueue", "Leave", "Connect", "Pay", "Refer", "Start", "Stop", "Echo"}
)
CONVERSATION_SECONDS = 60  # DialCallDuration sent for a transfer answered as completed


@dataclass(frozen=True)
class Event:
    """Something that happened in the call, at `at` seconds after it was answered."""

    kind: str  # say, play, pause, gather, keys, speech, silence, redirect, dial, dial-status, hangup, end, error
    text: str
    at: float
    seconds: float = 0.0
    url: str = ""  # the document it came from

    @property
    def end(self) -> float:
        """Return when it stops."""
        return self.at + self.seconds


def spoken(token: str) -> str | None:
    """Return the words of a scripted token in double quotes, None for any other token."""
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else None


class Call:
    """One simulated call: request the webhooks, play what they answer, wait for the caller."""

    def __init__(
        self,
        transport: Transport,
        url: str,
        *,
        caller: str = ANONYMOUS,
        called: str = ANONYMOUS,
        max_requests: int = 200,
        max_unanswered: int = 20,
        audio_length: AudioLength | None = None,
        method: str = "POST",
    ) -> None:
        self.transport = transport
        self.entry_method = method  # how the first document is requested: GET for a static file
        self.audio_length = audio_length
        self.entry_url = url
        self.sid = "CA" + secrets.token_hex(16)
        self.account = "AC" + "0" * 32
        self.caller, self.called = caller, called
        self.max_requests, self.max_unanswered = max_requests, max_unanswered
        self.events: list[Event] = []
        self.requested: list[str] = []  # "METHOD url", in order
        self.clock = 0.0
        self.unanswered = 0  # requests since the caller last did something: a loop shows here
        self.doc_url = url
        self.rest: list[ET.Element] = []
        self.waiting: ET.Element | None = None  # the <Gather> or <Dial> waiting for the caller
        self.ended: str | None = None
        self.error: CallError | None = None

    # -- what the caller does -----------------------------------------------------------------
    def start(self) -> Call:
        """Ring the line: request the entry webhook and play until the caller must act."""
        return self._run(lambda: self._load(self.entry_method, self.entry_url, {}, status="ringing"))

    def press(self, keys: str) -> Call:
        """Press keys at the waiting <Gather> ("" is silence)."""
        gather = self._gathering()
        digits, waits = gather.entry(keys)
        if not digits:
            return self.silence()
        self._log("keys", keys, seconds=gather.timeout if waits else 0)
        self.waiting, self.unanswered = None, 0
        return self._run(lambda: self._load(gather.method, gather.action, {"Digits": digits}))

    def say(self, words: str, confidence: float | None = 0.9) -> Call:
        """Speak at the waiting <Gather> ("" is silence). One that listens to speech posts the words
        to its action once the caller has been quiet its speechTimeout, with the Confidence Twilio
        gives them (none when `confidence` is None); one that does not hears nothing: its timeout
        runs while the caller speaks, as in silence."""
        gather = self._gathering()
        words = " ".join(words.split())
        if not words:
            return self.silence()
        speaking = speech_seconds(words)
        if not gather.speech:
            self.events.append(Event("speech", words, self.clock, speaking, self.doc_url))
            return self.silence()
        assert gather.speech_timeout is not None  # Gather.__post_init__ makes None the timeout
        self._log("speech", words, seconds=speaking + gather.speech_timeout)
        self.waiting, self.unanswered = None, 0
        form = {"SpeechResult": words}
        if confidence is not None:
            form["Confidence"] = str(float(confidence))
        return self._run(lambda: self._load(gather.method, gather.action, form))

    def silence(self) -> Call:
        """Stay silent at the waiting <Gather> until its timeout."""
        gather = self._gathering()
        self._log("silence", f"{gather.timeout} s", seconds=gather.timeout)
        self.waiting, self.unanswered = None, 0
        if gather.action_on_empty:
            return self._run(lambda: self._load(gather.method, gather.action, {}))
        return self._run(lambda: None)  # fall through to the next verb

    def answer(self, status: str) -> Call:
        """End the waiting <Dial> as completed, busy, no-answer or failed."""
        dial = self.dial
        if dial is None or status not in DIAL_STATUSES:
            raise ValueError(f"no <Dial> is waiting, or {status!r} is not one of {', '.join(DIAL_STATUSES)}")
        rang = dial.timeout + DIAL_TIMEOUT_EXTRA if status == "no-answer" else 0
        self._log("dial-status", status, seconds=rang)
        self.waiting, self.unanswered = None, 0
        if status == "completed" and dial.whisper is not None:
            try:
                self._whisper(*dial.whisper, dial.numbers[0].partition(" ")[2])
            except CallError as exc:
                self.error = exc
                self._log("error", str(exc))
                return self
        action = dial.action
        if action is None:
            return self._run(lambda: None)
        form = {
            "DialCallStatus": status,
            "DialCallSid": "CA" + secrets.token_hex(16),
            "DialCallDuration": str(CONVERSATION_SECONDS if status == "completed" else 0),
        }
        return self._run(lambda: self._load(dial.method, action, form))

    def act(self, token: str, confidence: float | None = 0.9) -> Call:
        """Do one scripted thing: keys, words in double quotes ("aide financière", said with
        `confidence`), "_" or "" for silence, or a dial status."""
        if self.dial is not None:
            return self.answer(token)
        if (words := spoken(token)) is not None:
            return self.say(words, confidence)
        return self.silence() if token in ("", "_") else self.press(token)

    def hang_up(self) -> Call:
        """Hang up, as the caller."""
        self.waiting = None
        self._end("caller hung up")
        return self

    # -- state ---------------------------------------------------------------------------------
    @property
    def gather(self) -> Gather | None:
        """Return the <Gather> waiting for the caller, if any."""
        if self.waiting is not None and self.waiting.tag == "Gather":
            return gather_of(self.waiting, self.doc_url)
        return None

    def _gathering(self) -> Gather:
        gather = self.gather
        if gather is None:
            raise ValueError("no <Gather> is waiting for the caller")
        return gather

    @property
    def dial(self) -> Dial | None:
        """Return the <Dial> waiting to be answered, if any."""
        if self.waiting is not None and self.waiting.tag == "Dial":
            return dial_of(self.waiting, self.doc_url)
        return None

    @property
    def over(self) -> bool:
        """Tell whether the call has ended, normally or not."""
        return self.ended is not None or self.error is not None

    def key(self) -> tuple[str, ...]:
        """Identify what happens next: the document, the verb waiting and the verbs after it."""
        waiting = serialized(self.waiting) if self.waiting is not None else ""
        return (self.doc_url, waiting, *(serialized(v) for v in self.rest))

    def fork(self) -> Call:
        """Copy the call, to try another thing the caller could do."""
        twin = object.__new__(Call)
        twin.__dict__.update(self.__dict__)
        twin.events, twin.requested, twin.rest = list(self.events), list(self.requested), list(self.rest)
        return twin

    def snapshot(self) -> dict:
        """Return what a caller waiting at a <Gather> or <Dial> needs to carry on, as plain data."""
        if self.waiting is None:
            raise ValueError("only a call waiting for the caller can be carried on")
        return {
            "sid": self.sid,
            "caller": self.caller,
            "called": self.called,
            "url": self.doc_url,
            "entry": self.entry_url,
            "clock": self.clock,
            "requests": len(self.requested),
            "waiting": ET.tostring(self.waiting, encoding="unicode"),
            "rest": [ET.tostring(v, encoding="unicode") for v in self.rest],
        }

    @classmethod
    def resume(cls, transport: Transport, state: Mapping, audio_length: AudioLength | None = None) -> Call:
        """Rebuild a call from `snapshot()`; raise CallError when the state is not one."""
        try:
            call = cls(
                transport,
                str(state["entry"]),
                caller=str(state["caller"]),
                called=str(state["called"]),
                audio_length=audio_length,
            )
            call.sid, call.doc_url, call.clock = str(state["sid"]), str(state["url"]), float(state["clock"])
            call.requested = ["(earlier)"] * min(int(state["requests"]), call.max_requests)
            call.waiting = ET.fromstring(str(state["waiting"]))
            call.rest = [ET.fromstring(str(v)) for v in state["rest"]]
        except (KeyError, TypeError, ValueError, ET.ParseError) as exc:
            raise CallError("state", f"not a call state: {type(exc).__name__}") from None
        if call.waiting.tag not in ("Gather", "Dial"):
            raise CallError("state", "not a call state: nothing is waiting")
        return call

    # -- playing -------------------------------------------------------------------------------
    def _run(self, first: Callable[[], None]) -> Call:
        try:
            first()
            while self.waiting is None and self.ended is None:
                if not self.rest:
                    self._end("end of document")
                    break
                self._play(self.rest.pop(0))
        except CallError as exc:
            self.error, self.waiting = exc, None
            self._log("error", str(exc))
        return self

    def _log(self, kind: str, text: str, seconds: float = 0.0) -> None:
        self.events.append(Event(kind, text, self.clock, seconds, self.doc_url))
        self.clock += seconds

    def _end(self, why: str) -> None:
        self.ended = why
        self._log("end", why)

    def _load(self, method: str, url: str, form: Mapping[str, str], status: str = "in-progress") -> None:
        self.unanswered += 1
        if len(self.requested) >= self.max_requests or self.unanswered > self.max_unanswered:
            raise CallError(
                "loop",
                f"{self.unanswered} requests without the caller doing anything "
                f"({len(self.requested)} in the call): a loop without end, last {method} {url}",
            )
        fields = {
            "CallSid": self.sid,
            "AccountSid": self.account,
            "From": self.caller,
            "To": self.called,
            "Caller": self.caller,
            "Called": self.called,
            "CallStatus": status,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **form,
        }
        url, body = self._request(method, url, fields)
        self.doc_url, self.rest = url, parse_twiml(body, url)

    def _request(self, method: str, url: str, fields: Mapping[str, str]) -> tuple[str, str]:
        """Request a document as Twilio does (GET: the fields in the query); return its URL and body."""
        if method == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(fields)) if q)
            url, fields = urlunsplit(parts._replace(query=query)), {}
        self.requested.append(f"{method} {url}")
        try:
            status_code, body = self.transport(method, url, fields)
        except OSError as exc:
            raise CallError("http", f"{method} {url} failed: {exc}") from None
        if status_code != 200:
            raise CallError("http", f"{method} {url} answered HTTP {status_code}")
        return url, body

    def _whisper(self, method: str, url: str, number: str) -> None:
        """Play a <Number url> as Twilio does once the number answers, before bridging the caller:
        request it as the call to that number (the line's side, never the caller's) and log what
        whoever answers hears."""
        fields = {
            "CallSid": "CA" + secrets.token_hex(16),
            "ParentCallSid": self.sid,
            "AccountSid": self.account,
            "From": self.called,
            "To": number,
            "CallStatus": "in-progress",
            "Direction": "outbound-dial",
            "ApiVersion": "2010-04-01",
        }
        url, body = self._request(method, url, fields)
        for verb in parse_twiml(body, url):
            if verb.tag not in HEARD:
                raise CallError("twiml", f"<{verb.tag}> in a whisper is not simulated ({url})")
            if verb.tag == "Say":
                self.events.append(Event("whisper", say_text(verb), self.clock, say_seconds(verb), url))
                self.clock += say_seconds(verb)

    def _play(self, verb: ET.Element) -> None:
        tag = verb.tag
        if tag in HEARD:
            self._hear(verb)
        elif tag == "Gather":
            gather = gather_of(verb, self.doc_url)
            digits = (f"{gather.num_digits} key(s)" if gather.num_digits else "keys") + (
                " or words" if gather.speech else ""
            )
            self._log(
                "gather",
                f"{digits}, {gather.timeout} s of silence, then "
                + ("the action" if gather.action_on_empty else "the next verb"),
            )
            for child in verb:
                if child.tag not in HEARD:
                    raise CallError("twiml", f"<{child.tag}> cannot be inside <Gather> ({self.doc_url})")
                self._hear(child)
            self.waiting = verb
        elif tag == "Redirect":
            target = (verb.text or "").strip()
            if not target:
                raise CallError("twiml", f"<Redirect> without a URL ({self.doc_url})")
            url = urljoin(self.doc_url, target)
            self._log("redirect", url)
            self._load(verb.get("method", "POST").upper(), url, {})
        elif tag == "Dial":
            dial = dial_of(verb, self.doc_url)
            self._log("dial", ", ".join(dial.numbers))
            self.waiting = verb
        elif tag in ("Hangup", "Reject"):
            self._log("hangup", tag)
            self._end(tag.lower())
        elif tag in NOT_SIMULATED:
            self._log("skipped", f"<{tag}> is not simulated")
        else:
            raise CallError("twiml", f"<{tag}> is not a TwiML verb ({self.doc_url})")

    def _hear(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            self._log("say", say_text(verb), say_seconds(verb))
        elif verb.tag == "Play":
            url = urljoin(self.doc_url, (verb.text or "").strip())
            loops = max(attr_int(verb, "loop", 1) or 1, 1)  # loop="0" (for ever) is heard once here
            seconds = self.audio_length(url) if self.audio_length else None
            self._log("play", url, loops * (seconds or 0.0))
        else:
            self._log("pause", f"{attr_int(verb, 'length', 1)} s", attr_int(verb, "length", 1) or 0)
