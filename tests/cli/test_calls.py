"""`ivr call` and `ivr routes` drive the app as Twilio would, and fail on a dead end."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask, request

from ivr import create_app
from ivr.cli import main
from ivr.config import Settings
from ivr.flow.loader import load_flow
from ivr.flow.model import CLOSED, Readout, Transfer
from ivr.flow.timing import speech_seconds
from ivr.line.twiml import WHISPER_SECONDS
from ivr.simulator.explorer import explore
from ivr.simulator.player import Call
from ivr.simulator.report import Departments, NumberBook, department, report
from ivr.simulator.transport import flask_transport, remembering
from tests.paths import FIXTURES
from tests.routes import key_paths
from tests.servers import served

FLOW = load_flow(Settings().data_dir, Settings().prompts_dir)
PATHS = key_paths(FLOW)
SOCIAL = FLOW.services["social_service"]
SOCIAL_KEYS = PATHS["social_help"]  # médecin -> aide sociale
# The transfers a caller reaches from the first menu: 0 (the listening team), and each choice that puts through.
FIRST_TRANSFERS = [FLOW.operator] + [
    o.target for o in FLOW.nodes[FLOW.entry].options if isinstance(FLOW.nodes[o.target], Transfer)
]


def _label(menu_id: str, target: str) -> str:
    """What the menu says of the choice that leads to a node, as the whisper names it."""
    return FLOW.prompts[next(o.say for o in FLOW.nodes[menu_id].options if o.target == target)]


@pytest.fixture
def runner():
    return CliRunner()


def test_call_with_keys_reads_the_social_number_and_ends_normally(runner):
    result = runner.invoke(main, ["call", "--keys", " ".join(SOCIAL_KEYS)])
    assert result.exit_code == 0, result.output
    assert SOCIAL.spoken == "zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro sept"
    assert result.output.count(SOCIAL.spoken) == 2
    assert "caller hung up" in result.output
    assert re.search(rf"Time listening: \d+ s before hearing {SOCIAL.number} ", result.output)
    assert "\x1b[" not in result.output  # no colours when not a terminal


@pytest.mark.parametrize("transfer", FIRST_TRANSFERS)
def test_call_answers_each_try_as_busy_then_hears_the_number_of_the_callers_line(runner, transfer):
    services = FLOW.nodes[transfer].services
    keys = "0" if transfer == FLOW.operator else PATHS[transfer][0]
    result = runner.invoke(main, ["call", "--keys", " ".join([keys, *["busy"] * len(services)])])
    assert result.exit_code == 0, result.output
    for service in set(services):
        dialled = result.output.count(f"Dial  Number {FLOW.services[service].dial}")
        assert dialled == services.count(service), f"{service}: tried as often as the transfer lists it"
    assert result.output.count("Transfer  busy") == len(services)
    unanswered = result.output[result.output.rindex("Transfer  busy") :]
    assert FLOW.services[services[0]].spoken in unanswered, "the number of the caller's own line"
    assert unanswered.count(FLOW.services["suicide_line"].spoken) == 2, "the 3114, read twice"


def test_call_put_through_ends_with_the_hangup_after_the_transfer(runner):
    result = runner.invoke(main, ["call", "--keys", "0 completed"])
    assert result.exit_code == 0, result.output
    assert "End  hangup" in result.output
    assert re.search(rf"\d+ s before being put through to {FLOW.platform.number} ", result.output)


def test_call_interactive_reads_keys_from_the_terminal(runner):
    result = runner.invoke(main, ["call"], input="".join(f"{key}\n" for key in SOCIAL_KEYS) + "h\n")
    assert result.exit_code == 0, result.output
    assert SOCIAL.spoken in result.output and "caller hung up" in result.output


def test_call_plays_the_whisper_to_whoever_answers_only_when_the_line_whispers(runner, monkeypatch):
    keys = " ".join([*PATHS["cdo_lookup"], "14", "_", "completed"])  # médecin, aide financière, Calvados, silence
    result = runner.invoke(main, ["call", "--keys", keys])
    assert result.exit_code == 0, result.output
    assert "They hear" not in result.output and FLOW.prompts["whisper"] not in result.output
    monkeypatch.setenv("IVR_WHISPER", "1")
    result = runner.invoke(main, ["call", "--keys", keys])
    assert result.exit_code == 0, result.output
    heard = [line for line in result.output.splitlines() if "They hear" in line]
    # The route, as much of it as fits in the whisper's seconds: the first choices are left out first.
    route = [_label(FLOW.entry, "doctor_needs"), _label("doctor_needs", "cdo_lookup"), FLOW.places["cdo_lookup-14"]]
    fits = next(
        text
        for i in range(len(route))
        if speech_seconds(text := f"{FLOW.prompts['whisper']} : {' ; '.join(route[i:])}.") <= WHISPER_SECONDS
    )
    assert len(heard) == 1 and heard[0].endswith(f"They hear  {fits}"), (heard, fits)
    assert fits.endswith(f" {FLOW.places['cdo_lookup-14']}."), "the département, said last, is kept"


def test_call_signs_requests_when_the_line_has_a_token(runner, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret-for-tests")
    result = runner.invoke(main, ["call", "--keys", " ".join(SOCIAL_KEYS)])
    assert result.exit_code == 0, result.output
    assert SOCIAL.spoken in result.output


def listening_app(forms: list[dict[str, str]], answers: dict[str, str] | None = None) -> Flask:
    """Build a hand-written line whose menu listens to keys and speech and says what it heard (words in
    `answers` get their TwiML instead); a caller silent at the menu hears the platform's number."""
    app = Flask("listening")
    menu = (
        '<Gather action="/voice/menu" numDigits="1" timeout="3" finishOnKey="" input="dtmf speech" '
        f'speechTimeout="2" hints="aide financière, quatorze"><Say>Menu.</Say></Gather>'
        f"<Say>{FLOW.platform.spoken}</Say>"
    )

    @app.post("/voice", endpoint="voice")
    @app.post("/voice/menu")
    def answer():
        forms.append(request.form.to_dict())
        heard = request.form.get("SpeechResult") or request.form.get("Digits")
        said = f"<Say>Vous avez dit : {heard}.</Say>" if heard else ""
        twiml = (answers or {}).get(heard, said + menu)
        return f"<Response>{twiml}</Response>", 200, {"Content-Type": "text/xml"}

    return app


