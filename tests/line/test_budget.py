"""Time to a human is a budget: a wordy prompt change fails here, naming the prompt."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ivr import create_app
from ivr.flow import moves as call
from ivr.flow.directory import FAMILY
from ivr.flow.model import CLOSED, OPENING_FIELD, SYNTHETIC_SEP, Menu, Readout, Transfer, closed_id
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
NEXT_LINE_BUDGET = BUDGETS["next_line"]
CRISIS_LINE_BUDGET = BUDGETS["crisis_line"]
PROMISE_SECONDS = 10.0  # a person is promised within the first seconds of the call


@pytest.fixture(scope="module")
def line():
    """The line with its longest greeting: free to call (and a caller ID, should it ever be said)."""
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


def _everyone(flow) -> tuple[str, ...]:
    """Every caller the line knows of: each profession of the directory, and families."""
    return (*flow.professions, FAMILY)


def _ring(line) -> float:
    return line.settings.dial_timeout + 5  # Twilio adds 5 s to every <Dial>


def _notices(flow, tried) -> float:
    """The words between two tries of a transfer: "again" for the same line, "another" for another."""
    return sum(
        speech_seconds(flow.prompts["transfer_retry" if now == before else "transfer_next"])
        for before, now in zip(tried, tried[1:], strict=False)
    )


def _before_number(flow, readout) -> float:
    """The words a read-out says before the first word of its number."""
    return sum(speech_seconds(flow.prompts[k]) for k in (*readout.intro, *readout.say))


def test_silent_caller_hears_the_3114_and_reaches_the_listening_team_within_budget(budget, line):
    assert "gratuite" in line.flow.prompts["greeting"], "the longest greeting: free to call"
    route = budget.silent_caller()
    first_ear = line.flow.nodes[line.flow.operator]
    assert route.outcome == first_ear.services[0] == line.flow.platform.id, "silence reaches the operator's line"
    left_out = [c for c in _everyone(line.flow) if not line.flow.services[route.outcome].serves(c)]
    assert not left_out, f"a caller not yet known reaches {route.outcome}, which does not serve {left_out}"
    assert route.seconds <= SILENT_BUDGET, (
        f"a silent caller waits {route.seconds:.1f} s for the listening team (budget {SILENT_BUDGET:.0f} s); "
        f"shorten these prompts of the first menu:\n{_explain(line)}"
    )
    first_menu = " ".join(h.text for h in heard(line.renderer.render(call.start(line.flow))))
    assert _crisis_line(line.flow).spoken in first_menu, "the first menu gives the 3114 before any choice"


def test_zero_at_once_reaches_the_listening_team_within_budget(budget, line):
    route = budget.zero_caller()
    assert route.outcome == line.flow.platform.id == budget.silent_caller().outcome
    assert route.seconds <= ZERO_BUDGET, (
        f"pressing 0 at once still costs {route.seconds:.1f} s (budget {ZERO_BUDGET:.0f} s): "
        f"the greeting cannot be cut:\n{_explain(line)}"
    )


def test_every_caller_reaches_a_line_that_serves_them_within_budget(budget, line):
    lines = {r.name: r for r in budget.callers_lines()}
    chosen = {c for n in line.flow.nodes.values() if isinstance(n, Menu) for o in n.options for c in o.callers}
    assert set(lines) == chosen
    for caller, route in lines.items():
        assert line.flow.services[route.outcome].serves(caller)
        assert all(k.isdigit() for k in route.keys), f"{caller}: keys a caller presses, {route.keys}"
        assert route.seconds <= LINE_BUDGET, f"{caller}: keys {' '.join(route.keys)} take {route.seconds:.1f} s"
    # Whoever no choice names stays on the line, and reaches a line that serves them, within (a).
    stay = budget.silent_caller()
    unnamed = set(_everyone(line.flow)) - chosen
    assert unnamed, "the first menu names only the professions with a line of their own"
    for caller in unnamed:
        assert line.flow.services[stay.outcome].serves(caller), f"{caller}: silence reaches {stay.outcome}"
    assert stay.seconds <= SILENT_BUDGET


def test_a_caller_after_an_assault_reaches_a_person_within_budget(budget, line):
    keys = _keys_to_option(line.flow, ASSAULT_OPTION)
    route = budget.keys_then_silence(keys)
    assault = call.press_in_turn(line.flow, Position(line.flow.entry), keys, 2)
    # Silence there reaches the line of whoever the choices on the way say the caller is.
    their_line = line.flow.nodes[line.flow.operator_of(assault.position.node)]
    assert isinstance(their_line, Transfer) and route.outcome == their_line.services[0]
    callers = _callers_on_the_way(line.flow, keys)
    assert callers and all(line.flow.services[route.outcome].serves(c) for c in callers), (route.outcome, callers)
    assert route.seconds <= ASSAULT_BUDGET, f"keys {' '.join(keys)} then silence: {route.seconds:.1f} s"
    said = [h for h in heard(line.renderer.render(assault))]
    police = next(s for s in line.flow.services.values() if s.number == "17")
    assert police.spoken in said[0].text, "the 17 comes first, before anything else is said"


def _keys_to_option(flow, label: str) -> tuple[str, ...]:
    keys = keys_to_option(flow, label)
    assert keys is not None, f"no menu choice is labelled {label}"
    return keys


def _callers_on_the_way(flow, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Who the menu choices pressed say the caller is (the last choice that says so)."""
    pos, callers = Position(flow.entry), ()
    for key in keys:
        node = flow.nodes[pos.node]
        option = node.option(key) if isinstance(node, Menu) else None
        callers = option.callers if option is not None and option.callers else callers
        pos = call.press(flow, pos, key, 2).position
    return callers


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


