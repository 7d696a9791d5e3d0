"""`ivr fallback export`: the fallback answer as a static TwiML file, to serve from another host.

Twilio requests the number's "Primary handler fails" URL when the line does not answer. On the
line's own host it goes down with the line; written once to a file, it can live on any static host.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import click

from ..errors import FlowError
from ..flow.loader import load_flow
from ..flow.recordings import load_audio
from ..line.twiml import Renderer
from .options import data_option, prompts_option, settings_for

URL_TEXT = frozenset({"Play", "Redirect"})  # verbs whose text is a URL


def static_fallback(flow, settings) -> str:
    """Return the renderer's fallback document, with recordings only when they live elsewhere (a CDN):
    on the line's host they would fail with it, so without IVR_AUDIO_BASE_URL every prompt is spoken."""
    if settings.audio_base_url:
        audio = load_audio(flow, settings.prompts_dir, settings.audio_base_url)
        return Renderer(flow, settings, audio.urls, audio.numbers).fallback
    return Renderer(flow, settings).fallback


def _url_slots(element: ET.Element) -> list[str | None]:
    """Name where an element holds URLs: None for its text, else attribute names."""
    slots: list[str | None] = [None] if element.tag in URL_TEXT else []
    return slots + [k for k in element.attrib if k in ("action", "url") or k.endswith(("Url", "Callback"))]


def _urls(root: ET.Element):
    for element in root.iter():
        for slot in _url_slots(element):
            yield element, slot, ((element.text or "") if slot is None else element.get(slot, "")).strip()


def relative_urls(document: str) -> list[str]:
    """Return every URL of a TwiML document that is not absolute (a static host could not serve it)."""
    return [url for _, _, url in _urls(ET.fromstring(document)) if not url.startswith(("https://", "http://"))]


def absolute(document: str, base: str) -> str:
    """Return the document with every relative URL made absolute against `base` (IVR_PUBLIC_URL)."""
    root = ET.fromstring(document)
    for element, slot, url in _urls(root):
        full = urljoin(base.rstrip("/") + "/", url)
        if slot is None:
            element.text = full
        else:
            element.set(slot, full)
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


@click.group()
def fallback() -> None:
    """The answer Twilio plays when the line itself fails."""


@fallback.command("export")
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False), default="fallback.xml")
@data_option
@prompts_option
def export(output: Path, data_dir: Path | None, prompts_dir: Path | None) -> None:
    """Write the fallback answer (put through to the line for every caller, the 3114 and its number read) as a static
    TwiML file for any static host; point the number's "Primary handler fails" at it, method GET."""
    settings = settings_for(data_dir, prompts_dir)
    if settings.caller_id is None and not settings.pass_caller_number:
        raise click.ClickException(
            "IVR_CALLER_ID is not set: the file would pass each caller's own number on to "
            "the platform. Export with the live line's settings (IVR_CALLER_ID, or "
            "IVR_PASS_CALLER_NUMBER=1 if the platform may see callers' numbers)."
        )
    try:
        flow = load_flow(settings.data_dir, settings.prompts_dir, settings.facts)
    except FlowError as exc:
        raise click.ClickException(f"{exc}; run `ivr check`") from None
    document = static_fallback(flow, settings)
    relative = relative_urls(document)
    if relative and settings.public_url:
        document = absolute(document, settings.public_url)
    elif relative:
        raise click.ClickException(
            f"the fallback names URLs on the line's host ({', '.join(relative)}): "
            "set IVR_PUBLIC_URL so the file names them in full"
        )
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or type(exc).__name__}") from None
    dialled = ", ".join(n.text or "" for n in ET.fromstring(document).iter("Number"))
    click.echo(f"Wrote {output} ({len(document.encode())} bytes): it dials {dialled}.")
    click.echo(
        "Serve it from a static host over https, then in the Twilio console set the number's "
        '"Primary handler fails" to its URL, method GET.'
    )
