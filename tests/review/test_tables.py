"""The tables people read are written from the flow (`ivr docs --write`): docs/lines.md is never stale,
and each table says what the flow and the budget measure, on the small flow of the tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ivr import create_app
from ivr.cli import main
from ivr.line.budget import BUDGETS, Budget
from ivr.review.tables import LINES_DOC, directory_markdown, docs_settings, lines_document
from tests.conftest import DataCopy
from tests.paths import FIXTURES, ROOT

SMALL = FIXTURES / "callers"


def test_docs_lines_is_what_data_and_prompts_say():
    """The one test of the shipped tables: fails only when docs/lines.md is stale."""
    written = (ROOT / LINES_DOC).read_text(encoding="utf-8")
    assert written == lines_document(ROOT / "data", ROOT / "prompts"), (
        f"{LINES_DOC} is stale: data/ or prompts/ changed since it was written. "
        "Run `.venv/bin/ivr docs --write` from the checkout's root, and commit the file."
    )


@pytest.fixture
def small(tmp_path):
    return DataCopy(tmp_path / "small", source=SMALL)


def test_the_directory_table_lists_each_number_with_who_it_serves_hours_sources_and_calls(small):
    def edit(d):
        platform = d["services"]["platform"]
        platform.update(open="24/7", hours="jour et nuit")
        d["services"]["adop"].update(called="2026-11-20")
        platform["source"] = [
            platform["source"],
            {"url": "https://www.ordre.medecin.fr/entraide", "date": "2026-11-25"},
        ]
        d["superseded"] = [
            {
                "number": "0826 000 401",
                "successor": "platform",
                "from": "2018-01",
                "until": "2018-03",
                "source": {"seed": "000_c004616f5817a708.txt", "date": "2017-12-22"},
            }
        ]

    small.edit("directory", edit)
    flow = small.load()
    sps, platform, adop = (flow.services[sid].number for sid in ("sps", "platform", "adop"))
    assert directory_markdown(flow) == "\n".join(
        [
            "## Numbers the line says or dials (data/directory.yaml)",
            "",
            "| number | service | name | who it serves | hours | how the line uses it | sources | called |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            "| 0800 288 038 | platform | Plateforme des médecins | médecin | 24/7 (jour et nuit) | dialled by"
            " doctors_line; said in prompt platform_after"
            " | seed 004_ecb87066e0f6f928.txt (undated); [www.ordre.medecin.fr](https://www.ordre.medecin.fr/entraide)"
            " (consulted 2026-11-25) | never |",
            "| 0805 23 23 36 | sps | Écoute de tous les soignants et de leurs proches | médecin, infirmier, pharmacien,"
            " families | not known (read at any hour) | dialled by listening_team; dialled by doctors_line; dialled by"
            " pharmacist_line; dialled by care_line; said in prompt care_after; dialled and read by the fallback"
            " | [www.asso-sps.fr](https://www.asso-sps.fr/prise-en-charge/plateforme-telephonique) (consulted"
            " 2026-11-29); to confirm | never |",
            "| 0800 73 69 59 | adop | Écoute des pharmaciens | pharmacien | not known (read at any hour) | dialled by"
            " pharmacist_line | [www.lemoniteurdespharmacies.fr](https://www.lemoniteurdespharmacies.fr) (consulted"
            " 2026-11-24); to confirm | 2026-11-20 |",
            "| 31 14 | suicide_line | Prévention du suicide | everyone | not known (read at any hour) | read by"
            " other_lines; read by doctors_other_lines; read by pharmacist_other_lines; read by care_other_lines"
            " | [3114.fr](https://3114.fr)"
            " (consulted 2026-11-24); to confirm | emergency: not called for a test |",
            "",
            "*to confirm*: only public pages give the number, none of the seed documents; compare it with them."
            " *called*: the day someone called the number and reached the service (`called:`).",
            "",
            "## Who reaches which line (data/flow.yaml, `callers:`)",
            "",
            "| caller | lines dialled or read |",
            "| --- | --- |",
            f"| before any choice (silence, 0) | sps ({sps}), suicide_line (31 14) |",
            f"| medecin (médecin) | platform ({platform}), sps ({sps}), suicide_line (31 14) |",
            f"| infirmier (infirmier) | sps ({sps}), suicide_line (31 14) |",
            f"| pharmacien (pharmacien) | adop ({adop}), sps ({sps}), suicide_line (31 14) |",
            f"| famille (a relative of a health professional) | sps ({sps}), suicide_line (31 14) |",
            "",
            "## Numbers kept as history, never said nor dialled",
            "",
            "| number | in use | replaced by | sources |",
            "| --- | --- | --- | --- |",
            "| 0826 000 401 | 2018-01 to 2018-03 | 0800 288 038 (platform) | seed 000_c004616f5817a708.txt"
            " (dated 2017-12-22) |",
            "",
        ]
    )


def test_a_bar_in_a_name_stays_inside_its_cell(small):
    small.edit("directory", lambda d: d["services"]["adop"].update(name="Écoute | pharmaciens"))
    row = next(r for r in directory_markdown(small.load()).splitlines() if r.startswith("| 0800 73 69 59 |"))
    assert "| Écoute \\| pharmaciens |" in row and row.count(" | ") == 7


def test_the_budget_table_names_each_route_by_its_choices_with_the_figures_and_budgets_measured(small):
    line = create_app({"data_dir": small.data, "prompts_dir": small.prompts}, dev=True).extensions["ivr"]
    b = Budget(line.flow, line.renderer)
    sps, platform = line.flow.services["sps"].number, line.flow.services["platform"].number
    result = CliRunner().invoke(
        main,
        ["budget", "--format", "markdown"],
        env={"IVR_DATA_DIR": str(small.data), "IVR_PROMPTS_DIR": str(small.prompts)},
    )
    assert result.exit_code == 0, result.output
    rows = [r for r in result.output.splitlines() if r.startswith("| (")]
    silent, zero, longest, unanswered = b.silent_caller(), b.zero_caller(), b.longest_silence(), b.unanswered()
    by_keys = {r.keys: r.seconds for r in b.numbers()}
    lines = {r.name: r.seconds for r in b.callers_lines()}
    # (h) and (i) for each line callers reach first, named by the choices (or 0) that lead there.
    after_first = {
        "listening_team": ("0", "no-answer", "no-answer no-answer"),  # SPS, then SPS again
        "doctors_line": ("Médecin, Parler", "no-answer no-answer", "no-answer no-answer no-answer"),
        "pharmacist_line": ("Pharmacien", "no-answer", "no-answer no-answer"),  # ADOP, then SPS
        "care_line": ("Autre soignant ou proche", "no-answer", "no-answer no-answer"),
    }
    firsts = [r.name for r in b.first_lines()]
    assert sorted(firsts) == sorted(after_first)
    nobody_answers = []
    for name in firsts:
        said, nxt, crisis = after_first[name]
        nobody_answers += [
            f"| (h) {said}: {name} rings out, until the next try (sps) rings | {nxt} | dials {sps} (sps) |"
            f" {b.next_line(name).seconds:.1f} | ≤ {BUDGETS['next_line']:g} |",
            f"| (i) {said}: {name} rings out, until the 3114 is heard | {crisis} | reads 31 14 (suicide_line) |"
            f" {b.crisis_line(name).seconds:.1f} | ≤ {BUDGETS['crisis_line']:g} |",
        ]
    assert rows == [
        f"| (a) presses nothing | _ | dials {sps} (sps) | {silent.seconds:.1f} | ≤ {BUDGETS['silent']:g} |",
        f"| (b) presses 0 at once | 0 | dials {sps} (sps) | {zero.seconds:.1f} | ≤ {BUDGETS['zero']:g} |",
        f"| (c) Médecin, Parler | 1 1 | dials {platform} (platform) | {by_keys[('1', '1')]:.1f} |  |",
        f"| (c) Pharmacien | 2 | dials 0800 73 69 59 (adop) | {by_keys[('2',)]:.1f} |  |",
        f"| (c) Autre soignant ou proche | 3 | dials {sps} (sps) | {by_keys[('3',)]:.1f} |  |",
        f"| (d) silent after the longest prompt ({longest.name}) | _ | dials {sps} (sps) |"
        f" {longest.seconds:.1f} | ≤ {BUDGETS['silent_after_any_prompt']:g} |",
        "| (e) presses nothing, nobody answers | _ no-answer no-answer | reads 31 14 (suicide_line) |"
        f" {unanswered.seconds:.1f} |  |",
        f"| (f) médecin: their line | 1 1 | dials {platform} (platform) | {lines['medecin']:.1f} | ≤ 25 |",
        f"| (f) infirmier: their line | 3 | dials {sps} (sps) | {lines['infirmier']:.1f} | ≤ 25 |",
        f"| (f) pharmacien: their line | 2 | dials 0800 73 69 59 (adop) | {lines['pharmacien']:.1f} | ≤ 25 |",
        f"| (f) a relative of a health professional: their line | 3 | dials {sps} (sps) |"
        f" {lines['famille']:.1f} | ≤ 25 |",
        *nobody_answers,
    ], "no (g): the small flow has no choice after an assault"


def test_the_check_command_prints_the_directory_table_once_the_flow_is_valid(small):
    folders = ["--data", str(small.data), "--prompts", str(small.prompts)]
    result = CliRunner().invoke(main, ["check", "--format", "markdown", *folders])
    assert result.exit_code == 0, result.output
    assert result.output == directory_markdown(small.load())
    strict = CliRunner().invoke(main, ["check", "--format", "markdown", "--strict", *folders])
    assert (strict.exit_code, strict.output) == (1, result.output), "numbers never called: --strict still refuses"
    small.edit("flow", lambda d: d["nodes"]["welcome"]["options"][0].update(target="nowhere"))
    broken = CliRunner().invoke(main, ["check", "--format", "markdown", *folders])
    assert broken.exit_code == 1 and "The call flow is NOT valid" in broken.output and "| number |" not in broken.output


def test_the_generated_document_ignores_the_settings_of_the_shell(small, monkeypatch):
    monkeypatch.setenv("IVR_GATHER_TIMEOUT", "9")
    monkeypatch.setenv("IVR_DIAL_TIMEOUT", "60")
    settings = docs_settings(small.data, small.prompts)
    assert (settings.gather_timeout, settings.dial_timeout, settings.free_number) == (3, 30, True)
    assert settings.caller_id is not None, "the longest greeting: every phrase a setting adds"


def _docs(small, root, *flags):
    return CliRunner().invoke(
        main, ["docs", "--root", str(root), "--data", str(small.data), "--prompts", str(small.prompts), *flags]
    )


def test_a_staff_edit_makes_the_document_stale_until_it_is_written_again(small, tmp_path):
    """A number and a label changed: --check names the command; --write makes it current."""
    root = tmp_path / "checkout"
    assert _docs(small, root, "--check").exit_code == 1, "no document yet"
    written = _docs(small, root, "--write")
    assert written.exit_code == 0 and written.output == f"{root / LINES_DOC}: written\n"
    assert _docs(small, root, "--check").output == f"{root / LINES_DOC}: current\n"
    assert _docs(small, root, "--write").output == f"{root / LINES_DOC}: already current\n"

    small.edit("directory", lambda d: d["services"]["adop"].update(number="06 45 21 87 30"))
    small.edit("prompts", lambda d: d["prompts"].update(opt_pharmacist="Pharmacien ou préparateur"))
    stale = _docs(small, root, "--check")
    assert stale.exit_code == 1
    assert stale.output == f"{root / LINES_DOC} is stale: run ivr docs --write (from the checkout's root)\n"
    assert _docs(small, root, "--write").exit_code == 0
    text = (root / LINES_DOC).read_text(encoding="utf-8")
    assert text == _docs(small, root).output == lines_document(small.data, small.prompts)
    assert "0800 73 69 59" not in text and "| 06 45 21 87 30 | adop |" in text
    assert "| (c) Pharmacien ou préparateur | 2 | dials 06 45 21 87 30 (adop) |" in text
    assert _docs(small, root, "--check").exit_code == 0


def test_docs_refuses_a_broken_flow_and_both_flags(small, tmp_path):
    assert _docs(small, tmp_path, "--write", "--check").exit_code == 2
    small.edit("flow", lambda d: d["nodes"]["welcome"]["options"][0].update(target="nowhere"))
    broken = _docs(small, tmp_path, "--write")
    assert broken.exit_code == 1 and "run ivr check" in broken.output
    assert not (tmp_path / LINES_DOC).exists()