def test_call_says_the_words_in_double_quotes_with_the_confidence_given(runner):
    forms: list[dict[str, str]] = []
    with served(listening_app(forms)) as url:
        result = runner.invoke(
            main, ["call", "--url", url, "--confidence", "0.5", "--keys", '1 "aide financière"  "quatorze"']
        )
    assert result.exit_code == 0, result.output
    assert [(f.get("Digits"), f.get("SpeechResult"), f.get("Confidence")) for f in forms] == [
        (None, None, None),
        ("1", None, None),
        (None, "aide financière", "0.5"),
        (None, "quatorze", "0.5"),
    ]
    said = [line.split(maxsplit=2)[2] for line in result.output.splitlines() if "You say" in line]
    assert said == ["You say  aide financière", "You say  quatorze"]
    assert "Vous avez dit : aide financière." in result.output and "caller hung up" in result.output


def test_call_interactive_says_words_typed_in_double_quotes(runner):
    forms: list[dict[str, str]] = []
    with served(listening_app(forms)) as url:
        result = runner.invoke(main, ["call", "--url", url], input='"aide financière"\nh\n')
    assert result.exit_code == 0, result.output
    assert 'Keys or "words"?' in result.output
    assert (forms[-1]["SpeechResult"], forms[-1]["Confidence"]) == ("aide financière", "0.9")
    assert "Vous avez dit : aide financière." in result.output


def test_call_words_reach_a_council_by_the_line_itself(runner):
    result = runner.invoke(main, ["call", "--keys", '"je suis médecin" "aide financière" "quatorze"'])
    assert result.exit_code == 0, result.output
    said = [line.split(maxsplit=2)[2] for line in result.output.splitlines() if "You say" in line]
    assert said == ["You say  je suis médecin", "You say  aide financière", "You say  quatorze"]
    calvados = FLOW.nodes["cdo_lookup-14"]  # the council of département 14, read out
    assert FLOW.prompts[calvados.intro[0]] in result.output
    assert FLOW.services[calvados.service].spoken in result.output


