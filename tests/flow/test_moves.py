"""What happens next in a call, move by move, on a small flow made here: each answer compared whole."""

from __future__ import annotations

import pytest

from ivr.errors import CallStateError
from ivr.flow import moves as call
from ivr.flow.hours import OPEN
from ivr.flow.model import Department, Flow, Menu, Option, Readout, Transfer, closed_id
from ivr.flow.moves import Step
from ivr.flow.position import Position

MAX_TRIES = 3
CLOSED_INFO = closed_id("info")

NODES = {
    "welcome": Menu(
        "welcome",
        options=(
            Option("1", "opt_needs", "needs"),
            Option("2", "opt_dept", "dept"),
            Option("3", "opt_team", "team"),
        ),
    ),
    "needs": Menu(
        "needs", options=(Option("1", "opt_info", "info"), Option("2", "opt_talk", "own_team")), operator="own_team"
    ),
    "team": Transfer("team", services=("a", "a", "b"), on_failure="info"),
    "own_team": Transfer("own_team", services=("b", "b"), on_failure="info"),
    "info": Readout("info", service="a"),
    CLOSED_INFO: Transfer(CLOSED_INFO, services=("b", "b"), on_failure="info"),
    "dept": Department("dept", say=(), codes={"75": "dept-75", "20": "dept-20"}),
    "dept-20": Department("dept-20", say=(), codes={"1": "dept-2A"}, digits=1),
    "dept-75": Readout("dept-75", service="b"),
    "dept-2A": Readout("dept-2A", service="b"),
}
FLOW = Flow(
    entry="welcome",
    operator="team",
    nodes=NODES,
    services={},
    prompts={
        "opt_needs": "Besoins",
        "opt_dept": "Département",
        "opt_team": "Écoute",
        "opt_info": "Numéro",
        "opt_talk": "Parler",
    },
    places={"dept-75": "Paris", "dept-2A": "Corse-du-Sud"},
)


def at(node: str, *trail: str, tries: int = 0) -> Position:
    return Position(node, trail, tries)


def test_a_call_starts_at_the_entry():
    assert call.start(FLOW) == Step(at("welcome"), arrived=True)


@pytest.mark.parametrize(
    ("pos", "target", "step"),
    [
        (at("needs", "welcome", tries=2), "info", Step(at("info", "welcome", "needs"), arrived=True)),
        # Going back to a node walked through cuts the trail there: no loop grows in the URL.
        (at("info", "welcome", "needs"), "needs", Step(at("needs", "welcome"), arrived=True)),
        (at("info", "welcome", "needs"), "welcome", Step(at("welcome"), arrived=True)),
        (at("welcome"), "welcome", Step(at("welcome"), arrived=True)),
    ],
)
def test_go(pos, target, step):
    assert call.go(pos, target) == step


@pytest.mark.parametrize(
    ("pos", "step"),
    [
        (at("info", "welcome", "needs"), Step(at("needs", "welcome"))),
        # A transfer is not a menu: # skips it, back to the menu before.
        (at("info", "welcome", "needs", "team", tries=1), Step(at("needs", "welcome"))),
        (at("needs", "welcome", tries=2), Step(at("welcome"))),
        # At the first menu, # says it again, from the start.
        (at("welcome", tries=2), Step(at("welcome"))),
        (at("info", "team", tries=1), Step(at("info", "team"))),
    ],
)
def test_hash_goes_back_to_the_last_menu(pos, step):
    assert call.press(FLOW, pos, "#", MAX_TRIES) == step


