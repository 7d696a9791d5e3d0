"""Time to a human is a budget: a wordy prompt change fails here, naming the prompt."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ivr import create_app
from ivr.flow import moves as call
from ivr.flow.model import Menu, Readout, Transfer
from ivr.flow.position import Position
from ivr.flow.timing import speech_seconds
from ivr.line.budget import ASSAULT_OPTION, BUDGETS, Budget, heard, keys_to_option
from tests.conftest import DataCopy
from tests.paths import FIXTURES, LINE_NUMBER

# The budgets are rules on the shipped flow (a staff edit that breaks one fails here); the figures
# themselves are never pinned: docs/lines.md shows them (tests/review/test_tables.py).
SILENT_BUDGET = BUDGETS["silent"]
ZERO_BUDGET = BUDGETS["zero"]
SILENT_AFTER_ANY_PROMPT = BUDGETS["silent_after_any_prompt"]
LINE_BUDGET = BUDGETS["line"]
ASSAULT_BUDGET = BUDGETS["assault"]


@pytest.fixture(scope="module")
def line():
    """The line with its longest greeting: anonymous (a caller ID) and free to call."""
    return create_app({"caller_id": LINE_NUMBER, "free_number": True}, dev=True).extensions["ivr"]


@pytest.fixture(scope="module")
def budget(line):
    return Budget(line.flow, line.renderer, line.audio)


def _explain(line) -> str:
    by_text = {text: key for key, text in line.flow.prompts.items()}
    document = line.renderer.render(call.start(line.flow))
    return "\n".join(f"  {h.seconds:5.1f} s  {by_text.get(h.text, 'menu choice')}: {h.text}" for h in heard(document))


def _crisis_line(flow):
    """The number read first when nobody answered: the national suicide-prevention line."""
    return flow.services[flow.nodes[flow.nodes[flow.operator].on_failure].service]


def test_silent_caller_hears_the_3114_and_reaches_the_listening_team_within_budget(budget, line):
    assert "anonyme" in line.flow.prompts["greeting"] and "gratuite" in line.flow.prompts["greeting"]
    route = budget.silent_caller()
    assert route.outcome == line.flow.platform.id
    assert route.seconds <= SILENT_BUDGET, (
        f"a silent caller waits {route.seconds:.1f} s for the listening team (budget {SILENT_BUDGET:.0f} s); "
        f"shorten these prompts of the first menu:\n{_explain(line)}"
    )
    first_menu = " ".join(h.text for h in heard(line.renderer.render(call.start(line.flow))))
    assert _crisis_line(line.flow).spoken in first_menu, "the first menu gives the 3114 before any choice"


def test_zero_at_once_reaches_the_listening_team_within_budget(budget, line):
    route = budget.zero_caller()
    assert route.outcome == line.flow.platform.id
    assert route.seconds <= ZERO_BUDGET, (
        f"pressing 0 at once still costs {route.seconds:.1f} s (budget {ZERO_BUDGET:.0f} s): "
        f"the greeting cannot be cut:\n{_explain(line)}"
    )


def test_every_caller_reaches_a_line_that_serves_them_within_budget(budget, line):
    lines = {r.name: r for r in budget.callers_lines()}
    chosen = {c for n in line.flow.nodes.values() if isinstance(n, Menu) for o in n.options for c in o.callers}
    assert set(lines) == chosen and set(line.flow.professions) <= chosen
    for caller, route in lines.items():
        assert line.flow.services[route.outcome].serves(caller)
        assert all(k.isdigit() for k in route.keys), f"{caller}: keys a caller presses, {route.keys}"
        assert route.seconds <= LINE_BUDGET, f"{caller}: keys {' '.join(route.keys)} take {route.seconds:.1f} s"


def test_a_caller_after_an_assault_reaches_a_person_within_budget(budget, line):
    keys = _keys_to_option(line.flow, ASSAULT_OPTION)
    route = budget.keys_then_silence(keys)
    assert route.outcome == line.flow.platform.id
    assert route.seconds <= ASSAULT_BUDGET, f"keys {' '.join(keys)} then silence: {route.seconds:.1f} s"
    assault = call.press_in_turn(line.flow, Position(line.flow.entry), keys, 2)
    said = [h for h in heard(line.renderer.render(assault))]
    police = next(s for s in line.flow.services.values() if s.number == "17")
    assert police.spoken in said[0].text, "the 17 comes first, before anything else is said"


def _keys_to_option(flow, label: str) -> tuple[str, ...]:
    keys = keys_to_option(flow, label)
    assert keys is not None, f"no menu choice is labelled {label}"
    return keys


def test_keys_to_an_option_are_the_fewest_choices_that_lead_to_it(tmp_path):
    small = DataCopy(tmp_path, source=FIXTURES / "callers").load()
    assert keys_to_option(small, "opt_talk") == ("1", "1")
    assert keys_to_option(small, "opt_other") == ("3",)
    assert keys_to_option(small, ASSAULT_OPTION) is None


def test_every_number_has_a_figure(budget, line):
    routes = budget.numbers()
    read = {n.id for n in line.flow.nodes.values() if isinstance(n, Readout) and n.id in {r.name for r in routes}}
    for route in routes:
        node = line.flow.nodes[route.name]
        service = node.service if isinstance(node, Readout) else node.services[0]
        assert route.outcome == line.flow.services[service].number
        assert call.press_in_turn(line.flow, Position(line.flow.entry), route.keys, 2).position.node == route.name
    chosen = {
        o.target for n in line.flow.nodes.values() if isinstance(n, Menu) for o in n.options
    }  # every read-out a menu choice leads to
    assert {nid for nid in chosen if isinstance(line.flow.nodes[nid], Readout)} <= read
    assert all(0 < r.seconds < 120 for r in routes)


def test_silence_after_any_prompt_reaches_the_listening_team_within_budget(budget, line):
    route = budget.longest_silence()
    assert route.seconds <= SILENT_AFTER_ANY_PROMPT, (route.name, route.seconds)
    assert isinstance(line.flow.nodes[route.name], Readout), "the longest prompts are read-outs"


def test_nobody_answering_calls_a_second_line_before_the_3114_is_read(budget, line):
    route = budget.unanswered()
    tried = line.flow.nodes[line.flow.operator].services
    assert len(set(tried)) >= 2, "the doctors' platform, then another line, before any number"
    assert route.keys == ("",) + ("no-answer",) * len(tried)
    assert route.outcome == _crisis_line(line.flow).id
    notices = sum(
        speech_seconds(line.flow.prompts["transfer_retry" if now == before else "transfer_next"])
        for before, now in zip(tried, tried[1:], strict=False)
    )
    failure_intro = speech_seconds(line.flow.prompts["transfer_failed"])
    ring = line.settings.dial_timeout + 5  # Twilio adds 5 s to every <Dial>
    expected = budget.silent_caller().seconds + len(tried) * ring + notices + failure_intro
    assert route.seconds == pytest.approx(expected)


def test_every_failed_transfer_reads_the_3114_first(line):
    crisis = _crisis_line(line.flow)
    assert crisis.id == "suicide_line" and crisis.emergency, "the national suicide-prevention line"
    for node in line.flow.nodes.values():
        if isinstance(node, Transfer):
            assert line.flow.nodes[node.on_failure].service == crisis.id, node.id


def test_budget_counts_each_sentence_and_the_silence(budget, line):
    """The silent caller's figure is the first menu, the wait, and the words before the ring."""
    document = line.renderer.render(call.start(line.flow))
    menu = sum(h.seconds for h in heard(document))
    before_ring = sum(speech_seconds(line.flow.prompts[k]) for k in line.flow.nodes[line.flow.operator].intro)
    wait = int(ET.fromstring(document).find("Gather").get("timeout"))  # the first menu's silence
    expected = menu + wait + before_ring
    assert budget.silent_caller().seconds == pytest.approx(expected)


