"""`ivr serve` follows the edits of data/ and prompts/: a good edit is heard on the next call without a
restart; a broken one keeps the last good flow answering, its problems on the console and on the keypad
page until a good edit clears them. Production (ivr.wsgi) never watches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect, sync_playwright

from ivr import create_app
from ivr.cli import main
from ivr.cli.serve import Watcher, changed
from ivr.errors import FlowError
from ivr.simulator.keypad import FILES
from tests.conftest import DataCopy
from tests.paths import FIXTURES, ROOT
from tests.servers import post
from tests.simulator.test_keypad_browser import ARGS, CHROMIUM

TIMEOUT = 30  # seconds for the line to follow an edit: a debounce of 1.6 s, then a load of a small flow
NEW_LABEL = "Médecin ou interne"


def until(check: Callable[[], object], what: str, console: Path | None = None):
    """Ask `check` again until it gives something true; fail after TIMEOUT, with the server's console."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            found = check()
        except OSError:  # the server is not listening yet
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}; console:\n{console.read_text() if console else ''}"
        time.sleep(0.2)


def problems_of(copy: DataCopy) -> list[str]:
    """The problem lines `ivr check` prints for the copy (what the line must show)."""
    with pytest.raises(FlowError) as broken:
        copy.load()
    return [str(problem) for problem in broken.value.problems]


def fresh_answer(copy: DataCopy) -> str:
    """The answer to a new call of a line started on the files as they are now."""
    app = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True)
    return app.test_client().post("/voice").get_data(as_text=True)


def relabel(copy: DataCopy, label: str) -> None:
    copy.edit("prompts", lambda doc: doc["prompts"].update(opt_doctor=label))