@pytest.mark.parametrize(
    ("pos", "digits", "step"),
    [
        # Silence and 0 reach a person at once: the node's own, or the flow's.
        (at("welcome", tries=2), "", Step(at("team", "welcome"), arrived=True)),
        (at("welcome"), "0", Step(at("team", "welcome"), arrived=True)),
        (at("needs", "welcome"), "", Step(at("own_team", "welcome", "needs"), arrived=True)),
        (at("needs", "welcome", tries=1), "0", Step(at("own_team", "welcome", "needs"), arrived=True)),
        (at("info", "welcome", "needs"), "", Step(at("team", "welcome", "needs", "info"), arrived=True)),
        # At a transfer nothing is pressed: whatever comes, put them through.
        (at("team", "welcome", tries=1), "5", Step(at("team", "welcome", tries=1), arrived=True)),
        (at("team", "welcome"), "", Step(at("team", "welcome"), arrived=True)),
        # * says the node again, misses forgotten.
        (at("welcome", tries=2), "*", Step(at("welcome"))),
        (at("info", "welcome", "needs", tries=1), "*", Step(at("info", "welcome", "needs"))),
        (at("welcome", tries=1), "1", Step(at("needs", "welcome"), arrived=True)),
        (at("welcome", tries=1), "3", Step(at("team", "welcome"), arrived=True)),
        # 1 at a read-out reads the number again, misses forgotten: not a wrong key.
        (at("info", "welcome", "needs", tries=1), "1", Step(at("info", "welcome", "needs"))),
        (at("dept", "welcome"), "75", Step(at("dept-75", "welcome", "dept"), arrived=True)),
        (at("dept-20", "welcome", "dept"), "1", Step(at("dept-2A", "welcome", "dept", "dept-20"), arrived=True)),
    ],
)
def test_press(pos, digits, step):
    assert call.press(FLOW, pos, digits, MAX_TRIES) == step


@pytest.mark.parametrize(
    ("node", "trail", "digits", "notice"),
    [
        ("welcome", (), "9", "wrong_key"),
        ("welcome", (), "12", "wrong_key"),
        ("needs", ("welcome",), "3", "wrong_key"),
        ("info", ("welcome", "needs"), "2", "wrong_key"),
        ("dept", ("welcome",), "7", "missing_digit"),  # one digit of two
        ("dept", ("welcome",), "99", "unknown_department"),  # two digits, no such code
        ("dept", ("welcome",), "750", "unknown_department"),
        ("dept", ("welcome",), "7*", "wrong_key"),
        ("dept-20", ("welcome", "dept"), "3", "unknown_department"),  # one digit is all it takes
    ],
)
def test_a_miss_says_why_then_asks_again_then_puts_through(node, trail, digits, notice):
    first = call.press(FLOW, Position(node, trail), digits, MAX_TRIES)
    assert first == Step(Position(node, trail, 1), notice=notice)
    second = call.press(FLOW, first.position, digits, MAX_TRIES)
    assert second == Step(Position(node, trail, 2), notice=notice)
    # The third miss (IVR_MAX_TRIES = 3) puts the caller through to whoever serves them here.
    third = call.press(FLOW, second.position, digits, MAX_TRIES)
    assert third == Step(Position(FLOW.operator_of(node), (*trail, node)), arrived=True)


def test_one_try_puts_through_at_the_first_miss():
    assert call.press(FLOW, at("welcome"), "9", 1) == Step(at("team", "welcome"), arrived=True)


@pytest.mark.parametrize(
    ("keys", "step"),
    [
        ((), Step(at("team", "welcome", "dept"), arrived=True)),  # nothing understood: silence
        (("75",), Step(at("dept-75", "welcome", "dept"), arrived=True)),
        (("20", "1"), Step(at("dept-2A", "welcome", "dept", "dept-20"), arrived=True)),
        (("20", "3"), Step(at("dept-20", "welcome", "dept", tries=1), notice="unknown_department")),
        (("99",), Step(at("dept", "welcome", tries=1), notice="unknown_department")),
    ],
)
def test_keys_understood_are_pressed_in_turn(keys, step):
    assert call.press_in_turn(FLOW, at("dept", "welcome"), keys, MAX_TRIES) == step


@pytest.mark.parametrize(
    ("states", "step"),
    [
        ({}, Step(at("info", "welcome", "needs"), arrived=True)),
        ({"info": OPEN}, Step(at("info", "welcome", "needs"), arrived=True)),
        ({"dept-75": "lundi à neuf heures"}, Step(at("info", "welcome", "needs"), arrived=True)),
        (
            {"info": "lundi à neuf heures"},
            Step(at(CLOSED_INFO, "welcome", "needs"), arrived=True, opening="lundi à neuf heures"),
        ),
    ],
)
def test_a_closed_read_out_becomes_its_transfer(states, step):
    arriving = Step(at("info", "welcome", "needs"), arrived=True)
    assert call.at_hours(FLOW, arriving, states) == step


