"""What each answer counts is derived from the flow's moves, for any node, once per distinct answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr.flow import moves
from ivr.flow.model import Department, Menu, Readout, Transfer
from ivr.stats import events
from tests.routes import key_paths


def _walk(flow, keys):
    """Follow keys from the entry; return the last position, the keys pressed there and the step."""
    step = moves.start(flow)
    pos, pressed = None, None
    for digits in keys:
        pos, pressed = step.position, digits
        step = moves.press(flow, pos, digits, 2)
    return pos, pressed, step


def test_a_call_answered_counts_the_call_and_the_first_menu(flow):
    keys = events.entry_keys(flow, moves.start(flow))
    assert keys == (("call", "", "answered"), ("reached", flow.entry, ""))


def test_every_node_reached_counts_its_arrival_the_choice_and_what_it_does(flow):
    for target, keys in key_paths(flow).items():
        if not keys:
            continue
        pos, digits, step = _walk(flow, keys)
        counted = events.press_keys(flow, pos, digits, step, 2)
        node = flow.nodes[step.position.node]
        assert ("reached", node.id, "") in counted, target
        assert ("choice", pos.node, node.id) in counted, target
        if isinstance(node, Readout):
            assert ("number", node.service, "") in counted
        if isinstance(node, Transfer):
            assert ("transfer", node.services[0], "") in counted
        assert not any(k[0] in ("silence", "wrong_key") for k in counted)


def test_a_wrong_key_and_a_silence_count_at_their_node_whatever_the_try(flow):
    for node in flow.nodes.values():
        if not isinstance(node, Menu | Department | Readout):
            continue
        path = key_paths(flow).get(node.id)
        if path is None:
            continue
        pos, _, step = _walk(flow, path) if path else (None, None, moves.start(flow))
        here = step.position
        wrong = "9" if isinstance(node, Menu | Readout) else "7"
        if isinstance(node, Department):
            wrong = "*9"  # not two digits
        for tries in (0, 1):
            at = moves.Position(here.node, here.trail, tries)
            counted = events.press_keys(flow, at, wrong, moves.press(flow, at, wrong, 2), 2)
            assert ("wrong_key", node.id, "") in counted, (node.id, tries)
            silent = events.press_keys(flow, at, "", moves.press(flow, at, "", 2), 2)
            assert ("silence", node.id, "") in silent, (node.id, tries)
            assert ("wrong_key", node.id, "") not in silent


def test_the_last_wrong_key_puts_through_and_counts_both(flow):
    at = moves.Position(flow.entry, (), 1)
    step = moves.press(flow, at, "9", 2)
    counted = events.press_keys(flow, at, "9", step, 2)
    assert ("wrong_key", flow.entry, "") in counted
    assert ("choice", flow.entry, flow.operator) in counted
    assert ("transfer", flow.platform.id, "") in counted


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("busy", "busy"),
        ("no-answer", "no-answer"),
        ("failed", "failed"),
        ("canceled", "canceled"),
        ("completed", "completed"),
        ("answered", "completed"),
        ("+33612345678", "other"),
    ],
)
def test_a_transfer_ends_by_service_and_outcome(flow, status, outcome):
    pos = moves.go(moves.start(flow).position, flow.operator).position
    counted = events.dial_keys(flow, pos, status, moves.dialled(flow, pos, status))
    assert counted[0] == ("transfer_end", flow.platform.id, outcome)
    if outcome == "completed":
        return
    services = flow.nodes[flow.operator].services  # the platform twice, then another line
    assert ("transfer", services[1], "") in counted, "the next try, counted for the service it dials"
    assert not any(k[0] == "reached" for k in counted), "still at the transfer"
    for tries in range(1, len(services)):
        at = replace(pos, tries=tries)
        later = events.dial_keys(flow, at, status, moves.dialled(flow, at, status))
        assert later[0] == ("transfer_end", services[tries], outcome), tries
        if tries + 1 < len(services):
            assert ("transfer", services[tries + 1], "") in later, tries
            assert not any(k[0] == "reached" for k in later), "still at the transfer"
        else:
            assert ("reached", flow.nodes[flow.operator].on_failure, "") in later, "every try failed"


def test_each_try_of_a_transfer_counts_the_service_it_dials(flow):
    """A transfer listing several services counts each try for the service then dialled."""
    node = replace(flow.nodes[flow.operator], services=("platform", "mots"))
    nodes = {**flow.nodes, flow.operator: node}
    two = replace(flow, nodes=nodes)
    pos = moves.go(moves.start(two).position, two.operator).position
    step = moves.dialled(two, pos, "busy")
    counted = events.dial_keys(two, pos, "busy", step)
    assert counted[0] == ("transfer_end", "platform", "busy")
    assert ("transfer", "mots", "") in counted
    assert events.dial_keys(two, step.position, "busy", moves.dialled(two, step.position, "busy"))[0] == (
        "transfer_end",
        "mots",
        "busy",
    )


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [
        ("0", "0-30 s"),
        ("29", "0-30 s"),
        ("30", "30-60 s"),
        ("119", "1-2 min"),
        ("3599", "20-60 min"),
        ("3600", "60 min +"),
        ("", "other"),
        ("-3", "other"),
        ("0612345678x", "other"),
    ],
)
def test_durations_fall_in_coarse_buckets(seconds, bucket):
    assert events.duration_bucket(seconds) == bucket


def test_only_codes_and_type_names_are_kept():
    assert events.fallback_key("11200") == ("fallback", "", "11200")
    assert events.fallback_key("+33612345678") == ("fallback", "", "other")
    assert events.ended_key("CA123", "10") == ("ended", "other", "0-30 s")
    assert events.fault_key(KeyError("+33612345678")) == ("fault", "", "KeyError")


def test_answers_carry_their_counts_computed_once(app):
    answers = app.extensions["ivr"].answers
    first = answers.key(f"n={answers.flow.entry}", "1")
    assert ("choice", answers.flow.entry, "doctor_needs") in first.counts
    assert answers.key(f"n={answers.flow.entry}", "1") is first


def test_the_database_setting_is_read_as_documented(tmp_path):
    from ivr.errors import ConfigError
    from ivr.stats.store import database_url

    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'stats.sqlite3'}"
    assert database_url("OFF", tmp_path) is None
    assert database_url("postgresql://u:p@h/db", tmp_path) == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgresql+psycopg://h/db", tmp_path) == "postgresql+psycopg://h/db"
    with pytest.raises(ConfigError, match="IVR_STATS_URL must be"):
        database_url("mysql://h/db", tmp_path)


def test_a_missing_postgresql_says_what_to_do(monkeypatch):
    from tests import postgres

    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    with pytest.raises(RuntimeError, match="scripts/setup"):
        postgres.Cluster()
