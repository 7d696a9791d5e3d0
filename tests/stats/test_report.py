"""Reports sum hourly counters over Paris days and hide small counts, on both engines."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from click.testing import CliRunner

from ivr.cli import main
from ivr.stats import report
from ivr.stats.store import Row, Store
from tests.paths import FIXTURES

SMALL_FLOW = ["--data", str(FIXTURES / "callers" / "data"), "--prompts", str(FIXTURES / "callers" / "prompts")]

DAY = date(2026, 3, 10)


def _hour(day: date, hour_utc: int) -> int:
    return int(datetime(day.year, day.month, day.day, hour_utc).timestamp()) // 3600 + _offset()


def _offset() -> int:
    # datetime(...).timestamp() reads a naive datetime as local time; the tests' machine may not be UTC.
    return -int(datetime(2026, 3, 10).astimezone().utcoffset().total_seconds()) // 3600


def _fill(url: str) -> Store:
    store = Store(url)
    store.migrate()
    h = _hour(DAY, 9)
    store.add(
        {
            (h, ("call", "", "answered")): 7,
            (h + 1, ("call", "", "answered")): 5,
            (h, ("reached", "welcome", "")): 12,
            (h, ("choice", "welcome", "doctor_needs")): 10,
            (h, ("reached", "doctor_needs", "")): 10,
            (h, ("choice", "doctor_needs", "assault")): 1,
            (h + 1, ("choice", "doctor_needs", "assault")): 1,
            (h, ("choice", "doctor_needs", "social_help")): 6,
            (h, ("transfer", "platform", "")): 10,
            (h, ("transfer_end", "platform", "completed")): 6,
            (h, ("transfer_end", "platform", "busy")): 3,
            (h, ("transfer_end", "platform", "no-answer")): 1,
            (h, ("ended", "completed", "2-5 min")): 11,
            (h, ("fallback", "", "11200")): 2,
            (h, ("speech", "welcome", "understood")): 4,
            (h + 1, ("speech", "welcome", "understood")): 3,
            (h, ("speech", "welcome", "not understood")): 1,
            (h, ("speech", "cdo_lookup", "unsure")): 5,
        }
    )
    return store


def test_counts_are_summed_by_day_and_small_ones_hidden(db_url):
    store = _fill(db_url)
    rep = report.load(store, DAY, DAY)
    assert rep.calls == 12 and rep.calls_by_day[DAY] == 12
    assert rep.choices[("doctor_needs", "assault")] == 2  # two hours summed: still shown as "< 3"
    tables = report.sections(rep)
    routes = {(r["from"], r["to"]): r["count"] for r in tables["routes"]}
    assert routes[("doctor_needs", "assault")] == "< 3"
    assert routes[("welcome", "doctor_needs")] == 10
    transfers = tables["transfers"][0]
    assert (transfers["busy"], transfers["no-answer"], transfers["failure rate"]) == (3, "< 3", "40 %")
    drop = {r["node"]: r for r in tables["drop-off"]}
    assert drop["welcome"]["ended there"] == "< 3" and drop["doctor_needs"]["ended there"] == "< 3"
    assert drop["welcome"]["reached"] == 12
    assert "hour of day" not in tables, "a single day never shows hours"
    assert tables["speech"] == [  # most words said first; what was said is never there
        {"node": "welcome", "understood": 7, "not understood": "< 3", "unsure": 0},
        {"node": "cdo_lookup", "understood": 0, "not understood": 0, "unsure": 5},
    ]
    assert {r["day"] for r in tables["calls"]} == {"2026-03-10"}
    assert not any("hour" in key for rows in tables.values() for row in rows for key in row)
    store.dispose()


def test_the_hour_of_day_profile_needs_a_week(db_url):
    store = _fill(db_url)
    rep = report.load(store, date(2026, 3, 4), DAY)
    hours = {r["hour"]: r["calls"] for r in report.sections(rep)["hour of day"]}
    assert hours["10h"] == 7 and hours["11h"] == 5  # 9h and 10h UTC are 10h and 11h in Paris in March
    assert report.load(store, date(2026, 3, 11), date(2026, 3, 20)).calls == 0
    store.dispose()


def test_the_command_prints_table_csv_and_json(db_url):
    _fill(db_url).dispose()
    runner = CliRunner()
    args = ["stats", "--db", db_url, "--since", "2026-03-10", "--until", "2026-03-10", *SMALL_FLOW]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "12 call(s) answered" in table.output and "< 3" in table.output and "40 %" in table.output
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*args, "--format", "csv", "--ids"]).output)))
    assert {"section": "routes", "item": "doctor_needs → assault", "measure": "count", "value": "< 3"} in rows
    body = json.loads(runner.invoke(main, [*args, "--format", "json"]).output)
    assert body["calls"] == 12 and body["transfers"][0]["failure rate"] == "40 %"


def test_the_command_names_menus_and_services_in_words(db_url):
    _fill(db_url).dispose()
    args = ["stats", "--db", db_url, "--since", "2026-03-10", "--until", "2026-03-10", *SMALL_FLOW]
    body = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).output)
    assert body["routes"] == [  # assault, social_help and cdo_lookup are not in the small flow
        {"from": "En danger, le quinze.", "to": "Médecin", "count": 10},
        {"from": "Médecin", "to": "social_help (no longer in the flow)", "count": 6},
        {"from": "Médecin", "to": "assault (no longer in the flow)", "count": "< 3"},
    ]
    assert [r["service"] for r in body["transfers"]] == ["Plateforme des médecins"]
    assert [r["node"] for r in body["speech"]] == ["En danger, le quinze.", "cdo_lookup (no longer in the flow)"]
    ids = json.loads(CliRunner().invoke(main, [*args, "--format", "json", "--ids"]).output)
    assert [(r["from"], r["to"]) for r in ids["routes"]] == [
        ("welcome", "doctor_needs"),
        ("doctor_needs", "social_help"),
        ("doctor_needs", "assault"),
    ]
    table = CliRunner().invoke(main, args).output.splitlines()
    routes = table[table.index("## routes") + 1 : table.index("## transfers") - 1]
    assert routes == [
        "from                   to                                   count",
        "En danger, le quinze.  Médecin                              10",
        "Médecin                social_help (no longer in the flow)  6",
        "Médecin                assault (no longer in the flow)      < 3",
    ]


def test_a_flow_that_does_not_load_shows_ids(db_url, tmp_path):
    _fill(db_url).dispose()
    (tmp_path / "data").mkdir()
    args = ["stats", "--db", db_url, "--since", "2026-03-10", "--until", "2026-03-10", "--format", "json"]
    result = CliRunner().invoke(main, [*args, "--data", str(tmp_path / "data"), "--prompts", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stderr == "The flow does not load (see ivr check): ids are shown instead of words.\n"
    assert [r["from"] for r in json.loads(result.stdout)["routes"]] == ["welcome", "doctor_needs", "doctor_needs"]


def test_migrate_command_and_bad_days(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    runner = CliRunner()
    result = runner.invoke(main, ["stats", "migrate", "--db", url])
    assert result.exit_code == 0 and "up to date" in result.output
    assert runner.invoke(main, ["stats", "--db", url, "--since", "yesterday"]).exit_code == 2
    assert runner.invoke(main, ["stats", "--db", "off"]).exit_code == 1


def test_build_never_needs_a_database():
    rows = [Row(datetime(2026, 7, 1, 22), "call", "", "answered", 4)]  # midnight in Paris, summer time
    rep = report.build(rows, date(2026, 7, 2), date(2026, 7, 2))
    assert rep.calls_by_day == {date(2026, 7, 2): 4}


def test_the_table_starts_with_a_summary_and_the_days_that_have_calls():
    rows = [
        Row(datetime(2026, 3, 3, 9), "call", "", "answered", 2),
        Row(datetime(2026, 3, 8, 9), "call", "", "answered", 40),
        Row(datetime(2026, 3, 8, 9), "transfer", "platform", "", 12),
        Row(datetime(2026, 3, 8, 9), "transfer_end", "platform", "completed", 10),
        Row(datetime(2026, 3, 8, 9), "transfer_end", "platform", "busy", 2),
        Row(datetime(2026, 3, 8, 9), "number", "suicide_line", "", 1),
    ]
    rep = report.build(rows, date(2026, 3, 1), DAY)
    assert report.summary(rep) == {
        "calls": 42,
        "days with calls": 2,
        "days": 10,
        "transfers": 12,
        "put through": 10,
        "transfers not answered": "< 3",
        "failure rate": "17 %",
        "numbers read": "< 3",
    }
    lines = report.as_table(rep).splitlines()
    assert lines[1] == (
        "Summary: 42 call(s) on 2 of 10 day(s); 12 transfer(s): 10 put through, < 3 not answered "
        "(failure rate 17 %); < 3 number(s) read."
    )
    calls = lines[lines.index("## calls") + 1 : lines.index("## routes") - 1]
    assert calls == ["day         calls", "2026-03-03  < 3", "2026-03-08  40", "(8 day(s) without calls)"]
    empty = report.as_table(report.build([], DAY, DAY)).splitlines()
    assert empty[empty.index("## calls") + 1] == "(1 day(s) without calls)"
    assert [r["day"] for r in report.sections(rep)["calls"]] == [d.isoformat() for d in rep.days], "CSV, JSON: all"
    assert json.loads(report.as_json(rep))["summary"]["transfers not answered"] == "< 3"


def test_a_simulated_day_fills_every_section(db_url):
    result = CliRunner().invoke(
        main, ["stats", "demo", "--db", db_url, "--day", "2026-03-10", "--days", "7", "--calls", "120"]
    )
    assert result.exit_code == 0, result.output
    store = Store(db_url)
    rep = report.load(store, date(2026, 3, 4), DAY)
    store.dispose()
    assert rep.calls == 7 * 120
    assert sum(rep.durations.values()) == rep.calls
    assert rep.outcomes["platform"]["busy"] > 0 and rep.outcomes["platform"]["completed"] > 0
    assert sum(rep.silences.values()) > 0 and sum(rep.wrong_keys.values()) > 0
    assert len(rep.numbers) >= 3 and rep.by_hour_of_day is not None
    peak = sum(rep.outcomes_by_day[d]["busy"] for d in rep.outcomes_by_day)
    assert peak > 0


def test_demo_never_fills_the_live_statistics(tmp_path, monkeypatch):
    live = tmp_path / "live.sqlite3"
    monkeypatch.setenv("IVR_STATS_URL", f"sqlite:///{live}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for given in ([], ["--db", f"sqlite:///{live}"], ["--db", "sqlite:///live.sqlite3"]):
        result = runner.invoke(main, ["stats", "demo", "--calls", "3", *given])
        assert result.exit_code == 2, result.output
        assert "--db sqlite:///demo.sqlite3" in result.output.splitlines()[-1]
    assert not live.exists()


def test_demo_without_db_names_the_option_even_without_a_live_database(tmp_path, monkeypatch):
    monkeypatch.delenv("IVR_STATS_URL", raising=False)
    result = CliRunner().invoke(main, ["stats", "demo"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: demo writes simulated calls: give it a throwaway database with --db, e.g. --db sqlite:///demo.sqlite3"
    )


def test_simulated_calls_on_the_command_line_count_nothing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    monkeypatch.setenv("IVR_STATS_URL", url)
    assert CliRunner().invoke(main, ["call", "--keys", "1 3"]).exit_code == 0
    assert CliRunner().invoke(main, ["routes"]).exit_code == 0
    assert not (tmp_path / "live.sqlite3").exists()
    assert CliRunner().invoke(main, ["call", "--keys", "1 3", "--stats"]).exit_code == 0
    store = Store(url)
    assert sum(r.count for r in store.rows() if r.event == "call") == 1
    store.dispose()
