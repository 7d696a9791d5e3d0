"""How fast `ivr serve` follows an edit: the reload of the shipped flow in-process, then the time from
saving prompts/fr.yaml to the new label served by a running `ivr serve`. `python -m bench.reload`."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from ivr import create_app
from ivr.cli.serve import Watcher

from .servers import free_port

ROOT = Path(__file__).resolve().parent.parent
TRIES = 5


def in_process() -> list[float]:
    """Seconds for one reload of the shipped flow (load, validate, render the entry, swap)."""
    app = create_app({"stats_url": "off"}, dev=True)
    watcher = Watcher(app, echo=lambda *args, **kwargs: None)
    times = []
    for _ in range(TRIES):
        start = time.perf_counter()
        watcher.reload()
        times.append(time.perf_counter() - start)
    return times


def _voice(base: str) -> str:
    request = urllib.request.Request(f"{base}/voice", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def served() -> list[float]:
    """Seconds from saving an edit of prompts/fr.yaml to its text answered by `ivr serve`."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "data", Path(tmp) / "data")
        shutil.copytree(ROOT / "prompts", Path(tmp) / "prompts", ignore=shutil.ignore_patterns("audio", "recordings"))
        prompts = Path(tmp) / "prompts" / "fr.yaml"
        port = free_port()
        env = {**os.environ, "IVR_DATA_DIR": f"{tmp}/data", "IVR_PROMPTS_DIR": f"{tmp}/prompts", "IVR_STATS_URL": "off"}
        command = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--port", str(port)]
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _until(lambda: _voice(base))
            answer = _voice(base)
            doc = yaml.safe_load(prompts.read_text(encoding="utf-8"))
            greeting = doc["prompts"]["greeting"]
            for n in range(TRIES):
                mark = f"Version {'abcdefghij'[n]}."  # in letters: the validation refuses digits
                doc["prompts"]["greeting"] = f"{mark} {greeting}"
                prompts.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
                start = time.perf_counter()
                _until(lambda old=answer: _voice(base) != old)
                times.append(time.perf_counter() - start)
                answer = _voice(base)
                assert mark in answer, "the greeting is not in the answer to a new call"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return times


def _until(check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError("ivr serve did not follow the edit")


def main() -> None:
    for name, times in (("reload of the shipped flow, in-process", in_process()), ("edit saved -> served", served())):
        print(
            f"{name}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms ({TRIES} tries)"
        )


if __name__ == "__main__":
    main()
