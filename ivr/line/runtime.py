"""Everything a running line needs, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..config import Settings
from ..errors import ConfigError
from ..flow.loader import load_flow
from ..flow.model import Flow
from ..flow.names import Names
from ..flow.names import build as build_names
from ..flow.recordings import Audio, load_audio
from .answers import Answers
from .recordings import audio_base
from .signature import SignatureCheck
from .twiml import Renderer


@dataclass(frozen=True)
class Line:
    """The validated flow, the settings, the renderer, the signature check and the recorded prompts."""

    flow: Flow
    settings: Settings
    renderer: Renderer
    signature_check: SignatureCheck | None
    answers: Answers
    audio: Audio = Audio()  # recorded prompts, checked once here: a file gone later is not noticed
    count: Callable[[Iterable[tuple[str, str, str]]], None] = lambda keys: None  # the statistics, when on
    names: Names = Names()  # the words of the flow's ids, for pages (never read by webhooks)

    @classmethod
    def build(cls, settings: Settings) -> Line:
        """Load and validate the flow; raise FlowError when it is broken."""
        flow = load_flow(settings.data_dir, settings.prompts_dir, settings.facts)
        for old in flow.superseded:
            if settings.platform_number and settings.platform_number == "+33" + old.digits[1:]:
                raise ConfigError(
                    f"IVR_PLATFORM_NUMBER is {old.number}, superseded: the platform is now "
                    f"{flow.services[old.successor].number}"
                )
        check = SignatureCheck(settings.auth_token, settings.public_url) if settings.auth_token else None
        audio = load_audio(flow, settings.prompts_dir, audio_base(settings))
        renderer = Renderer(flow, settings, audio.urls, audio.numbers)
        return cls(
            flow=flow,
            settings=settings,
            renderer=renderer,
            signature_check=check,
            answers=Answers(flow, renderer, settings.max_tries, settings.speech_confidence, settings.clock),
            audio=audio,
            names=build_names(flow),
        )