def test_at_hours_keeps_a_hang_up_and_a_service_without_its_closed_transfer():
    assert call.at_hours(FLOW, call.HANGUP, {"info": "lundi"}) is call.HANGUP
    arriving = Step(at("dept-75", "welcome", "dept"), arrived=True)
    assert call.at_hours(FLOW, arriving, {"dept-75": "lundi"}) == arriving


@pytest.mark.parametrize(
    ("pos", "status", "step"),
    [
        (at("team", "welcome"), "completed", call.HANGUP),
        (at("team", "welcome", tries=2), "answered", call.HANGUP),
        # The same service again: "we call them again"; another one: "we call another line".
        (at("team", "welcome"), "busy", Step(at("team", "welcome", tries=1), notice="transfer_retry")),
        (at("team", "welcome", tries=1), "no-answer", Step(at("team", "welcome", tries=2), notice="transfer_next")),
        (at("team", "welcome", tries=2), "failed", Step(at("info", "welcome", "team"), arrived=True)),
        (at("own_team", "welcome", "needs", tries=1), "busy", Step(at("info", "welcome", "needs", "own_team"), True)),
    ],
)
def test_the_end_of_a_transfer(pos, status, step):
    assert call.dialled(FLOW, pos, status) == step


def test_a_dial_callback_at_a_menu_is_refused():
    with pytest.raises(CallStateError, match="^dial callback for a node that is not a transfer$"):
        call.dialled(FLOW, at("welcome"), "busy")


@pytest.mark.parametrize(
    ("pos", "said"),
    [
        (at("welcome"), ()),
        (at("info", "welcome", "needs"), ("Besoins", "Numéro")),
        (at("dept-2A", "welcome", "dept", "dept-20"), ("Département", "Corse-du-Sud")),
        (at("dept-75", "welcome", "dept"), ("Département", "Paris")),
        # A move to whoever 0 and silence reach is not a choice, even when a key leads there too.
        (at("team", "welcome"), ()),
        # Here by 2, by 0 or by silence: the same node, the menu's own operator; not a choice either.
        (at("own_team", "welcome", "needs"), ("Besoins",)),
        # Nor is a move no option makes (a closed read-out's transfer).
        (at(CLOSED_INFO, "welcome", "needs"), ("Besoins",)),
        (at("info", "welcome", "team"), ()),
    ],
)
def test_what_the_caller_chose(pos, said):
    assert call.chosen(FLOW, pos) == said


@pytest.mark.parametrize(
    ("step", "marked"),
    [
        (Step(at("team", "welcome"), arrived=True), Step(Position("team", ("welcome",), distress=True), arrived=True)),
        (
            Step(at("own_team", "welcome", "needs", tries=1), notice="transfer_retry"),
            Step(Position("own_team", ("welcome", "needs"), 1, distress=True), notice="transfer_retry"),
        ),
        (Step(at("needs", "welcome"), arrived=True), Step(at("needs", "welcome"), arrived=True)),  # not a transfer
        (Step(at("info", "welcome")), Step(at("info", "welcome"))),
        (call.HANGUP, call.HANGUP),
    ],
)
def test_distress_marks_only_the_transfer_reached(step, marked):
    assert call.in_distress(FLOW, step) == marked


def test_the_distress_mark_stays_through_the_tries_and_ends_with_the_transfer():
    marked = Position("team", ("welcome",), distress=True)
    again = call.dialled(FLOW, marked, "busy")
    assert again == Step(Position("team", ("welcome",), 1, distress=True), notice="transfer_retry")
    last = call.dialled(FLOW, Position("team", ("welcome",), 2, distress=True), "no-answer")
    assert last == Step(at("info", "welcome", "team"), arrived=True), "the failure read-out carries no mark"
