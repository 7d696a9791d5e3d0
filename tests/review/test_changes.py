"""`ivr routes --against`: what a change of data/ and prompts/ does to callers, on crafted pairs of flows."""

from __future__ import annotations

import re
import subprocess

import pytest
from click.testing import CliRunner

from ivr.cli import against, main
from ivr.flow.loader import load_flow
from ivr.flow.model import Transfer
from ivr.flow.timing import speech_seconds
from ivr.review.changes import NO_CHANGE, Version, compare, source_dates, undated
from ivr.simulator.report import Departments, department
from tests.conftest import DataCopy
from tests.paths import FIXTURES, ROOT
from tests.routes import key_paths

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
SOCIAL, NEW_SOCIAL = FLOW.services["social_service"].number, "09 80 80 03 08"
PATHS = key_paths(FLOW)  # the keys of each node in the shipped flow, read from it
TO_SOCIAL = " ".join(PATHS["social_help"])


@pytest.fixture
def pair(tmp_path):
    """The default flow as it was (before) and a copy to change (after)."""
    return DataCopy(tmp_path / "before"), DataCopy(tmp_path / "after")


def routes_against(before: DataCopy, after: DataCopy, *options: str):
    return CliRunner().invoke(
        main,
        [
            "routes",
            "--against",
            str(before.data.parent),
            "--data",
            str(after.data),
            "--prompts",
            str(after.prompts),
            *options,
        ],
    )


def set_social_number(doc):
    doc["services"]["social_service"]["number"] = NEW_SOCIAL


def test_identical_flows_print_no_change_and_exit_0(pair):
    result = routes_against(*pair, "--fail-on-change")
    assert result.exit_code == 0, result.output
    assert result.output == f"{pair[0].data.parent} → on disk: {NO_CHANGE}.\n"


def test_a_number_changed(pair):
    before, after = pair
    after.edit("directory", set_social_number)
    result = routes_against(before, after)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("Routes whose ending changed (1):")
    assert lines[at + 1].startswith(f"  {TO_SOCIAL}: ")
    assert lines[at + 2] == f"    before: reads {SOCIAL} (social_service) at social_help"
    assert lines[at + 3] == f"    after:  reads {NEW_SOCIAL} (social_service) at social_help"
    at = lines.index("Numbers added, removed or changed (1):")
    assert lines[at + 1 : at + 4] == [
        "  changed social_service:",
        f"    before: {SOCIAL} (zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro sept)",
        f"    after:  {NEW_SOCIAL} (zéro neuf, quatre-vingts, quatre-vingts, zéro trois, zéro huit)",
    ]
    assert "Prompts changed" not in result.output  # no prompt says this number
    failed = routes_against(before, after, "--fail-on-change")
    assert failed.exit_code == 1 and "Callers would hear a change" in failed.output


def test_an_option_removed(pair):
    before, after = pair

    def remove_long_term_care(doc):
        menu = doc["nodes"]["doctor_needs"]
        menu["options"] = [o for o in menu["options"] if o["target"] != "long_term_care"]
        del doc["nodes"]["long_term_care"]

    after.edit("flow", remove_long_term_care)
    out = after.data.parent / "changes.md"
    result = routes_against(before, after, "--format", "markdown", "--output", str(out))
    assert result.exit_code == 0, result.output  # the caller is still offered 0 and silence: not lost
    written = out.read_text(encoding="utf-8")
    assert "### Routes whose ending changed (1)" in written
    row = next(line for line in written.splitlines() if line.startswith(f"| {' '.join(PATHS['long_term_care'])} |"))
    assert row.startswith(
        f"| {' '.join(PATHS['long_term_care'])} | reads {FLOW.services['mots'].number} (mots) at long_term_care "
        "| waits at doctor_needs, no number | "
    )
    assert row.endswith(" s → no human |")
    assert "ERROR" not in written


def test_a_menu_reordered(pair):
    before, after = pair

    def swap_social_and_assault(doc):
        options = {o["target"]: o for o in doc["nodes"]["doctor_needs"]["options"]}
        options["social_help"]["key"], options["assault"]["key"] = (
            options["assault"]["key"],
            options["social_help"]["key"],
        )
        doc["nodes"]["doctor_needs"]["options"].sort(key=lambda o: o["key"])

    after.edit("flow", swap_social_and_assault)
    changes = compare(
        against.in_process("before", before.data, before.prompts),
        against.in_process("after", after.data, after.prompts),
    )
    moved = {r.keys: (str(r.before), str(r.after)) for r in changes.endings}
    to_assault = " ".join(PATHS["assault"])
    assert moved == {
        TO_SOCIAL: (f"reads {SOCIAL} (social_service) at social_help", "waits at assault, no number"),
        to_assault: ("waits at assault, no number", f"reads {SOCIAL} (social_service) at social_help"),
    }
    assert not changes.lost and not changes.prompts and not changes.numbers_changed


