"""What a host installs: the lock agrees with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.paths import ROOT

LOCK = "constraints.txt"
REFRESH = "run scripts/lock, then the tests"
LOCKED_FOR = {"python_version": "3.11", "python_full_version": "3.11.0"}  # .python-version


@dataclass
class Pin:
    version: str
    via: list[str] = field(default_factory=list)


def locked() -> dict[str, Pin]:
    """Every package the lock pins, by normalised name, with what it comes via."""
    pins: dict[str, Pin] = {}
    pin = None
    for line in (ROOT / LOCK).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", " ")):
            name, _, version = line.partition("==")
            pin = pins[canonicalize_name(name)] = Pin(version.strip())
        elif pin is not None and (via := re.fullmatch(r"\s+# (?:via)?\s*(.*)", line)) and via[1]:
            pin.via.append(via[1])
    return pins


def declared() -> Iterator[tuple[str, Requirement]]:
    """Where pyproject.toml asks for each requirement that applies to the lock's Python."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    groups = {
        "[project] dependencies": project["dependencies"],
        **{f"the {extra} extra": reqs for extra, reqs in project["optional-dependencies"].items()},
        "[build-system] requires": pyproject["build-system"]["requires"],
    }
    for where, requirements in groups.items():
        for text in requirements:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(LOCKED_FOR):
                yield where, requirement


def test_the_lock_pins_every_requirement_at_a_version_pyproject_accepts():
    pins = locked()
    wrong = []
    for where, requirement in declared():
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            wrong.append(f"{requirement.name} ({where}) is not in {LOCK}: {REFRESH}")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            wrong.append(
                f"{requirement.name} ({where}) asks {requirement.specifier}, {LOCK} pins {pin.version}: {REFRESH}"
            )
    assert wrong == [], "\n".join(wrong)


def test_the_lock_pins_nothing_for_the_package_that_pyproject_no_longer_asks():
    names = {canonicalize_name(requirement.name) for _, requirement in declared()}
    stale = [
        f"{name} is in {LOCK} via ivr (pyproject.toml), which no longer asks for it: {REFRESH}"
        for name, pin in locked().items()
        if name not in names and any(via.startswith("ivr (pyproject.toml") for via in pin.via)
    ]
    assert stale == [], "\n".join(stale)
