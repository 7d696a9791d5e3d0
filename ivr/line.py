"""Everything a running line needs, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .flow import Flow
from .loader import load_flow
from .security import SignatureCheck
from .twiml import Renderer


@dataclass(frozen=True)
class Line:
    """The validated flow, the settings, the renderer and the signature check."""

    flow: Flow
    settings: Settings
    renderer: Renderer
    signature_check: SignatureCheck | None

    @classmethod
    def build(cls, settings: Settings) -> Line:
        """Load and validate the flow; raise FlowError when it is broken."""
        flow = load_flow(settings.data_dir, settings.prompts_dir)
        check = SignatureCheck(settings.auth_token, settings.public_url) if settings.auth_token else None
        return cls(flow=flow, settings=settings, renderer=Renderer(flow, settings), signature_check=check)