def test_a_longer_prompt(pair):
    before, after = pair
    longer = (
        "Bonjour, ligne d'écoute gratuite et anonyme des soignants, jour et nuit, partout en France, "
        "métropole et outre-mer."
    )
    after.edit("prompts", lambda doc: doc["prompts"].update(greeting=longer))
    changes = compare(
        against.in_process("before", before.data, before.prompts),
        against.in_process("after", after.data, after.prompts),
    )
    assert [(k, a) for k, _, a in changes.prompts] == [("greeting", longer)]
    assert changes.endings == [] and not changes.lost
    gained = {r.keys: r.after.seconds - r.before.seconds for r in changes.slower}
    heard = {"_", *(" ".join(PATHS[n]) for n in ("pharmacist_line", "social_help", "long_term_care", "cdo_lookup-14"))}
    assert heard <= set(gained)  # every route hears the greeting
    longer_by = speech_seconds(longer) - speech_seconds(changes.prompts[0][1])
    assert longer_by > 2 and all(delta == pytest.approx(longer_by) for delta in gained.values())
    result = routes_against(before, after, "--threshold", "10")
    assert result.exit_code == 0 and "Prompts changed (1)" in result.output
    assert "Time to a human changed" not in result.output


def hangs_up_after(version: Version, node: str, key: str) -> Version:
    """The same version, with a line that hangs up when `key` is pressed at `node`."""

    def start():
        call = version.start()
        real = call.transport

        def transport(method, url, form):
            if f"n={node}" in url and form.get("Digits") == key:
                return 200, "<Response><Say>Au revoir.</Say><Hangup/></Response>"
            return real(method, url, form)

        call.transport = transport
        return call

    return Version(version.label, version.flow, start, version.book)


def test_a_route_that_no_longer_reaches_a_person_is_an_error(pair, monkeypatch):
    real = against.in_process

    def losing(label, data_dir, prompts_dir):
        version = real(label, data_dir, prompts_dir)
        return hangs_up_after(version, "doctor_needs", PATHS["social_help"][-1]) if label == "on disk" else version

    monkeypatch.setattr(against, "in_process", losing)
    result = routes_against(*pair)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[2].startswith("ERROR: routes that no longer reach a person")
    assert lines[3] == (
        f"  {TO_SOCIAL}: reads {SOCIAL} (social_service) at social_help before; now the call ends "
        "(hangup) without a transfer or a number at doctor_needs"
    )
    assert "route(s) no longer reach a person" in result.output


def git(repo, *args):
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Staff", "-c", "user.email=staff@example.org", *args],
        check=True,
        capture_output=True,
    )