def test_a_wordy_greeting_breaks_the_budget(data_copy):
    data_copy.edit(
        "prompts",
        lambda d: d["prompts"].update(
            greeting=d["prompts"]["greeting"] + " Des psychologues vous écoutent, jour et nuit, en toute"
            " confidentialité, quelle que soit votre difficulté."
        ),
    )
    app = create_app({"data_dir": data_copy.data, "prompts_dir": data_copy.prompts}, dev=True)
    line = app.extensions["ivr"]
    assert Budget(line.flow, line.renderer).zero_caller().seconds > ZERO_BUDGET


def test_budget_command_prints_the_figures(tmp_path):
    """`ivr budget` on the small flow of the tests: every route it measures, with its figure."""
    from click.testing import CliRunner

    from ivr.cli import main

    small = DataCopy(tmp_path, source=FIXTURES / "callers")
    env = {"IVR_DATA_DIR": str(small.data), "IVR_PROMPTS_DIR": str(small.prompts)}
    result = CliRunner().invoke(main, ["budget"], env=env)
    assert result.exit_code == 0, result.output
    line = create_app({"data_dir": small.data, "prompts_dir": small.prompts}, dev=True).extensions["ivr"]
    b = Budget(line.flow, line.renderer)
    numbers = {r.name: r for r in b.numbers()}
    longest = b.longest_silence()
    lines = {r.name: r for r in b.callers_lines()}
    rows = [
        ("(a) presses nothing", "_", "0800 288 038", b.silent_caller()),
        ("(b) presses 0 at once", "0", "0800 288 038", b.zero_caller()),
        ("(c) listening_team", "1 1", "0800 288 038", numbers["listening_team"]),
        ("(c) pharmacist_line", "2", "0800 73 69 59", numbers["pharmacist_line"]),
        ("(c) care_line", "3", "0805 23 23 36", numbers["care_line"]),
        (f"(d) silent at {longest.name}", "_", "0805 23 23 36", longest),
        ("(e) nobody answers", "_ no-answer no-answer no-answer", "31 14", b.unanswered()),
        ("(f) line of medecin", "1 1", "0800 288 038", lines["medecin"]),
        ("(f) line of infirmier", "3", "0805 23 23 36", lines["infirmier"]),
        ("(f) line of pharmacien", "2", "0800 73 69 59", lines["pharmacien"]),
        ("(f) line of famille", "3", "0805 23 23 36", lines["famille"]),
    ]
    assert result.output.splitlines()[1:] == [
        f"  {label:<32} keys {keys:<22} -> {number:<16} {route.seconds:5.1f} s" for label, keys, number, route in rows
    ]