def test_call_words_at_a_menu_that_does_not_listen_are_heard_as_silence(runner, monkeypatch):
    monkeypatch.setenv("IVR_SPEECH", "0")
    result = runner.invoke(main, ["call", "--keys", '"parler à quelqu\'un"'])
    assert result.exit_code == 0, result.output
    acts = [
        line.split(maxsplit=2)[2] for line in result.output.splitlines() if re.search(r"You (say|wait|press) ", line)
    ]
    first_menu = FLOW.nodes[FLOW.entry]
    silence = getattr(first_menu, "timeout", None) or Settings().gather_timeout  # the menu's own, or the line's
    assert acts[:2] == ["You say  parler à quelqu'un", f"You wait  {silence} s"]


def _explore(app: Flask):
    transport = remembering(flask_transport(app))
    return explore(lambda: Call(transport, "http://localhost/voice"))


def test_routes_visit_every_node_of_the_flow():
    found = _explore(create_app(dev=True))
    nodes = {parse_qs(urlsplit(r.split(" ", 1)[1]).query).get("n", [None])[0] for r in found.requested}
    closed = {n for n in FLOW.nodes if n.endswith(f"-{CLOSED}")}  # reached only outside office hours
    assert nodes - {None} == set(FLOW.nodes) - closed
    assert found.problems == []


def test_routes_table_lists_every_number_said_or_dialled(runner, tmp_path):
    out = tmp_path / "routes.csv"
    result = runner.invoke(main, ["routes", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    outcomes = {(r["node"], r["outcome"]) for r in rows}
    assert ("social_help", f"reads {SOCIAL.number}") in outcomes
    assert ("cdo_lookup-14", f"reads {FLOW.services['cdo_14'].number}") in outcomes
    assert ("long_term_care", f"reads {FLOW.services['mots'].number}") in outcomes
    assert ("other_lines", f"reads {FLOW.services['suicide_line'].number}") in outcomes
    assert ("listening_team", f"transfer to {FLOW.platform.number}") in outcomes
    assert ("cdo_lookup-2A", f"transfer to {FLOW.platform.number}") in outcomes
    silent = [r for r in rows if set(r["keys"].split()) == {"_"}]
    assert [r["outcome"] for r in silent] == [f"transfer to {FLOW.platform.number}"]
    assert all(int(r["seconds"]) > 0 for r in rows)


def test_routes_writes_markdown_to_a_file(runner, tmp_path):
    out = tmp_path / "routes.md"
    result = runner.invoke(main, ["routes", "--format", "markdown", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("| keys | node | outcome | seconds |")
    assert f"| social_help | reads {SOCIAL.number} |" in text


def broken_app(answers: dict[str, str]) -> Flask:
    """Build a line that answers each path with a fixed TwiML body."""
    app = Flask("broken")

    @app.post("/voice", endpoint="voice")
    @app.post("/voice/<path:rest>")
    def answer(rest: str = ""):
        return answers.get(rest, answers[""]), 200, {"Content-Type": "text/xml"}

    return app


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"": "<Response><Say>Hello.</Say></Response>"}, "without a transfer or a number"),
        (
            {"": '<Response><Gather action="/voice/menu"/></Response>', "menu": "<Response><Hangup/></Response>"},
            "without a transfer or a number",
        ),
        ({"": '<Response><Gather action="/voice"/><Redirect>/voice</Redirect></Response>'}, "a loop without end"),
        (
            {"": '<Response><Gather action="/voice/x"/></Response>', "x": "<Response><Say>oops</Response>"},
            "invalid XML",
        ),
    ],
)
def test_routes_report_dead_ends_loops_and_errors(answers, problem):
    rows, problems = report(_explore(broken_app(answers)), NumberBook(FLOW.services))
    assert problems and all(problem in p for p in problems[:1]), problems


