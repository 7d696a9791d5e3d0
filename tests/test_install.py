"""The `ivr` command finds data/ and prompts/ in the folder it runs from, however it was installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT


def ivr(args: list[str], cwd: Path, site: Path | None = None) -> subprocess.CompletedProcess:
    """Run the `ivr` command as a console script would, with `site` first on the path when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    code = "import sys, ivr; from ivr.cli import main; print('package:', ivr.__file__); main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def checkout_copy(where: Path) -> Path:
    """Copy the flow's folders, as a second checkout (or a container's working folder) holds them."""
    shutil.copytree(ROOT / "data", where / "data")
    shutil.copytree(ROOT / "prompts", where / "prompts", ignore=shutil.ignore_patterns("audio", "recordings"))
    return where


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """Install the package as a container build does (`pip install .`, not editable)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "ivr", source / "ivr", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(base / "site"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return base / "site"


def test_an_installed_package_checks_the_flow_of_the_folder_it_runs_from(installed, tmp_path):
    here = checkout_copy(tmp_path / "work")
    result = ivr(["check"], cwd=here, site=installed)
    assert result.returncode == 0, result.stderr
    assert f"package: {installed}" in result.stdout, "the installed copy ran, not the checkout"
    assert "The call flow is valid" in result.stdout


def test_an_installed_package_serves_the_keypad_files(installed):
    assert (installed / "ivr" / "simulator" / "static" / "keypad" / "keypad.html").is_file()


@pytest.mark.parametrize("mode", ["installed", "editable"])
def test_without_data_here_the_command_says_where_it_looked(mode, installed, tmp_path):
    result = ivr(["check"], cwd=tmp_path, site=installed if mode == "installed" else None)
    assert result.returncode == 1
    assert f"no such folder: {tmp_path / 'data'}" in result.stderr
    assert "set IVR_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_checkout_reads_and_writes_its_own_folders(tmp_path):
    """Run with this checkout's environment (editable install) from another folder: that folder's
    flow is read, and `ivr prompts build` writes into that folder's prompts/audio/."""
    other = checkout_copy(tmp_path / "other")
    flow = other / "data" / "flow.yaml"
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("on_failure: other_lines", "on_failure: nowhere"), encoding="utf-8"
    )
    broken = ivr(["check"], cwd=other)
    assert broken.returncode == 1
    assert f"package: {ROOT / 'ivr'}" in broken.stdout, "this checkout's package ran"
    assert "unknown node 'nowhere'" in broken.stderr
    assert ivr(["check"], cwd=ROOT).returncode == 0, "the checkout's own flow is untouched"

    shutil.rmtree(other)
    other = checkout_copy(tmp_path / "other")
    before = sorted((ROOT / "prompts").rglob("*"))
    built = ivr(["prompts", "build"], cwd=other)
    assert built.returncode == 0, built.stderr
    assert (other / "prompts" / "audio" / "manifest.json").is_file()
    assert sorted((ROOT / "prompts").rglob("*")) == before
