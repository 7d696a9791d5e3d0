"""Who calls, and what each caller reaches: a route never dials, reads or names a service that does not
serve the profession its caller chose; whoever has not said who they are reaches the first ear, a line
for every caller. Played on a small flow of the tests' own (tests/fixtures/callers)."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from ivr.cli import main
from ivr.errors import FlowError
from ivr.flow import moves as call
from ivr.flow.callers import reach_by_caller, walk
from ivr.flow.directory import FAMILY
from ivr.flow.position import Position
from tests.conftest import DataCopy
from tests.paths import FIXTURES

SMALL = FIXTURES / "callers"
# The small flow's own directory (never the shipped one's): the number its doctors' platform has.
PLATFORM = yaml.safe_load((SMALL / "data" / "directory.yaml").read_text(encoding="utf-8"))["services"]["platform"][
    "number"
]


@pytest.fixture
def small(tmp_path) -> DataCopy:
    return DataCopy(tmp_path, source=SMALL)


def _problems(copy: DataCopy) -> list[str]:
    with pytest.raises(FlowError) as info:
        copy.load()
    return [str(p) for p in info.value.problems]


def test_each_caller_reaches_exactly_the_lines_that_serve_them(small):
    flow = small.load()
    reach = reach_by_caller(walk(flow.entry, flow.operator, flow.nodes, flow.mentions))
    assert {caller: list(services) for caller, services in reach.items()} == {
        None: ["sps", "suicide_line"],
        "medecin": ["platform", "sps", "suicide_line"],
        "pharmacien": ["adop", "sps", "suicide_line"],
        "infirmier": ["sps", "suicide_line"],
        "famille": ["sps", "suicide_line"],
    }
    assert reach["pharmacien"]["adop"].keys == "2"
    assert reach["infirmier"]["suicide_line"].keys == "3 (nobody answers)"
    assert reach[None]["sps"].node == flow.operator, "whoever has not said who they are: the first ear"
    assert reach["medecin"]["platform"].node == "doctors_line"


def test_a_nurse_put_through_to_the_doctors_platform_is_refused_naming_route_profession_and_service(small):
    """The other professions' choice sent to the doctors' line: the doctors' platform first."""
    small.edit("flow", lambda d: d["nodes"]["welcome"]["options"][2].update(target="doctors_line"))
    small.edit("flow", lambda d: d["nodes"].pop("care_line"))
    small.edit("flow", lambda d: d["nodes"].pop("care_other_lines"))
    assert _problems(small) == [
        "data/flow.yaml:40 [nodes.doctors_line]: route '3': callers who said they are famille (a relative of a "
        "health professional), infirmier (infirmier) reach doctors_line, which puts them through to platform "
        f"({PLATFORM}), a service for medecin only (data/directory.yaml); give them a line that serves them, "
        "or change the choice's callers",
        "data/flow.yaml:58 [nodes.doctors_other_lines]: route '3 (nobody answers)': callers who said they are "
        "famille (a relative of a health professional), infirmier (infirmier) reach doctors_other_lines, which "
        f"names, in a sentence, platform ({PLATFORM}), a service for medecin only (data/directory.yaml); give "
        "them a line that serves them, or change the choice's callers",
    ]


def test_a_failure_read_out_without_its_own_operator_sends_zero_to_the_first_ear(small):
    """The flow's operator serves every caller: a read-out without its own operator is no harm."""
    small.edit("flow", lambda d: d["nodes"]["care_other_lines"].pop("operator"))
    flow = small.load()
    assert call.press(flow, Position("care_other_lines"), "0", 2).position.node == flow.operator
    reached = walk(flow.entry, flow.operator, flow.nodes, flow.mentions)
    assert any(
        r.keys == "3 (nobody answers) 0" and r.node == flow.operator and "infirmier" in r.callers for r in reached
    ), "0 after the nurses' line failed: the first ear"


def test_a_failure_read_out_whose_operator_is_the_doctors_line_sends_zero_to_the_doctors_platform(small):
    small.edit("flow", lambda d: d["nodes"]["care_other_lines"].update(operator="doctors_line"))
    problems = _problems(small)
    assert [p.split(": callers")[0] for p in problems] == [
        "data/flow.yaml:40 [nodes.doctors_line]: route '3 (nobody answers) 0'",
        "data/flow.yaml:64 [nodes.doctors_other_lines]: route '3 (nobody answers) 0 (nobody answers)'",
    ]
    assert all("who said they are famille (a relative of a health professional), infirmier (" in p for p in problems)


