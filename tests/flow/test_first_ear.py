"""The first ear, by kind: whatever lines a flow lists and whomever they serve, a caller who has not
said who they are is refused any first line that does not serve every caller, and only that."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.errors import FlowError
from ivr.flow.directory import FAMILY
from tests.conftest import DataCopy
from tests.paths import FIXTURES

SMALL = FIXTURES / "callers"
PROFESSIONS = ("medecin", "infirmier", "pharmacien")  # the small directory's
LINES = ("platform", "sps", "adop")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> DataCopy:
    return DataCopy(tmp_path_factory.mktemp("small"), source=SMALL)


def _first_ear_problems(copy: DataCopy) -> list[str]:
    try:
        copy.load()
    except FlowError as exc:
        return [p.message for p in exc.problems if "has not said who they are" in p.message]
    return []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tries=st.lists(st.sampled_from(LINES), min_size=2, max_size=3),
    serves=st.sets(st.sampled_from(PROFESSIONS)),
    families=st.booleans(),
)
def test_only_a_first_line_that_serves_every_caller_is_allowed_before_they_say_who_they_are(
    small, tries, serves, families
):
    """The operator (silence, 0) dials `tries` in turn; SPS serves `serves` (and families or not)."""
    small.edit("flow", lambda d: d["nodes"]["listening_team"].update(services=tries))

    def directory(d):
        d["services"]["sps"]["professions"] = sorted(serves) or ["medecin"]
        d["services"]["sps"]["families"] = families

    small.edit("directory", directory)
    sps_serves = set(serves or {"medecin"}) | ({FAMILY} if families else set())
    whom = {
        "platform": {"medecin"},
        "sps": sps_serves,
        "adop": {"pharmacien"},
    }
    everyone = {*PROFESSIONS, FAMILY}
    problems = _first_ear_problems(small)
    first = tries[0]
    dialled_first = [p for p in problems if "reaches listening_team, which puts them through first to" in p]
    if whom[first] >= everyone:
        assert dialled_first == [], (tries, whom[first])
    else:
        left_out = [c for c in (*PROFESSIONS, FAMILY) if c not in whom[first]]
        assert dialled_first == [
            next(
                p
                for p in problems
                if p.startswith(
                    "route '0': a caller who has not said who they are reaches "
                    f"listening_team, which puts them through first to {first} "
                )
            )
        ]
        assert f"a line that does not serve {', '.join(left_out)} " in dialled_first[0]
    # Later tries are never the first ear's concern.
    assert not any(f"first to {later} " in p for later in set(tries[1:]) - {first} for p in dialled_first)