def test_against_a_git_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    copy = DataCopy(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "data", "prompts")
    git(repo, "commit", "-q", "-m", "the flow as it is live")
    copy.edit("directory", set_social_number)
    monkeypatch.chdir(repo)  # the commands read data/ and prompts/ of the folder they run from
    monkeypatch.delenv("IVR_DATA_DIR", raising=False)
    monkeypatch.delenv("IVR_PROMPTS_DIR", raising=False)
    result = CliRunner().invoke(main, ["routes", "--against", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("What changes for callers, HEAD → on disk:")
    assert f"    after:  reads {NEW_SOCIAL} (social_service) at social_help" in result.output
    git(repo, "commit", "-q", "-am", "new number")
    assert CliRunner().invoke(main, ["routes", "--against", "HEAD"]).output == f"HEAD → on disk: {NO_CHANGE}.\n"
    assert "zéro sept" in CliRunner().invoke(main, ["routes", "--against", "HEAD~1"]).output
    unknown = CliRunner().invoke(main, ["routes", "--against", "no-such-branch"])
    assert unknown.exit_code == 1
    assert "'no-such-branch' is neither a folder holding data/ and prompts/ nor a git revision" in unknown.output


def test_against_needs_the_flow_on_disk():
    result = CliRunner().invoke(main, ["routes", "--against", "HEAD", "--url", "http://127.0.0.1:5000"])
    assert result.exit_code == 2 and "--against compares flows on disk" in result.output
    csv = CliRunner().invoke(main, ["routes", "--against", "HEAD", "--format", "csv"])
    assert csv.exit_code == 2 and "--against writes text or markdown" in csv.output


def test_a_dead_end_off_the_reported_routes_is_an_error_too(pair):
    before, after = pair
    old = against.in_process("before", before.data, before.prompts)
    new = hangs_up_after(against.in_process("after", after.data, after.prompts), "social_help", "1")
    changes = compare(old, new)
    assert changes.endings == []  # the social help still reads the number: only asking to hear it again hangs up
    assert changes.lost[0].startswith(f"{TO_SOCIAL} 1: the call ends (hangup) without a transfer or a number (and ")
    assert len(changes.lost) == 1


def fixture_pair(tmp_path):
    """The small flow of the tests as it was (before) and a copy to change (after)."""
    return DataCopy(tmp_path / "before", FIXTURES / "callers"), DataCopy(tmp_path / "after", FIXTURES / "callers")


def test_a_number_changed_without_its_source_date_is_warned(tmp_path):
    before, after = fixture_pair(tmp_path)
    old = before.load().services

    def renumber(doc):
        doc["services"]["adop"]["number"] = "0800 73 69 58"  # its source's date left as it was
        doc["services"]["sps"]["number"] = "0805 23 23 37"
        doc["services"]["sps"]["source"]["date"] = "2026-11-30"  # read again on its page: no warning

    after.edit("directory", renumber)
    result = routes_against(before, after)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"data/directory.yaml: adop: number changed ({old['adop'].number} → 0800 73 69 58) "
        f"but its source date did not ({old['adop'].sources[0].date})"
    ]
    assert result.stdout.startswith(f"What changes for callers, {before.data.parent} → on disk:")
    assert "warning" not in result.stdout and "source date" not in result.stdout


def test_a_council_given_another_number_without_a_new_source_date_is_warned(pair):
    before, after = pair
    old = FLOW.services["cdo_14"]

    def new_service(doc):
        doc["services"]["cdo_14_moved"] = {**doc["services"]["cdo_14"], "number": "02 31 86 38 29"}

    after.edit("directory", new_service)
    after.edit("councils", lambda doc: doc["councils"]["14"].update(service="cdo_14_moved"))
    assert undated(FLOW, after.load()) == [
        ("councils.yaml", "cdo_14_moved", old.number, "02 31 86 38 29", source_dates(old))
    ]
    assert undated(FLOW, before.load()) == []


def test_the_progress_is_on_stderr_only_on_a_terminal(tmp_path, monkeypatch):
    before, after = fixture_pair(tmp_path)
    after.edit("prompts", lambda doc: doc["prompts"].update(opt_doctor="Médecin ou interne"))
    quiet = routes_against(before, after)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    monkeypatch.setattr("ivr.cli.progress.on_terminal", lambda: True)
    shown = routes_against(before, after)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == quiet.stdout  # the report, exactly
    labels = shown.stderr.splitlines()  # a bar only draws itself on a real terminal: its label here
    assert labels[:2] == [f"Exploring {before.data.parent}", "Exploring on disk"]
    assert re.fullmatch(r"Playing \d+ routes in both", labels[2]) and len(labels) == 3


def test_the_departements_that_change_alike_are_one_line_and_a_single_one_stays_alone(pair):
    before, after = pair
    # The line a council without a number puts through to: the look-up's own (the doctors' line), first try.
    platform = FLOW.services[FLOW.nodes[FLOW.operator_of("cdo_lookup")].services[0]]
    cdo = FLOW.services["cdo_14"]
    new_platform, new_cdo = platform.number[:-1] + "9", cdo.number[:-1] + "7"

    def renumber(doc):
        doc["services"][platform.id]["number"] = new_platform
        doc["services"]["cdo_14"]["number"] = new_cdo

    after.edit("directory", renumber)
    result = routes_against(before, after)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # Every council without a number of its own puts through to that line: one line for all of them.
    put_through = [
        department(nid)[0]
        for nid in FLOW.places
        if isinstance(FLOW.nodes[nid], Transfer) and FLOW.nodes[nid].services[0] == platform.id
    ]
    assert len(put_through) > 90
    grouped = [i for i, line in enumerate(lines) if line.startswith("  1 2 <dépt> ")]
    assert len(grouped) == 1
    at = grouped[0]
    assert lines[at].startswith(f"  1 2 <dépt> ({Departments((), tuple(put_through), 2).summary()}): ")
    assert lines[at + 1 : at + 3] == [
        f"    before: transfer to {platform.number} ({platform.id}) at cdo_lookup-<dépt>",
        f"    after:  transfer to {new_platform} ({platform.id}) at cdo_lookup-<dépt>",
    ]
    # The Calvados's own number: on its own line.
    at = next(i for i, line in enumerate(lines) if line.startswith(f"  {' '.join(PATHS['cdo_lookup-14'])}: "))
    assert lines[at + 1 : at + 3] == [
        f"    before: reads {cdo.number} (cdo_14) at cdo_lookup-14",
        f"    after:  reads {new_cdo} (cdo_14) at cdo_lookup-14",
    ]
    assert not any(line.startswith(("  1 2 01", "  1 2 02:")) for line in lines)