def test_a_service_read_as_the_answer_must_serve_the_caller(small):
    small.edit("flow", lambda d: d["nodes"]["pharmacist_other_lines"].update(service="platform"))
    assert _problems(small) == [
        "data/flow.yaml:70 [nodes.pharmacist_other_lines]: route '2 (nobody answers)': callers who said they are "
        f"pharmacien (pharmacien) reach pharmacist_other_lines, which reads them platform ({PLATFORM}), a "
        "service for medecin only (data/directory.yaml); give them a line that serves them, or change the "
        "choice's callers"
    ]


def test_families_are_served_only_by_a_service_that_takes_them(small):
    small.edit("directory", lambda d: d["services"]["sps"].pop("families"))
    problems = _problems(small)
    chosen, first_ear = problems[:2], problems[2:]
    assert [p.split(": callers")[0] for p in chosen] == [
        "data/flow.yaml:31 [nodes.care_line]: route '3'",
        "data/flow.yaml:48 [nodes.care_other_lines]: route '3 (nobody answers)'",
    ]
    assert all("who said they are famille (a relative of a health professional) reach" in p for p in chosen)
    assert [p.split(": a caller")[0] for p in first_ear] == [
        "data/flow.yaml:19 [nodes.listening_team]: route '0'",
        "data/flow.yaml:35 [nodes.other_lines]: route '0 (nobody answers)'",
    ]
    assert all("who has not said who they are" in p and "does not serve famille (" in p for p in first_ear)


def test_before_the_caller_says_who_they_are_no_choice_s_callers_are_checked(small):
    """Silence and 0 at the first menu reach the flow's operator, whoever calls: only the first ear's rule
    (a line for every caller) holds there, never the professions of a choice."""
    small.edit("directory", lambda d: d["services"]["platform"].update(professions=["pharmacien"]))
    small.edit("flow", lambda d: d["nodes"]["welcome"]["options"][0].update(callers=["pharmacien", "medecin"]))
    problems = _problems(small)
    assert all("route '1" in p for p in problems), "only the doctors' choice is refused, not silence or 0"


def test_a_profession_no_choice_names_is_reported(small):
    """A profession no choice names stays on the line: no problem while the first ear serves it."""
    small.edit("directory", lambda d: d["professions"].update(sage_femme="sage-femme"))
    small.edit("directory", lambda d: d["services"]["sps"]["professions"].append("sage_femme"))
    flow = small.load()
    first_ear = flow.services[flow.nodes[flow.operator].services[0]]
    assert "sage_femme" in flow.professions and first_ear.serves("sage_femme")
    for key in ("0", ""):
        assert call.press(flow, Position(flow.entry), key, 2).position.node == flow.operator


def test_a_profession_no_choice_names_and_the_first_ear_does_not_serve_is_reported(small):
    small.edit("directory", lambda d: d["professions"].update(sage_femme="sage-femme"))
    problems = _problems(small)
    assert problems[-1] == (
        "data/flow.yaml:5 [nodes]: no menu choice has profession 'sage_femme' (sage-femme) among its callers, and "
        "the line a caller reaches by staying on the line (sps) does not serve them: say which choice these "
        "callers press"
    )
    assert [p.split(": a caller")[0] for p in problems[:-1]] == [
        "data/flow.yaml:19 [nodes.listening_team]: route '0'",
        "data/flow.yaml:35 [nodes.other_lines]: route '0 (nobody answers)'",
    ]
    assert all("a line that does not serve sage_femme (" in p for p in problems[:-1])


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "flow",
            lambda d: d["nodes"]["welcome"]["options"][2].update(callers=["infirmiere"]),
            "data/flow.yaml:22 [nodes.welcome.options[2].callers]: unknown profession 'infirmiere': did you mean "
            "'infirmier'? known: famille, infirmier, medecin, pharmacien (data/directory.yaml, professions)",
        ),
        (
            "directory",
            lambda d: d["services"]["adop"].update(professions=["pharmacie"]),
            "data/directory.yaml:28 [services.adop.professions]: unknown profession 'pharmacie': did you mean "
            "'pharmacien'? known: infirmier, medecin, pharmacien",
        ),
        (
            "directory",
            lambda d: d["services"]["adop"].pop("professions"),
            "data/directory.yaml:25 [services.adop.professions]: say who the service serves, from its source: a list "
            "of professions (see `professions` at the top), or `all` for an emergency number",
        ),
        (
            "directory",
            lambda d: d["services"]["adop"].update(families="oui"),
            "data/directory.yaml:33 [services.adop.families]: expected true or false, got 'oui'",
        ),
        (
            "directory",
            lambda d: d["professions"].update(famille="la famille"),
            "data/directory.yaml:5 [professions.famille]: a profession id is lower-case letters, digits and _ "
            "('all' and 'famille' are the line's own)",
        ),
        (
            "flow",
            lambda d: d["nodes"]["care_other_lines"].update(operator="welcome"),
            "data/flow.yaml:79 [nodes.care_other_lines.operator]: must name a transfer node (who 0 and silence reach "
            "from here), got 'welcome'",
        ),
        (
            "directory",
            lambda d: d["services"]["adop"].update(open={"mon-fri": ["09:00-17:00"]}),
            "data/flow.yaml:29 [nodes.pharmacist_line.services[0]]: service 'adop' keeps office hours (`open:`): "
            "a transfer dials only lines open 24/7",
        ),
        (
            "flow",
            lambda d: d["nodes"]["care_line"].update(services=["sps"]),
            "data/flow.yaml:55 [nodes.care_line.services]: a second try before any number: after the first service, "
            "list another 24/7 line that serves these callers (or the same one again), so that nobody answering "
            "means another person is called before a number is read",
        ),
    ],
)
def test_who_calls_is_written_right_or_refused_with_file_and_key(small, file, change, expected):
    small.edit(file, change)
    problems = _problems(small)
    assert any(p.startswith(expected) for p in problems), problems


