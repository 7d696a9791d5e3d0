"""The staff page in a real headless browser: log in, every chart drawn from a simulated week."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from ivr.cli.demo import play_day
from ivr.stats.report import PARIS
from tests.servers import served
from tests.simulator.test_keypad_browser import ARGS, CHROMIUM

from .helpers import counting_app

# The picture of docs/operators.md; rewritten only when asked (IVR_SCREENSHOT=1), so a test run changes no file.
SCREENSHOT = Path(__file__).resolve().parent.parent.parent / "docs" / "stats.png"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    db = tmp_path_factory.mktemp("stats") / "stats.sqlite3"
    app = counting_app(f"sqlite:///{db}", stats_password="pw")
    today = datetime.now(PARIS).date()
    for i in range(7, 0, -1):
        play_day(app, today - timedelta(days=i), 60, seed=i)
    with served(app) as url:
        yield url


def test_staff_log_in_and_every_chart_has_data(server_url, tmp_path):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = browser.new_context()
        assert refused.request.get(f"{server_url}/stats").status == 401
        refused.close()
        context = browser.new_context(
            viewport={"width": 420, "height": 900}, http_credentials={"username": "equipe", "password": "pw"}
        )
        page = context.new_page()
        assert page.goto(f"{server_url}/stats").status == 200
        expect(page.get_by_role("heading", name="Statistiques de la ligne")).to_be_visible()
        figures = page.locator("figure")
        expect(figures).to_have_count(7)
        for i in range(7):
            figure = figures.nth(i)
            assert figure.locator(".no_data").count() == 0, i
            assert figure.locator(".reactive").count() > 0, i
            assert figure.bounding_box()["width"] <= 420, "the chart fits a phone's screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= 420
        expect(page.locator("#h-appels-par-heure")).to_have_text("Heure de la journée")
        shot = SCREENSHOT if os.environ.get("IVR_SCREENSHOT") == "1" else tmp_path / "stats.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        context.close()
        browser.close()
