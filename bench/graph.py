"""How long `ivr graph` takes to draw synthetic flows: `.venv/bin/python -m bench.graph` (or part of bench/run)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from ivr.config import Settings
from ivr.flow.names import build
from ivr.line.runtime import Line
from ivr.review.graph import picture, render

from . import synthetic_flow


def timed(factor: int, work: Path, rounds: int = 3) -> dict[str, float]:
    """Draw the flow `factor` times the default: the nodes drawn, and the median seconds to name its ids in words,
    to build the graph (budget included) and to render it as SVG and PNG."""
    out = work / f"graph-x{factor}"
    synthetic_flow.generate(out, factor)
    line = Line.build(Settings.from_env(data_dir=out / "data", prompts_dir=out / "prompts"))
    figures: dict[str, list[float]] = {"words": [], "build": [], "svg": [], "png": []}
    for _ in range(rounds):
        began = time.perf_counter()
        build(line.flow)  # the words of every id, built once per loaded flow (Line.build)
        figures["words"].append(time.perf_counter() - began)
        began = time.perf_counter()
        picture(line)
        figures["build"].append(time.perf_counter() - began)
        for fmt in ("svg", "png"):
            began = time.perf_counter()
            render(line, fmt)
            figures[fmt].append(time.perf_counter() - began)
    return {"nodes": len(line.flow.nodes), **{k: statistics.median(v) for k, v in figures.items()}}


def table(work: Path, factors: tuple[int, ...] = (1, 10)) -> None:
    """Print the drawing time of each synthetic flow as a Markdown table."""
    print("\n## Drawing the flow (`ivr graph`, Graphviz dot; median of 3)\n")
    print("| flow | nodes | words of the ids ms | graph built (budget included) s | SVG s | PNG s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for factor in factors:
        f = timed(factor, work)
        words = 1000 * f["words"]
        print(f"| x{factor} | {f['nodes']} | {words:.1f} | {f['build']:.2f} | {f['svg']:.2f} | {f['png']:.2f} |")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ivr-bench-graph-") as tmp:
        table(Path(tmp))


if __name__ == "__main__":
    main()
