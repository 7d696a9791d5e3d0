"""How long understanding a sentence takes, over the corpus of what callers say
(tests/speech_corpus.yaml): `.venv/bin/python -m bench.speech` (or part of bench/run)."""

from __future__ import annotations

import statistics
import time

import yaml

from ivr.flow.model import Department
from ivr.flow.speech import Listener, understand

from . import routes

CORPUS = routes.ROOT / "tests" / "speech_corpus.yaml"
MENU, DEPARTMENT = "menu", "département question"
TARGETS_US = {MENU: 100.0, DEPARTMENT: 200.0}  # per sentence, median
CONFIDENCE, THRESHOLD = 0.9, 0.5


def timed(rounds: int = 5, repeat: int = 20) -> dict[str, tuple[int, float, float]]:
    """Each kind of prompt: the sentences said there, and the median and slowest µs per sentence
    (the median of `rounds` rounds, each saying every sentence `repeat` times)."""
    flow = routes.load()
    said: dict[str, list[tuple[Listener, str]]] = {MENU: [], DEPARTMENT: []}
    for node, words, _ in yaml.safe_load(CORPUS.read_text(encoding="utf-8")):
        kind = DEPARTMENT if isinstance(flow.nodes[node], Department) else MENU
        listener = flow.listeners[node]
        assert isinstance(listener, Listener)
        said[kind].append((listener, words))
    out = {}
    for kind, sentences in said.items():
        per_sentence = []
        for listener, words in sentences:
            runs = []
            for _ in range(rounds):
                began = time.perf_counter()
                for _ in range(repeat):
                    understand(listener, words, CONFIDENCE, THRESHOLD)
                runs.append((time.perf_counter() - began) / repeat * 1e6)
            per_sentence.append(statistics.median(runs))
        out[kind] = (len(sentences), statistics.median(per_sentence), max(per_sentence))
    return out


def table() -> bool:
    """Print µs per sentence at a menu and at the département question; return whether targets hold."""
    figures = timed()
    print("\n## Understanding what callers say (`understand()`, the corpus of tests/speech_corpus.yaml)\n")
    print("| prompt | sentences | median µs per sentence | slowest µs | target µs (median) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, (count, median, slowest) in figures.items():
        print(f"| {kind} | {count} | {median:.1f} | {slowest:.1f} | {TARGETS_US[kind]:.0f} |")
    return all(figures[kind][1] < target for kind, target in TARGETS_US.items())


if __name__ == "__main__":
    raise SystemExit(0 if table() else 1)
