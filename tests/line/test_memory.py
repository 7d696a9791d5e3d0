"""Junk sent by strangers never stays in the line's memory."""

from __future__ import annotations

import secrets
from pathlib import Path

from ivr import create_app

FORM = {"CallSid": "CA" + "1" * 32}


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_twenty_thousand_junk_positions_leave_memory_flat():
    """Real positions padded with junk, and junk keys: each request differs, none is kept."""
    client = create_app(dev=True).test_client()
    for _ in range(200):  # warm up: every real answer cached, the allocator settled
        client.post("/voice/key?n=welcome", data={**FORM, "Digits": "1"})
        client.post("/voice/dial?n=listening_team&t=welcome", data={**FORM, "DialCallStatus": "busy"})
    before = _rss_mib()
    for i in range(20_000):
        junk = secrets.token_hex(1000)  # 2 kB, different every time
        if i % 2:
            response = client.post(f"/voice/key?n=welcome&pad={junk}", data={**FORM, "Digits": f"1{junk}"})
        else:
            response = client.post(
                f"/voice/dial?n=listening_team&t=welcome&pad={junk}", data={**FORM, "DialCallStatus": f"busy{junk}"}
            )
        assert response.status_code == 200
    grown = _rss_mib() - before
    assert grown < 20, f"memory grew by {grown:.1f} MiB"


def test_only_the_lines_own_spelling_of_a_real_position_is_remembered():
    """A callback's position is parsed once when it is written as the line writes it; anything else
    (padding, parameters reordered, a position no caller can be at) is parsed each time, never kept."""
    app = create_app(dev=True)
    client, answers = app.test_client(), app.extensions["ivr"].answers
    client.post("/voice/key?n=doctor_needs&t=welcome", data={**FORM, "Digits": "3"})
    assert set(answers._positions) == {"n=doctor_needs&t=welcome"}
    for query in ("n=doctor_needs&t=welcome&pad=x", "t=welcome&n=doctor_needs", "n=nowhere", "n=welcome&r=7"):
        assert client.post(f"/voice/key?{query}", data={**FORM, "Digits": "3"}).status_code == 200
    assert set(answers._positions) == {"n=doctor_needs&t=welcome"}
    assert answers.position("n=doctor_needs&t=welcome") is answers.position("n=doctor_needs&t=welcome")
