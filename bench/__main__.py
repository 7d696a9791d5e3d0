"""Run every benchmark and print the figures: `.venv/bin/python -m bench` (or `bench/run`)."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from . import attacks, calls, graph, libraries, profile, routes, servers, speech, stats, synthetic_flow, wrk
from .signing import signed_post

CALL = {
    "CallSid": "CAbench0000000000000000000000000",
    "AccountSid": "ACbench",
    "From": "anonymous",
    "CallStatus": "in-progress",
}
ENTRY, READOUT, DEEP = "entry", "read-out", "deepest read-out"
# A request shaped like Twilio's: the 12 fields of the voice webhook example in Twilio's documentation
# (https://www.twilio.com/docs/voice/twiml#request-parameters), with anonymous values; Digits added
# where keys were pressed. Numbers are sent as Twilio sends them, "+" escaped.
TWILIO_CALL = {
    "AccountSid": "AC" + "0" * 32,
    "ApiVersion": "2010-04-01",
    "CallSid": "CA" + "0" * 32,
    "CallStatus": "in-progress",
    "Called": "+33970000000",
    "Caller": "+33100000000",
    "Direction": "inbound",
    "From": "+33100000000",
    "FromCountry": "FR",
    "To": "+33970000000",
    "ToCountry": "FR",
    "CallerCountry": "FR",
}
TWILIO_CONNECTIONS = 16


def webhooks(flow) -> dict[str, tuple[str, dict[str, str]]]:
    """Return the webhooks to load: the entry, the arrival at the nearest read-out, and at the read-out
    with the most keys (a département's): the biggest pages, each rendered from several prompts."""
    near, deep = routes.first_readout(flow), routes.deepest_readout(flow)
    return {
        ENTRY: ("/voice", CALL),
        f"{READOUT} {near.end}": (near.url(), {**CALL, "Digits": near.keys[-1]}),
        f"{DEEP} {deep.end}": (deep.url(), {**CALL, "Digits": deep.keys[-1]}),
    }


WEBHOOKS = webhooks(routes.load())
THROUGHPUT_TARGET, P99_TARGET = 0.9, 1.5


def fetch(base: str, path: str, params: dict[str, str]) -> bytes:
    """POST once, signed; return the answer, which must be 200."""
    body, headers = signed_post(base + path, params)
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, headers=headers), timeout=10) as r:
        if r.status != 200:
            raise RuntimeError(f"{path}: HTTP {r.status}")
        return r.read()