def test_recorded_prompts_count_for_their_real_length(line):
    """A played greeting counts for the seconds of its file, not for its text."""
    from types import SimpleNamespace

    from ivr.line.twiml import Renderer

    url = "https://cdn.example.org/greeting-0123abcd.wav"
    renderer = Renderer(line.flow, line.settings, audio={"greeting": url})
    audio = SimpleNamespace(urls={"greeting": url}, seconds={"greeting": 9.5}, numbers={}, number_seconds={})
    played = Budget(line.flow, renderer, audio).zero_caller().seconds
    said = Budget(line.flow, line.renderer).zero_caller().seconds
    greeting = speech_seconds(line.flow.prompts["greeting"])
    assert played == pytest.approx(said - greeting + 9.5)


def test_a_menu_may_wait_less_or_more_than_the_deployment_and_the_budget_counts_it(tmp_path):
    """A menu's own `timeout` is its <Gather>'s, and what a silent caller waits there."""

    def silent_and_gathers(seconds):
        copy = DataCopy(tmp_path / str(seconds), source=FIXTURES / "callers")
        if seconds is not None:
            copy.edit("flow", lambda d: d["nodes"]["welcome"].update(timeout=seconds))
        line = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True).extensions["ivr"]
        gathers = [
            ET.fromstring(line.renderer.render(call.Step(Position(nid)))).find("Gather").get("timeout")
            for nid in ("welcome", "doctor_needs")
        ]
        return Budget(line.flow, line.renderer).silent_caller().seconds, gathers, line.settings.gather_timeout

    default, gathers, deployment = silent_and_gathers(None)
    assert gathers == [str(deployment), str(deployment)]
    for seconds in (1, 7):
        silent, gathers = silent_and_gathers(seconds)[:2]
        assert gathers == [str(seconds), str(deployment)], "only the menu that says so"
        assert silent == pytest.approx(default - deployment + seconds)


@pytest.mark.parametrize("now", ["2026-12-06T03:00+01:00", "2026-12-25T10:00+01:00", "2026-12-01T10:00+01:00"])
def test_the_budgets_hold_at_night_and_on_holidays_and_no_closed_office_is_read(line, now):
    from datetime import datetime

    instant = datetime.fromisoformat(now)
    at_hour = Budget(line.flow, line.renderer, line.audio, instant)
    assert at_hour.silent_caller().seconds <= SILENT_BUDGET
    assert at_hour.zero_caller().seconds <= ZERO_BUDGET
    assert all(r.seconds <= LINE_BUDGET for r in at_hour.callers_lines())
    assert at_hour.keys_then_silence(_keys_to_option(line.flow, ASSAULT_OPTION)).seconds <= ASSAULT_BUDGET
    for route in at_hour.numbers():
        node = line.flow.nodes[route.name]
        if isinstance(node, Readout):
            opening = line.flow.services[node.service].opening
            assert opening is None or opening.is_open(instant), f"{route.name} read while closed at {now}"
