"""The README lists every number the line says or dials, with the day someone last called it."""

from __future__ import annotations

from ivr.flow.usage import number_uses
from tests.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_number_the_line_uses_is_in_the_readme_with_the_day_it_was_called(flow):
    rows = {
        line.split("|")[1].strip(): line
        for line in README.splitlines()
        if line.startswith("| ") and line.count("|") == 6
    }
    for use in number_uses(flow):
        service = use.service
        assert service.number in rows, f"{service.number} ({service.id}) is missing from the README's table"
        cells = [cell.strip() for cell in rows[service.number].split("|")[1:-1]]
        called = "never" if service.called is None else service.called.isoformat()
        called += " (emergency: not called for a test)" if service.emergency else ""
        assert cells[1] == service.id and cells[4] == called, rows[service.number]
        assert ("to confirm" in cells[3]) == (not service.confirmed), rows[service.number]


def test_superseded_numbers_are_named_as_history_only(flow):
    for old in flow.superseded:
        assert old.number.replace("0800 ", "0 800 ") in README or old.number in README
        assert f"| {old.number} |" not in README, "a superseded number is not in the table of numbers in use"
