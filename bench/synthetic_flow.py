"""Write a valid synthetic flow N times the size of the default one, to measure how the line grows.

The default flow is kept whole; a tree of extra menus (five choices each), read-outs and transfers
hangs under the first free key of the entry menu. Every extra sentence is a copy of one of the default prompts,
and the directory is the default one.

    .venv/bin/python -m bench.synthetic_flow OUT --factor 10
    .venv/bin/ivr check --data OUT/data --prompts OUT/prompts
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FANOUT = 5


def _pool(prompts: dict[str, str], others: set[str]) -> list[str]:
    """Return the flow's own sentences (not those the line says in every menu), in file order, but those
    that name a service in `others` (the synthetic menus hang where the caller has not said who they are)."""
    from ivr.flow.model import SYSTEM_PROMPTS

    return [
        text
        for key, text in prompts.items()
        if key not in SYSTEM_PROMPTS and "{council}" not in text and not any(f"{{{sid}}}" in text for sid in others)
    ]


def _for_everyone(entry: dict, professions: dict) -> bool:
    """Tell whether a service of the directory serves every caller (every profession, and families)."""
    served = entry.get("professions")
    return served == "all" or (set(professions) <= set(served or ()) and bool(entry.get("families")))


def generate(out: Path, factor: int, data_dir: Path = ROOT / "data", prompts_dir: Path = ROOT / "prompts") -> int:
    """Write data/ and prompts/ under out, `factor` times the default node count; return the node count."""
    flow = yaml.safe_load((data_dir / "flow.yaml").read_text(encoding="utf-8"))
    prompts_file = yaml.safe_load((prompts_dir / "fr.yaml").read_text(encoding="utf-8"))
    prompts = prompts_file["prompts"]
    raw_directory = yaml.safe_load((data_dir / "directory.yaml").read_text(encoding="utf-8"))
    directory = raw_directory["services"]
    # The synthetic menus hang under a choice that says nothing of the caller: only lines for every
    # caller may be read there (the first ear), and only numbers read at any hour (a service that
    # keeps office hours needs a closed sentence of its own).
    everyone = {sid for sid, entry in directory.items() if _for_everyone(entry, raw_directory["professions"])}
    services = [sid for sid in directory if sid in everyone and directory[sid].get("open", "24/7") == "24/7"]
    nodes = flow["nodes"]
    base = len(nodes)
    extra = max(0, base * factor - base)
    pool = _pool(prompts, set(directory) - everyone)
    failure = nodes[flow["operator"]]["on_failure"]
    entry = nodes[flow["entry"]]
    used = {o["key"] for o in entry["options"]}
    hook = next(str(k) for k in range(1, 10) if str(k) not in used)
    dialled = nodes[flow["operator"]]["services"]
    if extra:
        entry["options"].append({"key": hook, "say": "syn_opt_0", "target": "syn_0"})
        prompts["syn_opt_0"] = pool[0]
    for i in range(extra):
        nid = f"syn_{i}"
        children = [c for c in range(FANOUT * i + 1, FANOUT * i + FANOUT + 1) if c < extra]
        if children:
            prompts[f"syn_q_{i}"] = pool[i % len(pool)]
            options = []
            for key, c in enumerate(children, start=1):
                prompts[f"syn_opt_{c}"] = pool[c % len(pool)]
                options.append({"key": str(key), "say": f"syn_opt_{c}", "target": f"syn_{c}"})
            nodes[nid] = {"type": "menu", "say": [f"syn_q_{i}"], "options": options}
        elif i % 3:
            prompts[f"syn_intro_{i}"] = pool[i % len(pool)]
            nodes[nid] = {"type": "readout", "service": services[i % len(services)], "intro": [f"syn_intro_{i}"]}
        else:
            prompts[f"syn_intro_{i}"] = pool[i % len(pool)]
            nodes[nid] = {"type": "transfer", "services": dialled, "intro": [f"syn_intro_{i}"], "on_failure": failure}
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "prompts").mkdir(parents=True, exist_ok=True)
    for name in ("directory.yaml", "councils.yaml"):
        shutil.copy(data_dir / name, out / "data" / name)
    dump = {"width": 1000, "allow_unicode": True, "sort_keys": False}
    (out / "data" / "flow.yaml").write_text(yaml.safe_dump(flow, **dump), encoding="utf-8")
    (out / "prompts" / "fr.yaml").write_text(yaml.safe_dump(prompts_file, **dump), encoding="utf-8")
    return len(nodes)


def check(out: Path) -> None:
    """Validate the written flow with `ivr check`; raise when it is not valid."""
    ivr = Path(sys.executable).parent / "ivr"
    subprocess.run(
        [str(ivr), "check", "--data", str(out / "data"), "--prompts", str(out / "prompts")],
        check=True,
        capture_output=True,
        text=True,
    )


def main() -> None:
    """Write a synthetic flow and validate it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--factor", type=int, default=10)
    args = parser.parse_args()
    count = generate(args.out, args.factor)
    check(args.out)
    print(f"{args.out}: {count} nodes, valid")


if __name__ == "__main__":
    main()