def machine() -> str:
    """Describe the machine in one line."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def speed(
    app: servers.Server, floor: servers.Server, rounds: int, seconds: float, connections: int, label: str = ""
) -> bool:
    """Load app and floor in interleaved rounds; print the figures and ratios; return whether targets hold."""
    for path, params in WEBHOOKS.values():  # warm up both, caches included
        for server in (app, floor):
            wrk.run(server.base, path, params, 1, connections)
    results = {(name, target): [] for name in WEBHOOKS for target in ("app", "floor")}
    for r in range(rounds):
        for name, (path, params) in WEBHOOKS.items():
            for server in (app, floor) if r % 2 == 0 else (floor, app):
                results[name, server.name].append(wrk.run(server.base, path, params, seconds, connections))
    print(
        f"\n## Webhook speed: app{label} vs floor ({rounds} interleaved rounds of {seconds:g} s, "
        f"wrk, {connections} connections)\n"
    )
    print("| webhook | target | req/s | p50 ms | p99 ms | errors | bytes |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    ok = True
    verdicts = []
    for name in WEBHOOKS:
        med = {}
        for target in ("app", "floor"):
            runs = results[name, target]
            med[target] = {
                "rps": statistics.median(x.rps for x in runs),
                "p50": statistics.median(x.p50_ms for x in runs),
                "p99": statistics.median(x.p99_ms for x in runs),
                "errors": sum(x.errors for x in runs),
            }
            m = med[target]
            print(
                f"| {name} | {target} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {m['errors']} | "
                f"{runs[0].bytes_per_answer:.0f} |"
            )
        rps_ratio = med["app"]["rps"] / med["floor"]["rps"]
        p99_ratio = med["app"]["p99"] / med["floor"]["p99"]
        passed = rps_ratio >= THROUGHPUT_TARGET and p99_ratio <= P99_TARGET and med["app"]["errors"] == 0
        ok &= passed
        verdicts.append(
            f"| {name} | {rps_ratio:.2f} | {p99_ratio:.2f} | {med['app']['errors']} | {'pass' if passed else 'FAIL'} |"
        )
    print(
        f"\n| webhook | throughput app/floor (>= {THROUGHPUT_TARGET}) | p99 app/floor (<= {P99_TARGET}) "
        "| app errors | verdict |"
    )
    print("| --- | ---: | ---: | ---: | --- |")
    print("\n".join(verdicts))
    return ok


def twilio_speed(app: servers.Server, floor: servers.Server, rounds: int, seconds: float) -> bool:
    """Load app and floor side by side with Twilio-shaped signed requests (TWILIO_CALL, 16 connections),
    in interleaved rounds; print each page's ratio; return whether the slowest page reaches the target."""
    hooks = {
        name: (path, {**TWILIO_CALL, **({"Digits": params["Digits"]} if "Digits" in params else {})})
        for name, (path, params) in WEBHOOKS.items()
    }
    for path, params in hooks.values():
        for server in (app, floor):
            wrk.run(server.base, path, params, 1, TWILIO_CONNECTIONS)
    results: dict[tuple[str, str], list] = {(name, target): [] for name in hooks for target in ("app", "floor")}
    for r in range(rounds):
        for name, (path, params) in hooks.items():
            for server in (app, floor) if r % 2 == 0 else (floor, app):
                results[name, server.name].append(wrk.run(server.base, path, params, seconds, TWILIO_CONNECTIONS))
    print(
        f"\n## Twilio-shaped requests ({len(TWILIO_CALL)} fields as in Twilio's example, signed; "
        f"{rounds} interleaved rounds of {seconds:g} s, wrk, {TWILIO_CONNECTIONS} connections; "
        f"{time.strftime('%Y-%m-%d')})\n"
    )
    print("| webhook | app req/s | floor req/s | app/floor | app p99 ms | floor p99 ms | app errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = {}
    for name in hooks:
        app_rps = statistics.median(x.rps for x in results[name, "app"])
        floor_rps = statistics.median(x.rps for x in results[name, "floor"])
        errors = sum(x.errors for x in results[name, "app"])
        rows[name] = (app_rps, app_rps / floor_rps, errors)
        print(
            f"| {name} | {app_rps:.0f} | {floor_rps:.0f} | {app_rps / floor_rps:.2f} "
            f"| {statistics.median(x.p99_ms for x in results[name, 'app']):.2f} "
            f"| {statistics.median(x.p99_ms for x in results[name, 'floor']):.2f} | {errors} |"
        )
    slowest = min(rows, key=lambda name: rows[name][0])
    _, ratio, errors = rows[slowest]
    passed = ratio >= THROUGHPUT_TARGET and errors == 0
    print(
        f"\nTarget: the slowest page ({slowest}) reaches >= {THROUGHPUT_TARGET} x the floor: {ratio:.2f} "
        f"({'pass' if passed else 'FAIL'})."
    )
    return passed


def load(app: servers.Server, calls_n: int, levels: tuple[int, ...], max_seconds: float) -> int:
    """Play complete calls at each concurrency; print the figures; return the error count."""
    plays = calls.scripts(routes.load())
    print(
        f"\n## Complete calls ({len(plays)} kinds of call, in turn; at most {calls_n} calls "
        f"or {max_seconds:g} s per level)\n"
    )
    print("| concurrent calls | calls | calls/s | webhooks/s | webhook | p50 ms | p99 ms | errors |")
    print("| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    errors = 0
    for level in levels:
        r = calls.drive(app.base, plays, calls_n, level, max_seconds)
        errors += r["error_count"]
        for path, p in r["paths"].items():
            print(
                f"| {level} | {r['calls']} | {r['calls_per_s']:.0f} | {r['requests_per_s']:.0f} | {path} "
                f"| {p['p50_ms']:.1f} | {p['p99_ms']:.1f} | {r['error_count']} |"
            )
        for kind, count in r["errors"].items():
            print(f"  error: {kind} x{count}")
    return errors


def memory_line(label: str, server: servers.Server) -> str:
    m = server.memory()
    return (
        f"| {label} | {server.startup_s:.2f} | {m['workers']} | {m['worker_rss_mib']:.1f} | "
        f"{m['worker_pss_mib']:.1f} | {m['master_rss_mib']:.1f} |"
    )


def parts() -> None:
    """Print where the time of each webhook goes, in one process."""
    print("\n## Where the time goes (one process, WSGI call, no HTTP; microseconds per request)\n")
    table = {name: profile.parts(path, params) for name, (path, params) in WEBHOOKS.items()}
    rows = list(dict.fromkeys(k for t in table.values() for k in t))
    print("| part | " + " | ".join(table) + " |")
    print("| --- |" + " ---: |" * len(table))
    for row in rows:
        print(f"| {row} | " + " | ".join(f"{t[row]:.1f}" if row in t else "" for t in table.values()) + " |")
    path, params = list(WEBHOOKS.values())[-1]
    flat = profile.sample(path, params)
    top = [line for line in flat.splitlines() if "%" in line and "bench/" not in line][:15]
    print(f"\nSampling profile of the {list(WEBHOOKS)[-1]} (pyinstrument, self time, top 15):\n")
    print("```\n" + "\n".join(top) + "\n```")


def growth(work: Path, factors: tuple[int, ...], seconds: float, connections: int) -> None:
    """Print start-up time, memory and speed for synthetic flows of growing size."""
    print(
        f"\n## Growth with the flow (synthetic flows; every page visited once, then {seconds:g} s of "
        "load per webhook)\n"
    )
    print(
        "| flow | nodes | start-up s | worker RSS MiB | worker PSS MiB | pages | "
        "entry req/s | deepest read-out req/s | p99 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for factor in factors:
        out = work / f"flow-x{factor}"
        nodes = synthetic_flow.generate(out, factor)
        synthetic_flow.check(out)
        hooks = list(webhooks(routes.load(out / "data", out / "prompts")).values())
        with servers.app_server(work / f"app-x{factor}.log", out / "data", out / "prompts") as app:
            walked = calls.crawl(app.base, 20000, 60)
            entry = wrk.run(app.base, *hooks[0], seconds, connections)
            deep = wrk.run(app.base, *hooks[-1], seconds, connections)
            m = app.memory()
            errors = walked["errors"] + entry.errors + deep.errors
            print(
                f"| x{factor} | {nodes} | {app.startup_s:.2f} | {m['worker_rss_mib']:.1f} | "
                f"{m['worker_pss_mib']:.1f} | {walked['pages']} | {entry.rps:.0f} | {deep.rps:.0f} | "
                f"{max(entry.p99_ms, deep.p99_ms):.2f} |" + (f" errors: {errors}" if errors else "")
            )


def main() -> int:
    """Run the benchmarks; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="bench", description="Benchmark the webhooks against a bare Flask floor.")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of load per round and webhook (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--calls", type=int, default=3000, help="complete calls per concurrency level (default 3000)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 round of 2 s, 500 calls, flows x1 and x10, fewer probes and junk requests",
    )
    parser.add_argument(
        "--skip", nargs="*", default=(), choices=("speed", "calls", "profile", "growth", "attacks", "graph", "speech")
    )
    parser.add_argument(
        "--stats",
        nargs="+",
        default=["sqlite", "postgresql"],
        choices=stats.MODES,
        help="where the app counts its statistics, one speed run each (default: sqlite postgresql)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.calls = 1, 2, 500
    wrk.wrk_path()
    began = time.perf_counter()
    print(
        f"# Benchmark of the webhooks\n\nMachine: {machine()}; gunicorn as in the Procfile: `{servers.procfile_web()}`"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp, stats.databases(args.stats, Path(tmp)) as urls:
        work = Path(tmp)
        with servers.app_server(work / "app.log") as app:
            pages = [fetch(app.base, path, params) for path, params in WEBHOOKS.values()]
        document = work / "floor.xml"
        document.write_bytes(max(pages, key=len))
        with servers.floor_server(document, work / "floor.log") as floor:
            for i, (mode, url) in enumerate(urls.items()):
                app = servers.app_server(work / f"app-{mode}.log", stats_url=url)
                with app:
                    if "speed" not in args.skip:
                        ok &= speed(app, floor, args.rounds, args.seconds, args.connections, stats.label(mode))
                        if i == 0:
                            ok &= twilio_speed(app, floor, max(args.rounds, 4), args.seconds)
                            print("\n## Memory and start-up (after the load above)\n")
                            print(
                                "| server | start-up s (until /healthz answers) | workers | worker RSS MiB "
                                "| worker PSS MiB | master RSS MiB |"
                            )
                            print("| --- | ---: | ---: | ---: | ---: | ---: |")
                            print(memory_line(f"app (default flow{stats.label(mode)})", app))
                            print(memory_line("floor", floor))
                    if "calls" not in args.skip and i == 0:
                        ok &= load(app, args.calls, (4, 16), 60) == 0
                if {"speed", "calls"} - set(args.skip):  # only then were calls counted
                    ok &= stats.report(mode, url)
        if "profile" not in args.skip:
            parts()
            name, (path, params) = list(WEBHOOKS.items())[-1]
            libraries.table(path, {**TWILIO_CALL, **({"Digits": params["Digits"]} if "Digits" in params else {})})
        if "growth" not in args.skip:
            growth(work, (1, 10) if args.quick else (1, 10, 100), min(args.seconds, 3), args.connections)
        if "attacks" not in args.skip:
            ok &= attacks.held_connections(work, 40 if args.quick else 150)
            ok &= attacks.forged_costs(work, 2 if args.quick else 4)
            ok &= attacks.junk_positions(work, 5000 if args.quick else 20000)
        if "graph" not in args.skip:
            graph.table(work)
        if "speech" not in args.skip:
            ok &= speech.table()
    print(f"\nTargets {'hold' if ok else 'MISSED'}; bench took {time.perf_counter() - began:.0f} s.")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
