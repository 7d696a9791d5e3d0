"""Check a TwiML document against what twilio.twiml.voice_response knows: verbs, nouns,
attributes and nesting."""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET

from twilio.twiml import lower_camel
from twilio.twiml import voice_response as vr

_FIRST = {"message", "words", "phone_number", "url", "digits", "name", "sip_url", "client_identity"}


def _method(parent: type, tag: str):
    name = tag[0].lower() + tag[1:]
    return getattr(parent, name, None) or getattr(parent, f"{name}_", None)


def problems(document: str) -> list[str]:
    """List everything in the document that is not Twilio's vocabulary."""
    root = ET.fromstring(document)
    if root.tag != "Response":
        return [f"root is <{root.tag}>, not <Response>"]
    found: list[str] = []

    def visit(element: ET.Element, parent_cls: type, path: str) -> None:
        method = _method(parent_cls, element.tag)
        ssml = element.tag[0].islower()  # <prosody>, <break>: SSML inside <Say>
        cls_name = "Ssml" + "".join(p.capitalize() for p in element.tag.split("-")) if ssml else element.tag
        child_cls = getattr(vr, cls_name, None)
        if method is None or not isinstance(child_cls, type):
            found.append(f"{path}/<{element.tag}> is not allowed inside <{parent_cls.__name__}>")
            return
        params = [p for p in inspect.signature(method).parameters if p not in ("self", "kwargs")]
        # The first parameter, when it is the element's text, is no attribute ("url" is one of <Number>).
        text = params[:1] if params and params[0] in _FIRST else []
        allowed = {lower_camel(getattr(child_cls, "MAP", {}).get(p, p)) for p in params if p not in text}
        for attr in element.attrib:
            if attr not in allowed:
                found.append(f"{path}/<{element.tag}> has unknown attribute {attr!r}")
        for child in element:
            visit(child, child_cls, f"{path}/{element.tag}")

    for child in root:
        visit(child, vr.VoiceResponse, "Response")
    return found