def test_nobody_answering_is_called_again_before_the_3114_is_read(budget, line):
    route = budget.unanswered()
    tried = line.flow.nodes[line.flow.operator].services
    assert len(tried) >= 2, "a line for everyone tried again before any number"
    for service in tried:  # a caller not yet known: every try serves every caller
        assert all(line.flow.services[service].serves(c) for c in _everyone(line.flow)), service
    assert route.keys == ("",) + ("no-answer",) * len(tried)
    assert route.outcome == _crisis_line(line.flow).id
    failure = line.flow.nodes[line.flow.nodes[line.flow.operator].on_failure]
    expected = (
        budget.silent_caller().seconds
        + len(tried) * _ring(line)
        + _notices(line.flow, tried)
        + _before_number(line.flow, failure)
    )
    assert route.seconds == pytest.approx(expected)


def test_every_line_reached_first_rings_another_try_and_the_3114_within_budget(budget, line):
    """(h) and (i): from the first ring of each line callers reach first, nobody answering."""
    flow = line.flow
    firsts = {r.name: r for r in budget.first_lines()}
    # The flow's operator, and what a choice of a menu written in the flow, or 0 there, puts through to.
    menus = [n for n in flow.nodes.values() if isinstance(n, Menu) and n.options and SYNTHETIC_SEP not in n.id]
    reached_first = (
        {flow.operator} | {o.target for n in menus for o in n.options} | {flow.operator_of(n.id) for n in menus}
    )
    assert {nid for nid in reached_first if isinstance(flow.nodes[nid], Transfer)} <= set(firsts)
    tried_again = {
        flow.operator_of(n.id)
        for n in flow.nodes.values()
        if isinstance(n, Readout) and n.service == _crisis_line(flow).id
    }
    assert not set(firsts) & tried_again, "a line tried again after a failure is not a line reached first"
    for name, first in firsts.items():
        node = flow.nodes[name]
        assert first.outcome == node.services[0]
        tried = node.services
        # (h) the next try: another line (the first that differs), or the same when it is the only one
        others = [i for i, s in enumerate(tried) if s != tried[0]]
        upto = others[0] if others else min(1, len(tried) - 1)
        nxt = budget.next_line(name)
        if upto:
            assert nxt.outcome == tried[upto] and nxt.keys == ("no-answer",) * upto
            expected = upto * _ring(line) + _notices(flow, tried[: upto + 1])
        else:  # one line, once: the failure read-out
            assert nxt.keys == ("no-answer",)
            expected = _ring(line)
        assert nxt.seconds == pytest.approx(expected), name
        assert nxt.seconds <= NEXT_LINE_BUDGET, f"{name}: the next try rings {nxt.seconds:.1f} s after the first"
        # (i) the 3114: every try rings out, then the failure read-out's words before the number
        crisis = budget.crisis_line(name)
        failure = flow.nodes[node.on_failure]
        assert isinstance(failure, Readout) and crisis.outcome == failure.service == _crisis_line(flow).id
        assert crisis.keys == ("no-answer",) * len(tried)
        expected = len(tried) * _ring(line) + _notices(flow, tried) + _before_number(flow, failure)
        assert crisis.seconds == pytest.approx(expected), name
        assert crisis.seconds <= CRISIS_LINE_BUDGET, f"{name}: the 3114 is heard {crisis.seconds:.1f} s after"


def test_every_failed_transfer_reads_the_3114_first(line):
    """The first failure of a line reads the 3114; a line tried again after it that fails again says
    something new, naming the 3114, and tries again."""
    flow = line.flow
    crisis = _crisis_line(flow)
    assert crisis.id == "suicide_line" and crisis.emergency, "the national suicide-prevention line"
    read_first = {n.id: n for n in flow.nodes.values() if isinstance(n, Readout) and n.service == crisis.id}
    tried_again = {flow.operator_of(nid) for nid in read_first}
    for node in flow.nodes.values():
        if not isinstance(node, Transfer):
            continue
        failure = flow.nodes[node.on_failure]
        if node.id not in tried_again:
            assert failure.id in read_first, f"{node.id}: the 3114 read first, got {failure.id}"
            continue
        assert isinstance(failure, Menu) and not failure.options, f"{node.id}: a short sentence, no choice"
        assert flow.operator_of(failure.id) == node.id, f"{node.id}: staying on the line tries again"
        said = " ".join(h.text for h in heard(line.renderer.render(call.Step(Position(failure.id), arrived=True))))
        assert crisis.spoken in said, f"{failure.id} names the 3114"
        again = [r for r in read_first.values() if flow.operator_of(r.id) == node.id]
        assert all(flow.prompts[k] not in said for r in again for k in r.intro), "never the same sentence twice"


