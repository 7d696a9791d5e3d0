"""`ivr fallback export`: the fallback answer as a static file, played from a plain static server."""

from __future__ import annotations

import functools
import http.server
import threading
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.flow.directory import FAMILY
from ivr.flow.loader import load_flow
from ivr.simulator.player import Call
from ivr.simulator.transport import http_transport
from tests.paths import LINE_NUMBER, ROOT

# A fault: the caller has not said who they are; the fallback dials the first ear, the operator's first line.
PLATFORM = load_flow(ROOT / "data", ROOT / "prompts").platform.dial


@pytest.fixture
def static_server(tmp_path):
    """A plain static file server (GET only, as any static host) over tmp_path."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def export(tmp_path, *args, env=None):
    env = {"IVR_CALLER_ID": LINE_NUMBER, **(env or {})}
    return CliRunner().invoke(main, ["fallback", "export", str(tmp_path / "fallback.xml"), *args], env=env)


def test_the_export_keeps_callers_anonymous(tmp_path):
    refused = export(tmp_path, env={"IVR_CALLER_ID": ""})
    assert refused.exit_code == 1 and "IVR_CALLER_ID is not set" in refused.output
    assert not (tmp_path / "fallback.xml").exists()
    assert export(tmp_path).exit_code == 0
    dial = ET.fromstring((tmp_path / "fallback.xml").read_text(encoding="utf-8")).find("Dial")
    assert dial.get("callerId") == LINE_NUMBER


def test_the_exported_fallback_plays_from_a_static_server(tmp_path, static_server, flow):
    result = export(tmp_path)
    assert result.exit_code == 0, result.output
    assert "Primary handler fails" in result.output and "GET" in result.output
    call = Call(http_transport(), f"{static_server}/fallback.xml", method="GET").start()
    assert call.error is None, call.error
    assert call.requested == [call.requested[0]] and call.requested[0].startswith(f"GET {static_server}/fallback.xml")
    dialled = [e.text for e in call.events if e.kind == "dial"]
    assert dialled == [f"Number {PLATFORM}"]
    first_ear = flow.services[flow.nodes[flow.operator].services[0]]
    assert first_ear.dial == PLATFORM and all(first_ear.serves(c) for c in (*flow.professions, FAMILY))
    call.answer("no-answer")
    heard = [e.text for e in call.events if e.kind == "say"]
    assert heard.count(flow.platform.spoken) == 2, "the number of the line dialled is read twice"
    assert any(flow.services["suicide_line"].spoken in text for text in heard), "and the other lines"
    assert call.ended is not None and call.error is None


def test_the_export_is_the_renderers_fallback(tmp_path):
    from ivr import create_app

    assert export(tmp_path).exit_code == 0
    app = create_app({"caller_id": LINE_NUMBER}, dev=True)
    assert (tmp_path / "fallback.xml").read_text(encoding="utf-8") == app.extensions["ivr"].renderer.fallback


def test_every_url_in_the_export_is_absolute(tmp_path):
    from ivr.cli.fallback import relative_urls

    assert export(tmp_path).exit_code == 0
    assert relative_urls((tmp_path / "fallback.xml").read_text(encoding="utf-8")) == []
    assert relative_urls(LOCAL) == ["/audio/x.wav", "/voice/dial?n=a"]


LOCAL = (
    '<Response><Play>/audio/x.wav</Play><Dial action="/voice/dial?n=a"><Number>+33800800854</Number></Dial></Response>'
)


def test_urls_on_the_lines_host_are_written_in_full():
    from ivr.cli.fallback import absolute, relative_urls

    root = ET.fromstring(absolute(LOCAL, "https://line.example.org"))
    assert root.find("Play").text == "https://line.example.org/audio/x.wav"
    assert root.find("Dial").get("action") == "https://line.example.org/voice/dial?n=a"
    assert relative_urls(ET.tostring(root, encoding="unicode")) == []


def test_recordings_on_the_lines_host_are_not_exported(tmp_path, monkeypatch):
    """A recording served by the line itself would fail with it: the export speaks every prompt instead."""
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://line.example.org")
    assert export(tmp_path).exit_code == 0
    root = ET.fromstring((tmp_path / "fallback.xml").read_text(encoding="utf-8"))
    assert root.find("Play") is None and root.find("Dial/Number").text == PLATFORM


def test_the_operators_guide_explains_where_to_point_the_fallback():
    from tests.paths import ROOT

    guide = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    assert "ivr fallback export" in guide and "Primary handler fails" in guide
