"""Numbers in data/directory.yaml: a broken one is a problem named by file, service and key."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.errors import FlowError


def _number_problem(data_copy, written: str):
    """The problem of the number of the service `mots` written as `written`."""
    data_copy.edit("directory", lambda d: d["services"]["mots"].update(number=written))
    with pytest.raises(FlowError) as info:
        data_copy.load()
    [problem] = [p for p in info.value.problems if p.where == "services.mots.number"]
    return problem


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("1", "neither a valid French number"),
        ("0", "neither a valid French number"),
        ("0² 80 80 03 07", "groups of 1 to 3 digits"),
        ("٠٩ 80 80 03 07", "groups of 1 to 3 digits"),  # Arabic-Indic digits are digits to str.isdigit too
        ("08 92 68 08 08", "premium-rate"),
        ("08 99 00 00 00", "premium-rate"),
    ],
)
def test_a_bad_number_is_reported_like_any_problem(data_copy, written, why):
    problem = _number_problem(data_copy, written)
    assert problem.file == "data/directory.yaml" and why in problem.message


@pytest.mark.parametrize(
    ("written", "spaced"),
    [
        ("09.80.80.03.07", "09 80 80 03 07"),
        ("0980800307", "09 80 80 03 07"),
        ("+33 9 80 80 03 07", "09 80 80 03 07"),
        ("0800288038", "0800 288 038"),
        ("+33 800 288 038", "0800 288 038"),
        ("31.14", "31 14"),
    ],
)
def test_a_number_in_another_notation_is_refused_with_its_spaced_form(data_copy, written, spaced):
    """What is written is what is read aloud: the number stays refused, its spaced form proposed."""
    problem = _number_problem(data_copy, written)
    assert problem.message == f'number {written!r} must be written in groups as it is read aloud: write "{spaced}"'


def test_the_spaced_form_proposed_is_accepted(data_copy):
    data_copy.edit("directory", lambda d: d["services"]["mots"].update(number="09 80 80 03 07"))
    assert data_copy.load().services["mots"].number == "09 80 80 03 07"


def test_ivr_check_lists_a_bad_number_without_a_traceback(data_copy):
    data_copy.edit("directory", lambda d: d["services"]["mots"].update(number="1"))
    result = CliRunner().invoke(main, ["check", "--data", str(data_copy.data), "--prompts", str(data_copy.prompts)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = data_copy.path("directory").read_text(encoding="utf-8").splitlines()
    at = lines.index("  mots:") + next(i for i, line in enumerate(lines[lines.index("  mots:") :]) if "number:" in line)
    assert f"data/directory.yaml:{at + 1} [services.mots.number]: number '1'" in result.output
    assert "Traceback" not in result.output


def test_free_and_shared_cost_numbers_are_accepted(data_copy):
    data_copy.edit("directory", lambda d: d["services"]["mots"].update(number="0805 23 23 36"))
    assert data_copy.load().services["mots"].dial == "+33805232336"
