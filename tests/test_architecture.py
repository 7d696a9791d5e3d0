"""The tree reads like the architecture, and imports only go one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGE = ROOT / "ivr"
PARTS = ("flow", "stats", "line", "simulator", "audio", "deploy", "review", "cli")
# What each part may import of the others (the top-level modules config, errors are shared).
ALLOWED = {
    "flow": set(),
    "stats": {"flow"},
    "line": {"flow", "stats"},
    "simulator": {"flow"},
    "audio": {"flow"},
    "deploy": {"flow", "simulator", "audio"},
    "review": {"flow", "line", "simulator"},
    "cli": {"flow", "stats", "line", "simulator", "audio", "deploy", "review", "app"},
}
FORBIDDEN_LIBRARIES = {"flow": {"flask", "werkzeug", "gunicorn"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, source: str | None = None) -> set[str]:
    """Return every module a source file imports, relative imports made absolute."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if source is None else source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _sources(part: str) -> list[Path]:
    return sorted((PACKAGE / part).rglob("*.py"))


@pytest.mark.parametrize("part", PARTS)
def test_imports_only_go_downward(part):
    wrong = []
    for path in _sources(part):
        for module in imports_of(path):
            pieces = module.split(".")
            if pieces[0] == "ivr" and len(pieces) > 1 and pieces[1] in (*PARTS, "app") and pieces[1] != part:
                if pieces[1] not in ALLOWED[part]:
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            if pieces[0] in FORBIDDEN_LIBRARIES.get(part, ()):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_the_import_check_sees_a_forbidden_import():
    """The check above would catch a flow module importing the web app, relatively or not."""
    model = PACKAGE / "flow" / "model.py"
    assert "ivr.line.webhooks" in imports_of(model, "from ..line import webhooks\n")
    assert "ivr.simulator.player" in imports_of(model, "from ivr.simulator.player import Call\n")
    assert "flask" in imports_of(model, "import flask\n")
    assert "ivr.flow.directory" in imports_of(model, "from .directory import Service\n")


def test_the_flow_model_loads_without_the_web_app():
    """Loading and walking the flow imports neither Flask nor the line nor the simulator."""
    code = (
        "import sys\nfrom ivr.flow.loader import load_flow\nfrom ivr.flow import moves\n"
        f"flow = load_flow({str(ROOT / 'data')!r}, {str(ROOT / 'prompts')!r})\n"
        "moves.press(flow, moves.start(flow).position, '1', 2)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug') "
        "or m.startswith(('ivr.line', 'ivr.simulator', 'ivr.app'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_package_shows_its_parts_at_a_glance():
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert entries == [
        "__init__.py",
        "app.py",
        "audio",
        "cli",
        "config.py",
        "deploy",
        "errors.py",
        "flow",
        "line",
        "review",
        "simulator",
        "stats",
        "wsgi.py",
    ]