def test_every_menu_says_how_to_reach_a_person_now(line):
    """Every menu written in the flow that offers choices ends with how to reach a person now."""
    flow = line.flow
    menus = [n for n in flow.nodes.values() if isinstance(n, Menu) and n.options and SYNTHETIC_SEP not in n.id]
    assert flow.nodes[flow.entry] in menus
    for menu in menus:
        assert any("restez en ligne" in flow.prompts[k] for k in menu.after), f"{menu.id}: after {menu.after}"
        assert isinstance(flow.nodes[flow.operator_of(menu.id)], Transfer), f"{menu.id}: silence reaches a person"


def test_a_person_is_promised_in_the_first_seconds(line):
    """The greeting, then the first menu's first sentence: a person answers, said within the first 10 s."""
    flow = line.flow
    first = flow.nodes[flow.entry]
    assert isinstance(first, Menu) and first.say and first.say[0] == "promise", first.say
    said, elapsed = [], 0.0
    for sentence in heard(line.renderer.render(call.start(flow))):
        elapsed += sentence.seconds
        if elapsed > PROMISE_SECONDS:
            break
        said.append(sentence.text)
    assert flow.prompts["promise"] in said, f"said within {PROMISE_SECONDS:g} s: {said}\n{_explain(line)}"
    assert said[: len(first.intro)] == [flow.prompts[k] for k in first.intro], "the greeting comes first"


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
    sps, platform, adop, the_3114 = (line.flow.services[s].number for s in ("sps", "platform", "adop", "suicide_line"))
    rows = [
        ("(a) presses nothing", "_", sps, b.silent_caller()),
        ("(b) presses 0 at once", "0", sps, b.zero_caller()),
        ("(c) doctors_line", "1 1", platform, numbers["doctors_line"]),
        ("(c) pharmacist_line", "2", adop, numbers["pharmacist_line"]),
        ("(c) care_line", "3", sps, numbers["care_line"]),
        (f"(d) silent at {longest.name}", "_", sps, longest),
        ("(e) nobody answers", "_ no-answer no-answer", the_3114, b.unanswered()),
        ("(f) line of medecin", "1 1", platform, lines["medecin"]),
        ("(f) line of infirmier", "3", sps, lines["infirmier"]),
        ("(f) line of pharmacien", "2", adop, lines["pharmacien"]),
        ("(f) line of famille", "3", sps, lines["famille"]),
    ]
    # (h) and (i), for each line callers reach first: the next try's keys and number, then the 3114's.
    after_first = {
        "listening_team": ("no-answer", sps, "no-answer no-answer"),  # SPS, then SPS again
        "doctors_line": ("no-answer no-answer", sps, "no-answer no-answer no-answer"),  # platform twice
        "pharmacist_line": ("no-answer", sps, "no-answer no-answer"),  # ADOP, then SPS
        "care_line": ("no-answer", sps, "no-answer no-answer"),
    }
    firsts = [r.name for r in b.first_lines()]
    assert sorted(firsts) == sorted(after_first)
    for name in firsts:
        nxt, number, crisis = after_first[name]
        rows += [
            (f"(h) {name}, next try", nxt, number, b.next_line(name)),
            (f"(i) {name}, the 3114", crisis, the_3114, b.crisis_line(name)),
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
def test_the_budgets_hold_at_night_and_on_holidays_and_a_closed_office_is_read_only_for_later(line, now):
    from datetime import datetime

    instant = datetime.fromisoformat(now)
    at_hour = Budget(line.flow, line.renderer, line.audio, instant)
    assert at_hour.silent_caller().seconds <= SILENT_BUDGET
    assert at_hour.zero_caller().seconds <= ZERO_BUDGET
    assert all(r.seconds <= LINE_BUDGET for r in at_hour.callers_lines())
    assert all(at_hour.next_line(r.name).seconds <= NEXT_LINE_BUDGET for r in at_hour.first_lines())
    assert all(at_hour.crisis_line(r.name).seconds <= CRISIS_LINE_BUDGET for r in at_hour.first_lines())
    for route in at_hour.numbers():
        node = line.flow.nodes[route.name]
        if isinstance(node, Readout):
            opening = line.flow.services[node.service].opening
            if opening is not None and not opening.is_open(instant):
                # Closed: its own read-out, which says when it opens before the number ("pour plus tard").
                assert route.name == closed_id(route.name.removesuffix(f"{SYNTHETIC_SEP}{CLOSED}")), route.name
                assert node.intro == (node.closed_intro,) and OPENING_FIELD in line.flow.prompts[node.closed_intro]
    assault = at_hour.keys_then_silence(_keys_to_option(line.flow, ASSAULT_OPTION))
    assert assault.seconds <= ASSAULT_BUDGET, f"keys {' '.join(assault.keys)} then silence: {assault.seconds:.1f} s"
