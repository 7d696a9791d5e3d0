"""The route report's rows: the départements that say the same thing are one line; any other row, a
single département's included, stays on its own."""

from __future__ import annotations

import pytest

from ivr.simulator.report import Departments, Outcome, Row, as_csv, as_markdown, as_text, department

PLATFORM, CDO = "0800 100 200", "02 00 00 00 14"


def council(code: str, said: str, outcome: Outcome, *after: str) -> Row:
    """The row of a council's node, reached by 1 2 then the département (typed, or said)."""
    inputs = ("1", "2", said, *after)
    return Row(" ".join(inputs), f"cdo_lookup-{code}", outcome, f"Conseil {code}", inputs)


ROWS = [
    Row("_", "listening_team", Outcome("dial", PLATFORM, 23.0), "", ("_",)),
    council("01", "01", Outcome("dial", PLATFORM, 59.0)),
    council("02", "02", Outcome("dial", PLATFORM, 59.4)),
    council("14", "14", Outcome("read", CDO, 61.0)),
    council("03", "03", Outcome("dial", PLATFORM, 60.0)),
    council("2A", '"Corse-du-Sud"', Outcome("dial", PLATFORM, 64.0)),
    council("971", '"Guadeloupe"', Outcome("dial", PLATFORM, 63.0)),
    council("01", "01", Outcome("dial", "0805 00 00 01", 70.0), "busy", "busy"),
]


def test_the_departments_that_say_the_same_thing_are_one_line():
    assert as_text(ROWS).splitlines() == [
        "keys              node               outcome                        s  heard",
        "_                 listening_team     transfer to 0800 100 200      23  ",
        "1 2 <dépt>        cdo_lookup-<dépt>  transfer to 0800 100 200   59–64  01–03, 2A, 971 (5 départements)",
        "1 2 14            cdo_lookup-14      reads 02 00 00 00 14          61  Conseil 14",
        "1 2 01 busy busy  cdo_lookup-01      transfer to 0805 00 00 01     70  Conseil 01",
    ]
    assert as_markdown(ROWS).splitlines()[2:] == [
        "| _ | listening_team | transfer to 0800 100 200 | 23 |  |",
        "| 1 2 <dépt> | cdo_lookup-<dépt> | transfer to 0800 100 200 | 59–64 | 01–03, 2A, 971 (5 départements) |",
        "| 1 2 14 | cdo_lookup-14 | reads 02 00 00 00 14 | 61 | Conseil 14 |",
        "| 1 2 01 busy busy | cdo_lookup-01 | transfer to 0805 00 00 01 | 70 | Conseil 01 |",
    ]


def test_a_spreadsheet_keeps_one_line_per_route():
    assert [line.split(",")[1] for line in as_csv(ROWS).splitlines()] == [
        "node",
        "listening_team",
        "cdo_lookup-01",
        "cdo_lookup-02",
        "cdo_lookup-14",
        "cdo_lookup-03",
        "cdo_lookup-2A",
        "cdo_lookup-971",
        "cdo_lookup-01",
    ]


def test_a_single_department_or_two_routes_of_one_stay_on_their_own():
    alone = [council("01", "01", Outcome("dial", PLATFORM, 59.0)), council("14", "14", Outcome("read", CDO, 61.0))]
    assert [line.split()[2] for line in as_text(alone).splitlines()[1:]] == ["01", "14"]
    # The same département by two ways (typed, then said): not two départements.
    twice = [
        council("01", "01", Outcome("dial", PLATFORM, 59.0)),
        council("01", '"Ain"', Outcome("dial", PLATFORM, 61.0)),
    ]
    assert [line.split()[3] for line in as_text(twice).splitlines()[1:]] == ["cdo_lookup-01", "cdo_lookup-01"]


@pytest.mark.parametrize(
    ("node", "found"),
    [
        ("cdo_lookup-14", ("14", "cdo_lookup-<dépt>")),
        ("cdo_lookup-14-closed", ("14", "cdo_lookup-<dépt>-closed")),
        ("cdo_lookup-2B", ("2B", "cdo_lookup-<dépt>")),
        ("cdo_lookup-976", ("976", "cdo_lookup-<dépt>")),
        ("social_help", None),
        ("social_help-closed", None),
        ("cdo_lookup-20", ("20", "cdo_lookup-<dépt>")),  # Corsica's question: grouped only with its like
    ],
)
def test_the_departement_of_a_node(node, found):
    assert department(node) == found


@pytest.mark.parametrize(
    ("codes", "said"),
    [
        (
            ("01", "02", "03", "05", "06", "14", "2A", "2B", "971", "972", "973", "976"),
            "01–03, 05, 06, 14, 2A, 2B, 971–973, 976 (12 départements)",
        ),
        (("2B", "21", "18", "19", "2A", "22"), "18–22 (6 départements)"),  # in France's order, Corsica at 20
        (("19", "21", "2B"), "19, 2B, 21 (3 départements)"),  # 2A missing: no range
        (("95", "971", "974", "976", "2A"), "2A, 95, 971, 974, 976 (5 départements)"),
        (("09", "10", "11"), "09–11 (3 départements)"),
    ],
)
def test_the_departements_named_in_frances_order_with_ranges(codes, said):
    assert Departments((), codes, 2).summary() == said