def test_zero_and_silence_reach_the_node_s_own_operator(small):
    flow = small.load()
    for key in ("0", ""):
        assert call.press(flow, Position("care_other_lines"), key, 2).position.node == "care_line"
        assert call.press(flow, Position("pharmacist_other_lines"), key, 2).position.node == "pharmacist_line"
        assert call.press(flow, Position("welcome"), key, 2).position.node == "listening_team"
    wrong = call.press(flow, Position("care_other_lines", tries=1), "7", 2)
    assert wrong.position.node == "care_line", "two wrong keys put the caller through to their own line"


def test_ivr_check_says_what_each_caller_reaches(small):
    result = CliRunner().invoke(main, ["check", "--data", str(small.data), "--prompts", str(small.prompts)])
    assert result.exit_code == 0, result.output
    report = result.output.split("Who reaches which line (dialled or read), from the choice that says who calls:\n")[1]
    assert report.split("\n\n")[0].splitlines() == [
        "  before any choice (silence, 0):",
        "      sps, suicide_line",
        "  medecin (médecin):",
        "      platform, sps, suicide_line",
        "  infirmier (infirmier):",
        "      sps, suicide_line",
        "  pharmacien (pharmacien):",
        "      adop, sps, suicide_line",
        "  famille (a relative of a health professional):",
        "      sps, suicide_line",
    ]


def test_the_shipped_flow_gives_every_profession_a_line_that_serves_it(flow):
    """Validated, not pinned: whatever staff write, every profession (and the family) either is chosen, or
    stays on the line for the first ear; either way it reaches, as its first answer, a listening line that
    serves it, and nothing that does not."""
    reach = reach_by_caller(walk(flow.entry, flow.operator, flow.nodes, flow.mentions))
    first_ear = flow.services[flow.nodes[flow.operator].services[0]]
    assert first_ear.dial and reach[None]
    for pid in (*flow.professions, FAMILY):
        served = reach.get(pid, reach[None])  # no choice names them: they stay on the line
        if pid not in reach:
            assert first_ear.serves(pid), f"no choice names {pid}, and the first ear does not serve them"
        dialled = [sid for sid in served if flow.services[sid].dial]
        assert dialled and all(flow.services[sid].serves(pid) for sid in served), (pid, list(served))


def test_the_next_try_says_whether_it_calls_the_same_line_again_or_another_one(small):
    flow = small.load()
    first = call.go(Position("doctor_needs"), "doctors_line").position  # platform, platform, sps
    again = call.dialled(flow, first, "busy")
    other = call.dialled(flow, again.position, "no-answer")
    assert (again.notice, again.position.tries) == ("transfer_retry", 1)
    assert (other.notice, other.position.tries) == ("transfer_next", 2)
    assert call.dialled(flow, other.position, "failed").position.node == "doctors_other_lines"
    ear = call.go(Position("welcome"), "listening_team").position  # sps, sps
    assert call.dialled(flow, ear, "busy").notice == "transfer_retry"
    pharmacist = call.go(Position("welcome"), "pharmacist_line").position  # adop, then sps
    assert call.dialled(flow, pharmacist, "busy").notice == "transfer_next"
