"""The keypad page in a real headless browser: call, press keys, read the number in the transcript, follow
the caller on the picture of the flow."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from ivr import create_app
from ivr.config import Settings
from ivr.flow.loader import load_flow
from ivr.flow.model import Readout
from ivr.flow.names import build
from ivr.review.graph import drawn
from tests.conftest import DataCopy
from tests.paths import FIXTURES, ROOT
from tests.routes import key_paths
from tests.servers import served

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The picture of docs/simulator.md; rewritten only when asked (IVR_SCREENSHOT=1), so a test run changes no file.
SCREENSHOT = ROOT / "docs" / "keypad.png"
FLOW = load_flow(Settings().data_dir, Settings().prompts_dir)
DOCTOR, SOCIAL = key_paths(FLOW)["social_help"]  # médecin, then aide sociale
NAMES = build(FLOW)


@pytest.fixture(scope="module")
def server_url():
    with served(create_app(dev=True)) as url:
        yield url


@pytest.fixture(scope="module")
def page(server_url):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        page = context.new_page()
        page.goto(f"{server_url}/simulator")
        yield page
        context.close()
        browser.close()


def test_call_press_keys_and_hear_the_social_number(page, tmp_path):
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#status")).to_contain_text("waits for 1 key")
    page.get_by_role("button", name=f"key {DOCTOR}").click()
    expect(page.locator("#transcript")).to_contain_text(f"Keys{DOCTOR}")
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_hidden()
    page.keyboard.press(SOCIAL)  # the computer's keyboard works as the keypad
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


def test_a_transfer_busy_at_every_try_then_the_other_lines_are_read(page):
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#status")).to_contain_text("waits for 1 key")
    suicide_line = FLOW.services["suicide_line"].spoken
    said_before = page.locator("#transcript li.say").filter(has_text=suicide_line).count()  # the first menu's 3114
    page.get_by_role("button", name="key 0").click()
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_visible()
    expect(page.locator("#flow-picture g.node.here")).to_have_id(f"node-{FLOW.operator}")  # ringing
    services = FLOW.nodes[FLOW.operator].services
    notices = {"transfer_retry": 0, "transfer_next": 0}
    for previous, service in zip(services, services[1:], strict=False):  # each further try, announced, then ringing
        page.get_by_role("button", name="Busy").click()
        notices["transfer_retry" if service == previous else "transfer_next"] += 1
        for notice, count in notices.items():
            expect(page.locator("#transcript li.say").filter(has_text=FLOW.prompts[notice])).to_have_count(count)
        expect(page.get_by_role("group", name="The line is putting you through")).to_be_visible()
    page.get_by_role("button", name="Busy").click()
    expect(page.locator("#transcript li.say").filter(has_text=suicide_line)).to_have_count(said_before + 2)
    expect(page.locator("#transcript li.say").filter(has_text=FLOW.platform.spoken)).to_have_count(1)
    failure = FLOW.nodes[FLOW.operator].on_failure
    expect(page.locator("#flow-picture g.node.here")).to_have_id(f"node-{failure}")
    page.get_by_role("button", name="Stay silent").click()
    expect(page.locator("#transcript li.silence")).to_have_count(1)


def highlighted(page):
    """Return the SVG ids of the highlighted nodes of the picture."""
    return page.locator("#flow-picture g.node.here").evaluate_all("nodes => nodes.map(n => n.id)")


def test_the_picture_follows_the_caller_to_the_social_number(page):
    page.reload()  # a new page: no call in progress
    expect(page.locator("#flow-picture svg g.node")).to_have_count(len(drawn(FLOW)) + 1)  # and the call's start
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#flow-picture g.node.here")).to_have_id("node-welcome")
    expect(page.locator("#where")).to_have_text(f"At {NAMES.node('welcome').words} welcome.")
    page.get_by_role("button", name=f"key {DOCTOR}").click()
    expect(page.locator("#flow-picture g.node.here")).to_have_id("node-doctor_needs")
    page.get_by_role("button", name=f"key {SOCIAL}").click()
    expect(page.locator("#flow-picture g.node.here")).to_have_id("node-social_help")
    assert highlighted(page) == ["node-social_help"]
    colour = page.locator("#node-social_help > path").first.evaluate("p => getComputedStyle(p).fill")
    assert colour == "rgb(255, 216, 77)"  # the highlight, not the read-out's green
    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#where")).to_have_text("Not in a call.")
    assert highlighted(page) == []


def test_words_typed_are_said_and_keep_the_keyboard_off_the_keypad(page):
    page.reload()
    field = page.get_by_label("What the caller says")
    expect(field).to_be_disabled()  # not in a call
    page.get_by_role("button", name="Call").click()
    expect(field).to_be_enabled()
    expect(page.locator("#say-hint")).to_contain_text("This menu listens to speech, expecting: psychologue")
    field.press_sequentially("1 médecin")  # the 1 is typed as a word here, not pressed
    expect(page.locator("#entry")).to_have_text("")
    field.press("Enter")
    speech = page.locator("#transcript li.speech")
    expect(speech).to_have_count(1)
    expect(speech.locator(".verb")).to_have_text("Speech")
    expect(speech).to_contain_text("1 médecin")
    expect(page.locator("#transcript")).to_contain_text("De quoi avez-vous besoin ? Vous pouvez le dire.")
    expect(page.locator("#transcript li.silence")).to_have_count(0)
    expect(page.locator("#transcript li.keys")).to_have_count(0)
    expect(field).to_have_value("")
    page.get_by_role("button", name="Hang up").click()
    expect(field).to_be_disabled()


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The line on a copy of the data whose first council with a number keeps office hours."""
    copy = DataCopy(tmp_path_factory.mktemp("office"))
    council = next(n for n in copy.load().nodes.values() if isinstance(n, Readout) and n.closed_intro)
    hours = {"mon-fri": ["09:00-12:00", "13:30-16:00"]}
    copy.edit("directory", lambda d: d["services"][council.service].update(open=hours))
    app = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True)
    flow = app.extensions["ivr"].flow
    with served(app) as url:
        yield url, key_paths(flow)[council.id], flow.services[council.service].spoken