def test_routes_say_each_hint_where_the_menu_listens(runner, monkeypatch, tmp_path):
    app = listening_app([], {"quatorze": f"<Dial>{FLOW.platform.dial}</Dial><Say>{FLOW.platform.spoken}</Say>"})
    monkeypatch.setattr(
        "ivr.cli.calls._line",
        lambda *args, **kwargs: ("http://localhost/voice", flask_transport(app), NumberBook(FLOW.services), None),
    )
    out = tmp_path / "routes.csv"
    result = runner.invoke(main, ["routes", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["keys"]: r["outcome"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    assert rows == {'"quatorze"': f"transfer to {FLOW.platform.number}"}, "written as ivr call --keys takes it"


def test_routes_command_exits_non_zero_on_a_dead_end(runner, monkeypatch):
    app = broken_app({"": "<Response><Say>Hello.</Say></Response>"})
    monkeypatch.setattr(
        "ivr.cli.calls._line",
        lambda *args, **kwargs: ("http://localhost/voice", flask_transport(app), NumberBook(FLOW.services), None),
    )
    result = runner.invoke(main, ["routes"])
    assert result.exit_code == 1
    assert "(none): the call ends (end of document) without a transfer or a number" in result.output


def test_routes_prints_the_time_to_a_human(runner):
    result = runner.invoke(main, ["routes"])
    assert result.exit_code == 0, result.output
    assert "Time to a human" in result.output
    silent = next(line for line in result.output.splitlines() if "(a) presses nothing" in line)
    assert f"-> {FLOW.platform.number}" in silent
    # The councils without a number of their own, put through to the look-up's own line: one line for all.
    through = FLOW.services[FLOW.nodes[FLOW.operator_of("cdo_lookup")].services[0]]
    put_through = [
        department(nid)[0]
        for nid in FLOW.places
        if isinstance(FLOW.nodes[nid], Transfer) and FLOW.nodes[nid].services[0] == through.id
    ]
    assert len(put_through) > 90
    lines = result.stdout.splitlines()
    grouped = [line for line in lines if line.startswith("1 2 <dépt>  ")]
    assert len(grouped) == 1
    number = through.number.split()
    assert grouped[0].split()[3 : 6 + len(number)] == ["cdo_lookup-<dépt>", "transfer", "to", *number]
    assert grouped[0].endswith(f"  {Departments((), tuple(put_through), 2).summary()}")
    read = [line.split()[:3] for line in lines if line.startswith("1 2 ") and " reads " in line]
    assert read == [["1", "2", nid.rsplit("-", 1)[1]] for nid in FLOW.places if isinstance(FLOW.nodes[nid], Readout)]


def test_routes_progress_is_on_stderr_only_on_a_terminal(runner, monkeypatch):
    fixture = FIXTURES / "callers"
    folders = ["--data", str(fixture / "data"), "--prompts", str(fixture / "prompts")]
    quiet = runner.invoke(main, ["routes", *folders])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    monkeypatch.setattr("ivr.cli.progress.on_terminal", lambda: True)
    shown = runner.invoke(main, ["routes", *folders])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == quiet.stdout  # the report, exactly
    assert shown.stderr == "Exploring every route\n"  # a bar draws itself on a real terminal only: its label here


def test_number_book_recognises_a_number_played_from_recorded_words():
    from ivr.simulator.player import Event

    url = "/audio/number-social_service-0123456789ab.wav"
    book = NumberBook(FLOW.services, played={"social_service": url})
    event = Event("play", f"http://localhost{url}", 3.0, 4.2, "http://localhost/voice/key")
    assert book.read(event) == SOCIAL.number
    assert book.read(Event("play", "http://localhost/audio/greeting-0123456789ab.wav", 0, 1, "")) is None


@pytest.mark.parametrize(
    ("keys", "named", "why"),
    [
        ("x", "'x'", "not something a phone does"),
        ("1 aide", "'aide'", "not something a phone does"),
        ("1 &", "'&'", "not something a phone does"),
        ('1 "aide', "'\"aide'", "double quote left open"),
        ('1 aide" 2', "'aide\"'", "double quote left open"),
    ],
)
def test_call_refuses_keys_a_phone_cannot_send_before_calling(runner, monkeypatch, keys, named, why):
    def no_call(*args, **kwargs):
        raise AssertionError("no call is made")

    monkeypatch.setattr("ivr.cli.calls._line", no_call)
    result = runner.invoke(main, ["call", "--keys", keys])
    assert result.exit_code == 2, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and named in error[0] and why in error[0], result.output


def test_call_accepts_every_kind_of_token_a_phone_can_send(runner):
    result = runner.invoke(main, ["call", "--keys", '_ 1 "aide sociale" # * 0 busy completed'])
    assert result.exit_code == 0, result.output
