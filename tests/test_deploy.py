"""What a host builds from a checkout: `pip install -r requirements.txt` in a fresh virtualenv,
then the Procfile's web: line. It answers a signed call, with the versions of the lock, and the
lock agrees with pyproject.toml."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from twilio.request_validator import RequestValidator

from ivr.deploy.numbers import Webhooks
from ivr.deploy.smoke import smoke_call
from tests.caller import Caller
from tests.paths import LINE_NUMBER, ROOT
from tests.servers import HttpClient, wait_until_up
from tests.test_wsgi import free_port, run_procfile

LOCK = "constraints.txt"
REFRESH = "run scripts/lock, then the tests"
WHEELHOUSE = ROOT / ".venv" / "wheelhouse"  # filled by scripts/setup with the test extra
# What a host's checkout holds, beside data/ and prompts/ (prompts/audio and recordings are not committed).
HOST_FILES = ("pyproject.toml", "README.md", "requirements.txt", LOCK, "Procfile", ".python-version")
NOT_LOCKED = {"pip", "setuptools", "wheel", "ivr"}  # a virtualenv's own tools, and the package itself
LOCKED_FOR = {"python_version": "3.11", "python_full_version": "3.11.0"}  # .python-version
TOKEN = "d" * 32


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


@pytest.fixture(scope="module")
def host(tmp_path_factory) -> Path:
    """A host's build, offline: the checkout's files, a fresh virtualenv, `pip install -r requirements.txt`."""
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"no {WHEELHOUSE}: run scripts/setup test")
    app = tmp_path_factory.mktemp("host") / "app"
    app.mkdir()
    for name in HOST_FILES:
        shutil.copy(ROOT / name, app / name)
    for name in ("ivr", "data"):
        shutil.copytree(ROOT / name, app / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "prompts", app / "prompts", ignore=shutil.ignore_patterns("audio", "recordings"))
    subprocess.run([sys.executable, "-m", "venv", app / "venv"], check=True, capture_output=True, timeout=120)
    pip = [app / "venv" / "bin" / "python", "-m", "pip"]
    install = pip + ["install", "--no-index", "--find-links", WHEELHOUSE, "-r", "requirements.txt"]
    built = subprocess.run(install, cwd=app, env=host_environ(app), capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    return app


def host_environ(app: Path) -> dict:
    """A host's environment, not this process's: no PYTHONPATH, no IVR_* settings, no pip configuration."""
    return {
        "PATH": os.defpath,
        "HOME": str(app.parent),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def test_a_host_install_answers_a_signed_call_and_puts_it_through(host):
    port = free_port()
    environ = host_environ(host)
    proc = run_procfile({"TWILIO_AUTH_TOKEN": TOKEN}, port, cwd=host, bin_dir=host / "venv" / "bin", environ=environ)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base)
        sign = RequestValidator(TOKEN).compute_signature
        caller = Caller(HttpClient(base), headers=lambda url, form: {"X-Twilio-Signature": sign(url, form)}, base=base)
        caller.answer()
        put_through = caller.press("0")
        assert put_through.dial is not None and put_through.dialled, put_through.body
        # Every other webhook as Twilio calls it (the fallback, the status callback), and forgeries.
        unset = Webhooks(None, None, None, None, None, None)
        checks = list(smoke_call(base, unset, TOKEN, "AC" + "0" * 32, LINE_NUMBER))
        assert len(checks) == 5 and [c for c in checks if not c.ok] == []
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "POST /voice/key 200" in out + err


def test_a_host_install_holds_the_locked_versions_and_nothing_else(host):
    listed = subprocess.run(
        [host / "venv" / "bin" / "python", "-m", "pip", "list", "--format=json"],
        env=host_environ(host),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    installed = {canonicalize_name(d["name"]): d["version"] for d in json.loads(listed.stdout)}
    pins = locked()
    assert "packaging" in installed, "gunicorn's gevent worker imports it"
    wrong = [
        f"{name} {version} (the lock: {pins[name].version if name in pins else 'not listed'})"
        for name, version in sorted(installed.items())
        if name not in NOT_LOCKED and (name not in pins or pins[name].version != version)
    ]
    assert wrong == [], "installed, not as locked: " + ", ".join(wrong)
