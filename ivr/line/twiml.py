"""Render TwiML from the flow: pure functions of (flow, settings, step), no Flask."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ..config import Settings
from ..flow.directory import Service
from ..flow.hours import CLOSED
from ..flow.model import KEY_PROMPTS, OPENING_FIELD, Department, Flow, Menu, Readout, Transfer
from ..flow.moves import Step, chosen
from ..flow.position import Position
from ..flow.timing import speech_seconds

LANGUAGE = "fr-FR"
KEY_URL = "/voice/key"
DIAL_URL = "/voice/dial"
WHISPER_URL = "/voice/whisper"  # heard by whoever answers a transfer, before the caller (IVR_WHISPER=1)
NUMBER_RATE = "90%"  # numbers are read a little slower than speech
RING_TONE = "fr"
SOON = "prochainement"  # when a closed service opens, if no opening is known within three weeks
# Twilio's model for short commands ("press 0 or say ..."), which knows fr-FR. With a model named,
# speechTimeout must be whole seconds ("auto" is refused).
SPEECH_MODEL = "experimental_utterances"


class Renderer:
    """Turn steps into TwiML documents; every document is built once, then reused."""

    def __init__(
        self,
        flow: Flow,
        settings: Settings,
        audio: Mapping[str, str] | None = None,
        numbers: Mapping[str, str] | None = None,
    ) -> None:
        self.flow = flow
        self.settings = settings
        self.audio = audio or {}  # prompt key -> URL of its recording, played instead of said
        self.numbers = numbers or {}  # service id -> URL of its number assembled from clips
        self.ssml = settings.voice.startswith(("Polly.", "Google."))
        self.render = lru_cache(maxsize=4096)(self._render)
        self.hangup = _hangup()
        self.fallback = self._fallback()

    # -- building blocks ------------------------------------------------------------------
    def _say(self, parent, text: str) -> None:
        parent.say(text, voice=self.settings.voice, language=LANGUAGE)

    def _prompts(self, parent, keys, opening: str | None = None) -> None:
        for key in keys:
            text = self.flow.prompts[key]
            if OPENING_FIELD in text:  # said at the hour: never a recording
                self._say(parent, text.replace(OPENING_FIELD, SOON if opening in (None, CLOSED) else opening))
            elif key in self.audio:
                parent.play(self.audio[key])
            else:
                self._say(parent, text)

    def _number(self, parent, service: Service) -> None:
        """Say a number in French words, group by group, a little slower."""
        if service.id in self.numbers:
            parent.play(self.numbers[service.id])
        elif self.ssml:
            say = parent.say(voice=self.settings.voice, language=LANGUAGE)
            say.prosody(service.spoken, rate=NUMBER_RATE)
        else:
            self._say(parent, service.spoken)

    def _dial_number(self, service: Service) -> str:
        if service.id == self.flow.platform.id and self.settings.platform_number:
            return self.settings.platform_number
        assert service.dial is not None  # validate() refuses a transfer to a number that cannot be dialled
        return service.dial

    def _dial(self, parent, service: Service, action: str | None, whisper: str | None = None) -> None:
        kwargs = dict(timeout=self.settings.dial_timeout, answer_on_bridge=True, ring_tone=RING_TONE)
        if action:
            kwargs.update(action=action, method="POST")
        if self.settings.caller_id:
            kwargs["caller_id"] = self.settings.caller_id
        dial: Dial = parent.dial(**kwargs)
        if whisper and self.settings.whisper and service.whisper:  # only a line that expects it
            dial.number(self._dial_number(service), url=whisper, method="POST")
        else:
            dial.number(self._dial_number(service))

    def _listening(self, node_id: str) -> dict[str, str | int]:
        """Say how a <Gather> listens: keys only, or keys and French speech with the node's words as
        hints (IVR_SPEECH)."""
        if not self.settings.speech:
            return {}
        listening: dict[str, str | int] = dict(
            input="dtmf speech",
            language=LANGUAGE,
            speech_model=SPEECH_MODEL,
            # The same wait for words as for keys: whichever Twilio applies to a caller who says
            # nothing, a silent caller is put through after the menu's own silence.
            speech_timeout=self.timeout(self.flow.nodes[node_id]),
        )
        hints = self.flow.listeners[node_id].hints if node_id in self.flow.listeners else ""
        return {**listening, "hints": hints} if hints else listening

    def timeout(self, node) -> int:
        """Seconds of silence a prompt waits for: the menu's own, or the deployment's."""
        return getattr(node, "timeout", None) or self.settings.gather_timeout

    def option_text(self, option) -> str:
        """Say one menu choice: "<label> : tapez <key>."."""
        p = self.flow.prompts
        return f"{p[option.say]} : {p['press']} {p[KEY_PROMPTS[option.key]]}."

    def _option(self, parent, option) -> None:
        """Offer one menu choice, playing whichever of its parts are recorded."""
        label, key = option.say, KEY_PROMPTS[option.key]
        if not {label, "press", key} & self.audio.keys():
            self._say(parent, self.option_text(option))
            return
        p = self.flow.prompts
        text, key_text = self.option_text(option), f"{p['press']} {p[key]}."
        if label in self.audio:
            self._prompts(parent, [label])
        else:  # the label with its punctuation, as option_text writes it
            self._say(parent, text.removesuffix(key_text).rstrip())
        if {"press", key} <= self.audio.keys():
            self._prompts(parent, ["press", key])
        else:
            self._say(parent, key_text)

    # -- documents --------------------------------------------------------------------------
    def _render(self, step: Step) -> str:
        node = self.flow.nodes[step.position.node]
        response = VoiceResponse()
        if step.arrived:
            self._prompts(response, node.intro, step.opening)
        if isinstance(node, Transfer):
            if step.notice:
                self._prompts(response, [step.notice])
            position = step.position
            self._dial(
                response,
                self.flow.services[node.services[position.tries]],
                f"{DIAL_URL}?{position.query()}",
                f"{WHISPER_URL}?{Position(position.node, position.trail, distress=position.distress).query()}",
            )
            return str(response)
        url = f"{KEY_URL}?{step.position.query()}"
        gather: Gather = response.gather(
            action=url,
            method="POST",
            timeout=self.timeout(node),
            finish_on_key="",
            num_digits=node.digits if isinstance(node, Department) else 1,
            **self._listening(node.id),
        )
        if step.notice:
            self._prompts(gather, [step.notice])
        self._prompts(gather, node.say)
        if isinstance(node, Menu):
            for option in node.options:
                self._option(gather, option)
            self._prompts(gather, node.after)
        elif isinstance(node, Readout):
            service = self.flow.services[node.service]
            self._number(gather, service)
            self._prompts(gather, ["readout_repeat"])
            self._number(gather, service)
            self._prompts(gather, [*node.after, "readout_options"])
        # No key at all: Twilio falls through to here, and the silence is handled like a key.
        response.redirect(url, method="POST")
        return str(response)

    def whisper(self, position: Position) -> str:
        """Build what whoever answers a transfer hears first: distress first, when the caller said
        words of distress, then the route the caller chose, in one sentence ("Écoute des soignants :
        Médecin ou interne ; Côtes-d'Armor."; "Appel en détresse. Écoute des soignants."), at most
        WHISPER_SECONDS: the first choices are left out until it fits (the last say most), then the
        line's name."""
        response = VoiceResponse()
        self._say(response, whisper_text(self.flow, position))
        return str(response)

    def _fallback(self) -> str:
        """Build the answer for any fault: put through to the first ear (the line for every caller);
        then, whatever became of the call (this document cannot tell), the 3114 and that line's number,
        twice."""
        platform = self.flow.platform
        response = VoiceResponse()
        self._prompts(response, ["fallback"])
        self._dial(response, platform, action=None)
        self._prompts(response, ["fallback_after"])
        self._number(response, platform)
        self._prompts(response, ["readout_repeat"])
        self._number(response, platform)
        return str(response)


WHISPER_SECONDS = 4.0  # the most whoever answers hears before the caller: every second is the caller's


def whisper_text(flow: Flow, position: Position) -> str:
    """The whisper's words at a transfer: see Renderer.whisper."""
    first = f"{flow.prompts['whisper_distress']} " if position.distress else ""
    parts = list(chosen(flow, position))
    while True:
        text = first + flow.prompts["whisper"] + (f" : {' ; '.join(parts)}." if parts else ".")
        if not parts or speech_seconds(text) <= WHISPER_SECONDS:
            break
        parts.pop(0)
    if first and speech_seconds(text) > WHISPER_SECONDS:
        return first.strip()
    return text


def _hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
