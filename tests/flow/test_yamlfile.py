"""A YAML mistake is reported where it is written, not where the parser gave up."""

from __future__ import annotations

import pytest

from ivr.errors import FlowError
from ivr.flow.yamlfile import YamlFileError, load_yaml, load_yaml_lines


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(YamlFileError) as info:
        load_yaml(path)
    return str(info.value.problem)


def test_a_quote_never_closed_is_reported_where_it_opens(tmp_path):
    text = 'entry: welcome\nnodes:\n  welcome:\n    say: "bonjour\n    type: menu\n'
    assert _error(tmp_path, text) == "flow.yaml [line 4, column 10]: invalid YAML: this quote is never closed"


def test_a_quote_closed_lines_below_is_reported_where_it_opens(tmp_path):
    """The open quote swallows the lines down to the next quote: the parser stops at line 7."""
    text = 'nodes:\n  welcome:\n    say: "bonjour\n    type: menu\n  care_line:\n    type: readout\n    say: "numero"\n'
    assert _error(tmp_path, text) == (
        "flow.yaml [line 3, column 10]: invalid YAML: this quote is not closed on its line (it closes only on line 7)"
    )


def test_an_apostrophe_closing_a_single_quote_is_reported_with_the_fix(tmp_path):
    text = "prompts:\n  greeting: 'Bonjour, vous êtes sur l'écoute'\n  other: x\n"
    assert _error(tmp_path, text) == (
        "flow.yaml [line 2, column 13]: invalid YAML: text goes on after this quote closes (column 38); "
        "an apostrophe between ' quotes is written twice ('')"
    )


def test_a_key_indented_too_deep_is_reported_at_its_start(tmp_path):
    text = "nodes:\n  welcome:\n    type: menu\n     say: [greeting]\n"
    assert _error(tmp_path, text) == (
        "flow.yaml [line 4, column 6]: invalid YAML: this line is indented deeper than the line above"
    )


def test_an_item_indented_too_little_is_reported_at_its_start(tmp_path):
    text = "nodes:\n  welcome:\n    say:\n      - greeting\n     - emergency\n"
    assert _error(tmp_path, text) == (
        "flow.yaml [line 5, column 6]: invalid YAML: this line is not indented like the lines above"
    )


@pytest.mark.parametrize("line", ["\tsay: [greeting]\n", "  \tsay: [greeting]\n"])
def test_a_tab_is_reported_where_it_is(tmp_path, line):
    text = "nodes:\n  welcome:\n    type: menu\n" + line
    column = line.index("\t") + 1
    assert _error(tmp_path, text) == (
        f"flow.yaml [line 4, column {column}]: invalid YAML: a tab indents this line; indent with spaces"
    )


def test_a_duplicate_key_keeps_its_own_line(tmp_path):
    text = "prompts:\n  greeting: Bonjour.\n  other: x\n  greeting: Salut.\n"
    assert _error(tmp_path, text) == "flow.yaml [line 4, column 3]: invalid YAML: duplicate key 'greeting'"


def test_an_unclosed_quote_in_the_flow_names_its_own_line(data_copy):
    path = data_copy.path("flow")
    text = path.read_text(encoding="utf-8")
    written = '{key: "2", say: opt_pharmacist,'
    assert written in text
    text = text.replace(written, '{key: "2, say: opt_pharmacist,')
    path.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if '{key: "2, say' in s)
    column = text.splitlines()[line - 1].index('"2') + 1
    with pytest.raises(FlowError) as info:
        data_copy.load()
    [problem] = info.value.problems
    assert (problem.file, problem.where) == ("data/flow.yaml", f"line {line}, column {column}")
    assert problem.message.startswith("invalid YAML: this quote is not closed on its line")


def test_each_key_path_has_the_line_where_it_is_written(tmp_path):
    path = tmp_path / "flow.yaml"
    path.write_text(
        "entry: welcome\n"
        "nodes:\n"
        "  welcome:\n"
        "    type: menu\n"
        "    options:\n"
        '      - {key: "1", say: opt_doctor, target: doctor}\n'
        '      - key: "2"\n'
        "        target: other\n",
        encoding="utf-8",
    )
    _, lines = load_yaml_lines(path)
    assert lines.line("entry") == 1
    assert lines.line("nodes.welcome") == 3
    assert lines.line("nodes.welcome.options[0].target") == 6
    assert lines.line("nodes.welcome.options[1]") == 7
    assert lines.line("nodes.welcome.options[1].target") == 8
    assert lines.line("nodes.welcome.after") == 3, "a missing key: the line of the key that should hold it"
    assert lines.line("nodes.welcome.options[5]") == 5
    assert lines.line("prompts.greeting") is None
    assert lines.line("line 3, column 4") is None
