"""Mutation testing of the core, one module at a time against its own tests (scripts/mutate).

Each module of [tool.ivr.mutate.modules] in pyproject.toml is mutated by mutmut in a folder of
its own under .mutate/ (mutmut reads its settings from the pyproject.toml of the folder it runs
in), against the test files listed for it; mutmut runs, for each mutant, only those of these
tests that call the mutated function. Then, per module: the score and every surviving mutant as a
diff. Mutants shown equivalent (no behaviour tells them apart) are listed with a reason in
[tool.ivr.mutate.equivalent] and left out of the score.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutate"
LINKED = ("ivr", "tests", "data", "prompts", "bench")  # what the tests need, seen from the module's folder
PLUGIN = "mutate_fixtures"  # scripts/mutate_fixtures.py: a shared fixture's calls count for each test using it
TARGET = 90.0  # per cent


@dataclass
class Result:
    module: str
    killed: list[str] = field(default_factory=list)
    equivalent: dict[str, str] = field(default_factory=dict)
    survived: list[str] = field(default_factory=list)
    other: dict[str, str] = field(default_factory=dict)  # no tests, timeout, suspicious...
    diffs: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # listed as equivalent, yet killed or gone
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.killed) + len(self.equivalent) + len(self.survived) + len(self.other)

    @property
    def score(self) -> float:
        """Killed among the mutants not shown equivalent, in per cent."""
        counted = self.total - len(self.equivalent)
        return 100.0 * len(self.killed) / counted if counted else 100.0


def settings() -> tuple[dict, dict[str, list[str]], dict[str, str]]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    own = pyproject["tool"]["ivr"]["mutate"]
    return pyproject, own["modules"], own.get("equivalent", {})


def folder(module: str) -> Path:
    return WORK / module.removesuffix(".py").replace("/", ".")


def prepare(module: str, tests: list[str], pyproject_text: str) -> Path:
    """A fresh folder for one module: links to the checkout, and mutmut's settings for it."""
    work = folder(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in LINKED:
        (work / name).symlink_to(ROOT / name, target_is_directory=True)
    (work / f"{PLUGIN}.py").symlink_to(ROOT / "scripts" / f"{PLUGIN}.py")
    listed = ", ".join(f'"{t}"' for t in tests)
    own = (
        "\n[tool.mutmut]\n"
        'source_paths = ["ivr"]\n'
        f'only_mutate = ["{module}"]\n'
        f"pytest_add_cli_args_test_selection = [{listed}]\n"
        f'also_copy = ["data", "prompts", "bench", "{PLUGIN}.py"]\n'
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "{PLUGIN}"]\n'
        "use_git_change_detection = false\n"
    )
    (work / "pyproject.toml").write_text(pyproject_text + own, encoding="utf-8")
    return work


def run(module: str, tests: list[str], equivalent: dict[str, str], pyproject_text: str, jobs: int) -> Result:
    start = time.monotonic()
    work = prepare(module, tests, pyproject_text)
    env = {**os.environ, "PYTHONPATH": ""}  # the mutated copy, never the checkout, is imported
    log = work / "mutmut.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        sys.exit(f"mutate: mutmut failed on {module} (exit {done.returncode}); see {log.relative_to(ROOT)}")
    result = Result(module, seconds=time.monotonic() - start)
    read(result, work, equivalent)
    return result


def read(result: Result, work: Path, equivalent: dict[str, str]) -> None:
    """Sort the module's mutants by what became of them, with the diff of each survivor."""
    here = Path.cwd()
    os.chdir(work)
    try:
        from mutmut.configuration import reset_config
        from mutmut.mutation.data import SourceFileMutationData
        from mutmut.mutation.diff_apply import get_diff_for_mutant
        from mutmut.stats import status_by_exit_code

        reset_config()
        data = SourceFileMutationData(path=Path(result.module))
        data.load()
        prefix = result.module.removesuffix(".py").replace("/", ".") + "."
        for name, code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[code]
            if name in equivalent:
                if status == "killed":
                    result.stale.append(f"{name}: listed as equivalent, yet killed")
                    result.killed.append(name)
                else:
                    result.equivalent[name] = equivalent[name]
            elif status == "killed":
                result.killed.append(name)
            else:
                if status == "survived":
                    result.survived.append(name)
                else:
                    result.other[name] = status
                result.diffs[name] = get_diff_for_mutant(name, path=Path(result.module))
        known = set(data.exit_code_by_key)
        result.stale += [
            f"{name}: listed as equivalent, no such mutant"
            for name in equivalent
            if name.startswith(prefix) and name not in known
        ]
    finally:
        os.chdir(here)


def report(result: Result) -> None:
    others = sorted(set(result.other.values()))
    print(f"== {result.module}")
    for name in result.survived + list(result.other):
        print(f"-- {name}: {result.other.get(name, 'survived')}")
        print(result.diffs[name])
    for line in result.stale:
        print(f"!! {line}")
    print(
        f"{result.module}: {result.total} mutants, {len(result.killed)} killed, "
        f"{len(result.equivalent)} equivalent, {len(result.survived)} survived"
        + "".join(f", {sum(1 for s in result.other.values() if s == k)} {k}" for k in others)
        + f": score {result.score:.1f} % ({result.seconds:.0f} s)"
    )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/mutate", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help="e.g. ivr/flow/speech.py (default: every one)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("IVR_MUTATE_JOBS", "1")))
    parser.add_argument(
        "--report", action="store_true", help="report the last run again (after editing the list of equivalents)"
    )
    args = parser.parse_args()
    pyproject, modules, equivalent = settings()
    chosen = [m if m.endswith(".py") else m.replace(".", "/") + ".py" for m in args.modules] or list(modules)
    unknown = [m for m in chosen if m not in modules]
    if unknown:
        sys.exit(f"mutate: not in [tool.ivr.mutate.modules] of pyproject.toml: {', '.join(unknown)}")
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.mutmut]" in text:
        sys.exit("mutate: pyproject.toml has its own [tool.mutmut]; the settings of each module are written here")
    started = time.monotonic()
    if args.report:
        results = []
        for m in chosen:
            if not (folder(m) / "mutants").is_dir():
                sys.exit(f"mutate: {m} has not been run yet")
            results.append(Result(m))
            read(results[-1], folder(m), equivalent)
    else:
        results = [run(m, modules[m], equivalent, text, args.jobs) for m in chosen]
    for result in results:
        report(result)
    print("module | mutants | killed | equivalent | survived | other | score")
    for r in results:
        print(
            f"{r.module} | {r.total} | {len(r.killed)} | {len(r.equivalent)} | {len(r.survived)} | "
            f"{len(r.other)} | {r.score:.1f} %"
        )
    print(f"{time.monotonic() - started:.0f} s in all")
    below = [r.module for r in results if r.score < TARGET]
    if below:
        print(f"below {TARGET:.0f} %: {', '.join(below)}")


if __name__ == "__main__":
    main()
