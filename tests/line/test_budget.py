"""Time to a human is a budget: a wordy prompt change fails here, naming the prompt."""

from __future__ import annotations

import pytest

from ivr import create_app
from ivr.flow import moves as call
from ivr.flow.timing import speech_seconds
from ivr.line.budget import Budget, heard
from tests.paths import LINE_NUMBER, ROOT

SILENT_BUDGET = 30.0  # (a) a caller who presses nothing
ZERO_BUDGET = 12.0  # (b) a caller who presses 0 as soon as keys are taken, greeting included
SILENT_AFTER_ANY_PROMPT = 50.0  # (d) a caller silent after the longest prompt of the flow


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


def test_silent_caller_reaches_the_listening_team_within_budget(budget, line):
    assert "anonyme" in line.flow.prompts["greeting"] and "gratuite" in line.flow.prompts["greeting"]
    route = budget.silent_caller()
    assert route.outcome == line.flow.platform.id
    assert route.seconds <= SILENT_BUDGET, (
        f"a silent caller waits {route.seconds:.1f} s for the listening team (budget {SILENT_BUDGET:.0f} s); "
        f"shorten these prompts of the first menu:\n{_explain(line)}"
    )


def test_zero_at_once_reaches_the_listening_team_within_budget(budget, line):
    route = budget.zero_caller()
    assert route.outcome == line.flow.platform.id
    assert route.seconds <= ZERO_BUDGET, (
        f"pressing 0 at once still costs {route.seconds:.1f} s (budget {ZERO_BUDGET:.0f} s): "
        f"the greeting cannot be cut:\n{_explain(line)}"
    )


def test_every_number_has_a_figure(budget, line):
    routes = {r.keys: r for r in budget.numbers()}
    assert routes[("1", "3")].name == "social_help"
    assert routes[("1", "3")].outcome == "09 80 80 03 07"
    assert routes[("1", "5")].outcome == "06 08 28 25 89"
    assert routes[("1", "2", "14")].outcome == "02 31 86 38 28"
    assert routes[("1", "4", "1", "14")].outcome == "02 31 86 38 28", "the assault route, then the council"
    assert routes[("1", "2", "20", "1")].outcome == line.flow.platform.number, "Corse-du-Sud: put through"
    assert all(0 < r.seconds < 120 for r in routes.values())


def test_silence_after_any_prompt_reaches_the_listening_team_within_budget(budget, line):
    route = budget.longest_silence()
    assert route.outcome == line.flow.platform.id
    assert route.seconds <= SILENT_AFTER_ANY_PROMPT, (route.name, route.seconds)
    failure = next(n for n in line.flow.nodes if n == "other_lines")
    assert route.name == failure, "the longest prompt is the one that reads the other lines"


def test_a_platform_that_never_answers_counts_twilios_five_seconds_per_try(budget, line):
    route = budget.unanswered()
    tries = len(line.flow.nodes[line.flow.operator].services)
    assert route.keys == ("",) + ("no-answer",) * tries
    assert route.outcome == "suicide_line"
    retry = speech_seconds(line.flow.prompts["transfer_retry"])
    failure_intro = speech_seconds(line.flow.prompts["transfer_failed"])
    expected = budget.silent_caller().seconds + tries * (line.settings.dial_timeout + 5) + retry + failure_intro
    assert route.seconds == pytest.approx(expected)


def test_budget_counts_each_sentence_and_the_silence(budget, line):
    """The silent caller's figure is the first menu, the wait, and the words before the ring."""
    document = line.renderer.render(call.start(line.flow))
    menu = sum(h.seconds for h in heard(document))
    before_ring = sum(speech_seconds(line.flow.prompts[k]) for k in line.flow.nodes[line.flow.operator].intro)
    expected = menu + line.settings.gather_timeout + before_ring
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


def test_budget_command_prints_the_figures():
    from click.testing import CliRunner

    from ivr.cli import main

    result = CliRunner().invoke(main, ["budget"])
    assert result.exit_code == 0, result.output
    assert "(a) presses nothing" in result.output and "-> 0800 288 038" in result.output
    assert "(d) silent at other_lines" in result.output
    assert "(e) nobody answers" in result.output and "_ no-answer no-answer  -> 31 14" in result.output
    social = next(line for line in result.output.splitlines() if "social_help" in line)
    assert "keys 1 3" in social and "09 80 80 03 07" in social


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


def _readme_table() -> list[tuple[str, str, float]]:
    """The README's time-to-human table: (route, keys, seconds)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Time to a human") :]
    section = section[: section.index("\n## ")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[3].replace(".", "").isdigit():
            rows.append((cells[0], cells[1], float(cells[3])))
    return rows


def test_the_readme_table_says_what_ivr_budget_measures(budget):
    rows = _readme_table()
    assert len(rows) >= 10
    by_keys = {" ".join(r.keys): r.seconds for r in budget.numbers()}
    for route, keys, seconds in rows:
        if route.startswith("(a)"):
            measured = budget.silent_caller().seconds
        elif route.startswith("(b)"):
            measured = budget.zero_caller().seconds
        elif route.startswith("(d)"):
            measured = budget.longest_silence().seconds
        elif route.startswith("(e)"):
            measured = budget.unanswered().seconds
        else:
            measured = by_keys[keys]
        assert round(measured, 1) == seconds, f"README says {seconds} s for {route!r}; ivr budget: {measured:.1f} s"