def test_the_clock_field_calls_at_night_and_an_office_is_said_closed(page, office):
    url, keys, number = office
    page.goto(f"{url}/simulator")
    page.locator("#clock").fill("2026-11-29T03:00")  # a Sunday, 03:00
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#status")).to_contain_text("waits for 1 key")
    for key in keys:
        for digit in key:
            page.get_by_role("button", name=f"key {digit}").click()
        expect(page.locator("#transcript")).to_contain_text(f"Keys{key}")
    closed = page.locator("#transcript li.say").filter(has_text="est fermé ; il ouvre demain à neuf heures")
    expect(closed).to_have_count(1)
    # Its number, for later, read twice; nobody is dialled the caller did not choose.
    expect(page.locator("#transcript li.say").filter(has_text=number)).to_have_count(2)
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_hidden()
    page.get_by_role("button", name="Stay silent").click()  # staying on the line: a person now
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_visible()
    page.get_by_role("button", name="Hang up").click()


@pytest.fixture(scope="module")
def councils_url():
    """The line on the tests' small flow with a département look-up."""
    data = FIXTURES / "councils"
    with served(create_app({"data_dir": data / "data", "prompts_dir": data / "prompts"}, dev=True)) as url:
        yield url


def view(page) -> list[float]:
    """Return the viewBox of the flow's picture: x, y, width, height."""
    return [float(n) for n in page.locator("#flow-picture svg").get_attribute("viewBox").split()]


def test_the_caller_is_named_in_words_and_the_picture_follows_zooms_and_moves(page, councils_url):
    page.goto(f"{councils_url}/simulator")
    expect(page.locator("#flow-picture svg g.node.here")).to_have_count(0)
    expect(page.locator("#node-council_lookup text").first).to_have_text("Votre conseil")  # the words, in the picture
    whole = view(page)
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#where")).to_have_text("At En danger, le quinze. welcome.")
    expect(page.locator("#where small.id")).to_have_text("welcome")
    page.get_by_role("button", name="key 1").click()
    expect(page.locator("#where")).to_have_text("At Médecin doctor_needs.")
    page.get_by_role("button", name="key 2").click()
    expect(page.locator("#where strong")).to_have_text("Votre conseil")
    expect(page.locator("#flow-picture g.node.here")).to_have_id("node-council_lookup")
    # Following the caller: the look-up, the menu before it and the councils after it, not the whole flow.
    near = view(page)
    assert near[2] < whole[2] and near != whole
    inside = page.evaluate(
        """ids => ids.map((id) => {
            const svg = document.querySelector('#flow-picture svg'), g = document.getElementById(id);
            const m = svg.getScreenCTM().inverse().multiply(g.getScreenCTM()), b = g.getBBox();
            const a = new DOMPoint(b.x, b.y).matrixTransform(m);
            const c = new DOMPoint(b.x + b.width, b.y + b.height).matrixTransform(m);
            const v = svg.viewBox.baseVal;
            return a.x >= v.x && c.x <= v.x + v.width && a.y >= v.y && c.y <= v.y + v.height;
        })""",
        ["node-council_lookup", "node-doctor_needs", "node-council_lookup-14", "node-council_lookup-20"],
    )
    assert inside == [True, True, True, True]
    # The buttons zoom around the middle of what is shown, by 0.7.
    page.get_by_role("button", name="Zoom in").click()
    zoomed = view(page)
    assert [round(n, 1) for n in zoomed[2:]] == [round(near[2] * 0.7, 1), round(near[3] * 0.7, 1)]
    # The wheel zooms around the pointer; a drag moves the picture without zooming.
    picture = page.locator("#flow-picture svg").bounding_box()
    page.mouse.move(picture["x"] + picture["width"] / 2, picture["y"] + picture["height"] / 2)
    page.mouse.wheel(0, 300)
    wheeled = view(page)
    assert wheeled[2] > zoomed[2] * 2.5, "zoomed out by e"
    page.mouse.down()
    page.mouse.move(picture["x"] + picture["width"] / 2 + 100, picture["y"] + picture["height"] / 2 + 50)
    page.mouse.up()
    dragged = view(page)
    assert dragged[2:] == wheeled[2:] and dragged[0] < wheeled[0] and dragged[1] < wheeled[1]
    page.get_by_role("button", name="Whole flow").click()
    assert view(page) == whole
    page.keyboard.press("0")  # the first two digits of a council without a number: named, then put through
    page.keyboard.press("7")
    expect(page.locator("#where")).to_have_text("At 07 Ardèche council_lookup-07.")
    expect(page.get_by_role("group", name="The line is putting you through")).to_be_visible()
    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#where")).to_have_text("Not in a call.")