def unknown_target(copy: DataCopy) -> None:
    copy.edit("flow", lambda doc: doc["nodes"]["doctor_needs"]["options"][0].update(target="nowhere"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def copy(tmp_path):
    return DataCopy(tmp_path / "line", FIXTURES / "callers")


@pytest.fixture
def served_line(tmp_path, copy):
    """`ivr serve` in a process of its own on a free port, on the copy; yield its URL and console."""
    port, console = _free_port(), tmp_path / "console.txt"
    env = {**os.environ, "IVR_DATA_DIR": str(copy.data), "IVR_PROMPTS_DIR": str(copy.prompts), "PYTHONPATH": str(ROOT)}
    env.pop("TWILIO_AUTH_TOKEN", None)
    with console.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        until(lambda: proc.poll() is None and _get(f"{base}/healthz"), "the line did not start", console)
        yield base, console
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def _voice(base: str) -> str:
    return post(f"{base}/voice", {}, {}).text


def _files(base: str) -> dict:
    return json.loads(_get(f"{base}/simulator/files"))


def _keypad_says(base: str) -> list[str]:
    request = urllib.request.Request(
        f"{base}/simulator/step",
        data=json.dumps({"action": "start"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return [event["text"] for event in json.loads(response.read())["events"] if event["kind"] == "say"]


def test_serve_follows_good_and_broken_edits_of_the_files(served_line, copy):
    base, console = served_line
    first = fresh_answer(copy)
    assert _voice(base) == first and NEW_LABEL not in first
    said_before = _keypad_says(base)

    relabel(copy, NEW_LABEL)
    relabelled = fresh_answer(copy)
    assert f"{NEW_LABEL} : tapez un." in relabelled
    until(lambda: _voice(base) == relabelled, "the new label is not served", console)
    loaded = _files(base)["loaded"]
    assert loaded >= 1 and _files(base)["problems"] == []
    call = CliRunner().invoke(main, ["call", "--url", base, "--keys", "_"])
    assert call.exit_code == 0, call.output
    assert f"{NEW_LABEL} : tapez un." in call.output
    assert _keypad_says(base) == [f"{NEW_LABEL} : tapez un." if "tapez un" in s else s for s in said_before]

    # A YAML syntax error: the last good flow answers; the problem on the console and the keypad page.
    prompts = copy.path("prompts")
    good = prompts.read_text(encoding="utf-8")
    prompts.write_text(good + "oops: [\n", encoding="utf-8")
    broken = problems_of(copy)
    until(lambda: _files(base)["problems"] == broken, "the problem is not on the keypad page", console)
    assert _files(base) == {"loaded": loaded, "problems": broken}
    assert _voice(base) == relabelled
    until(lambda: all(f"  - {problem}\n" in console.read_text() for problem in broken), "not on the console")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(f"{base}/simulator")
        banner = page.get_by_role("alert", name="Problems in the files")
        expect(banner).to_be_visible()
        expect(banner.locator("li")).to_have_text(broken)

        # Mended, but a choice leads to a node that does not exist: still the last good flow.
        prompts.write_text(good, encoding="utf-8")
        unknown_target(copy)
        unknown = problems_of(copy)
        assert unknown != broken and "unknown node 'nowhere'" in unknown[0]
        expect(banner.locator("li")).to_have_text(unknown, timeout=TIMEOUT * 1000)
        assert _voice(base) == relabelled

        # A good edit clears the problems and is heard.
        copy.edit("flow", lambda doc: doc["nodes"]["doctor_needs"]["options"][0].update(target="listening_team"))
        relabel(copy, "Médecin, interne")
        mended = fresh_answer(copy)
        assert "Médecin, interne : tapez un." in mended
        until(lambda: _voice(base) == mended, "the good edit is not served", console)
        assert _files(base)["problems"] == [] and _files(base)["loaded"] > loaded
        expect(banner).to_be_hidden()
        browser.close()
    text = console.read_text()
    assert text.count("the line still answers with the last good flow") >= 2
    assert "prompts/fr.yaml changed: the call flow is valid, the line answers with it" in text


def test_a_reload_answers_from_the_new_flow_not_from_the_old_answers(copy):
    """The answers each line caches are its own: an answer cached before the edit is not served after."""
    app = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True)
    client = app.test_client()
    said: list[str] = []
    watcher = Watcher(app, echo=lambda text, **_: said.append(text))
    before = client.post("/voice/key?n=welcome", data={"Digits": "1"}).get_data(as_text=True)
    copy.edit("prompts", lambda doc: doc["prompts"].update(opt_talk="Parler à quelqu'un"))
    assert watcher.reload([str(copy.path("prompts"))]) is True
    after = client.post("/voice/key?n=welcome", data={"Digits": "1"}).get_data(as_text=True)
    assert after == before.replace("Parler", "Parler à quelqu'un") != before
    assert app.extensions[FILES] == (1, ())
    flow = copy.load()
    assert said == [
        "prompts/fr.yaml changed: the call flow is valid, the line answers with it "
        f"({flow.written} nodes written, {len(flow.services)} services)."
    ]


def test_a_broken_edit_keeps_the_line_and_says_why(copy):
    app = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True)
    line = app.extensions["ivr"]
    said: list[tuple[str, bool]] = []
    watcher = Watcher(app, echo=lambda text, err=False: said.append((text, err)))
    unknown_target(copy)
    assert watcher.reload([str(copy.path("flow")), str(copy.data / "new.yaml")]) is False
    assert app.extensions["ivr"] is line
    problems = problems_of(copy)
    assert app.extensions[FILES] == (0, tuple(problems))
    assert app.test_client().get("/simulator/files").get_json() == {"loaded": 0, "problems": problems}
    assert said == [
        (
            "data/flow.yaml, data/new.yaml changed: the call flow is NOT valid: 1 problem(s); the line still "
            f"answers with the last good flow.\n  - {problems[0]}",
            True,
        )
    ]


def test_the_keypad_page_says_no_problem_when_nothing_watches():
    """Served with IVR_SIMULATOR=1 (no watcher), the page has nothing to show."""
    app = create_app(dev=True)
    assert app.test_client().get("/simulator/files").get_json() == {"loaded": 0, "problems": []}


def test_the_changed_files_leave_out_those_made_and_removed_at_once():
    from watchfiles import Change

    batch = {(Change.added, "/d/flow.yaml~"), (Change.deleted, "/d/flow.yaml~"), (Change.modified, "/d/flow.yaml")}
    assert changed(batch) == ["/d/flow.yaml"]
    assert changed({(Change.deleted, "/d/old.yaml")}) == ["/d/old.yaml"]


def test_production_never_watches_the_files():
    """The Procfile's entry builds the app without the watcher's library even imported."""
    code = (
        "import sys\nfrom ivr.wsgi import create_app\ncreate_app()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'watchfiles' or m == 'ivr.cli.serve'))"
    )
    env = {**os.environ, "IVR_ALLOW_UNSIGNED": "1", "IVR_PASS_CALLER_NUMBER": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    assert out.stdout.strip() == "[]"


def test_watching_that_fails_is_said_and_the_line_goes_on(copy, monkeypatch):
    app = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True)
    line = app.extensions["ivr"]
    said: list[tuple[str, bool]] = []
    watcher = Watcher(app, echo=lambda text, err=False: said.append((text, err)))

    def gone(*folders, **options):
        raise FileNotFoundError(f"{folders[0]} was removed")
        yield set()

    monkeypatch.setattr("ivr.cli.serve.watchfiles.watch", gone)
    watcher.watch()
    assert said == [
        (f"No longer following the edits of data/ and prompts/ (FileNotFoundError: {copy.data} was removed)", True)
    ]
    assert app.extensions["ivr"] is line
