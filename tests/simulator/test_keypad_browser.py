"""The keypad page in a real headless browser: call, press keys, read the number in the transcript."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from ivr import create_app
from ivr.config import Settings
from ivr.flow.loader import load_flow
from tests.servers import served

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# The README's picture; rewritten only when asked (IVR_SCREENSHOT=1), so a test run changes no file.
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "keypad.png"
FLOW = load_flow(Settings().data_dir, Settings().prompts_dir)


@pytest.fixture(scope="module")
def server_url():
    with served(create_app(dev=True)) as url:
        yield url


@pytest.fixture(scope="module")
def page(server_url):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 420, "height": 900})
        page = context.new_page()
        page.goto(f"{server_url}/simulator")
        yield page
        context.close()
        browser.close()


def test_call_press_keys_and_hear_the_social_number(page, tmp_path):
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#status")).to_contain_text("waits for 1 key")
    page.get_by_role("button", name="key 1").click()
    expect(page.locator("#transcript")).to_contain_text("Keys1")
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_hidden()
    page.keyboard.press("3")  # the computer's keyboard works as the keypad
    social = FLOW.services["social_service"].spoken
    expect(page.locator("#transcript li.say").filter(has_text=social)).to_have_count(2)
    page.locator("#transcript li").last.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    shot = SCREENSHOT if os.environ.get("IVR_SCREENSHOT") == "1" else tmp_path / "keypad.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#status")).to_have_text("Call ended (caller hung up).")
    expect(page.get_by_role("button", name="key 1")).to_be_disabled()


def test_a_transfer_busy_twice_then_the_other_lines_are_read(page):
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#status")).to_contain_text("waits for 1 key")
    page.get_by_role("button", name="key 0").click()
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_visible()
    page.get_by_role("button", name="Busy").click()
    expect(page.locator("#transcript li.say").filter(has_text=FLOW.prompts["transfer_retry"])).to_have_count(1)
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_visible()
    page.get_by_role("button", name="Busy").click()
    suicide_line = FLOW.services["suicide_line"].spoken
    expect(page.locator("#transcript li.say").filter(has_text=suicide_line)).to_have_count(2)
    expect(page.locator("#transcript li.say").filter(has_text=FLOW.platform.spoken)).to_have_count(1)
    page.get_by_role("button", name="Stay silent").click()
    expect(page.locator("#transcript li.silence")).to_have_count(1)
