"""The line under attack, measured: held connections, forged requests, junk positions."""

from __future__ import annotations

import concurrent.futures
import secrets
import statistics
import time

from . import forged, idle, servers, wrk
from .signing import signed_post

CALL = {"CallSid": "CA" + "0" * 32, "AccountSid": "AC" + "0" * 32, "From": "anonymous"}
HOOKS = {
    "signed /voice": ("/voice", CALL, True),
    "fallback (unsigned)": ("/voice/fallback", {**CALL, "ErrorCode": "11200"}, False),
}
HELD = (0, 60, 500)
SLOW_BODIES_HELD = 2000  # one client's bodies sent a byte every 4 s: about 0.5 kB/s in all
P99_MS, COST_RATIO, GROWTH_MIB = 500.0, 2.0, 20.0
WORKERS = {"gevent (Procfile)": None, "gthread, 8 threads": "--worker-class gthread --threads 8"}


def held_connections(work, probes: int) -> bool:
    """Print p50/p99/errors of signed calls and the fallback while connections are held open, for the
    Procfile's workers and for threads; return whether the Procfile's hold the targets."""
    print(
        f"\n## Held connections (idle, slow headers, slow body, a third each, opened again when the server "
        f"closes them; at least {probes} probes per hook and 12 s per level, each on a new connection, "
        "one at a time)\n"
    )
    print("| workers | held | hook | requests | p50 ms | p99 ms | max ms | errors | reopened | verdict |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    ok = True
    web = servers.procfile_web()
    for label, flags in WORKERS.items():
        command = web if flags is None else servers.with_worker(web, flags)
        with servers.Server("app", command, env=servers.line_env(), log=work / f"held-{label.split()[0]}.log") as app:
            for held in HELD:
                for hook, r in idle.measure(app.base, held, probes, HOOKS, max_seconds=45, min_seconds=12).items():
                    passed = r["errors"] == 0 and r["p99_ms"] < P99_MS
                    if flags is None:
                        ok &= passed
                    print(
                        f"| {label} | {held} | {hook} | {r['requests']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                        f"| {r['max_ms']:.1f} | {r['errors']} | {r['reopened']} | {'pass' if passed else 'FAIL'} |"
                    )
        if flags is None:
            with servers.Server("app", command, env=servers.line_env(), log=work / "slow-bodies.log") as app:
                results = idle.measure(
                    app.base, SLOW_BODIES_HELD, probes, HOOKS, max_seconds=45, min_seconds=20, kinds=idle.SLOW_BODIES
                )
            for hook, r in results.items():
                passed = r["errors"] == 0 and r["p99_ms"] < P99_MS
                ok &= passed
                print(
                    f"| {label}, slow bodies only | {SLOW_BODIES_HELD} | {hook} | {r['requests']} | {r['p50_ms']:.1f} "
                    f"| {r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors']} | {r['reopened']} "
                    f"| {'pass' if passed else 'FAIL'} |"
                )
    print(
        f"\nTarget (Procfile): p99 < {P99_MS:.0f} ms and no error with 0, 60 and 500 connections held, and with "
        f"{SLOW_BODIES_HELD} bodies sent a byte every 4 s; an error is no 200 within Twilio's "
        f"{idle.TWILIO_LIMIT_S:.0f} s."
    )
    return ok


def forged_costs(work, rounds: int, seconds: float = 3.0, connections: int = 8) -> bool:
    """Print what each kind of forged request costs the Procfile's server over HTTP (wrk, interleaved
    rounds; gunicorn reads or drains every body), and in one process for reference; return whether the
    target holds over HTTP."""
    cases = forged.requests()
    over_http: dict[str, list[float]] = {name: [] for name in cases}
    with servers.Server("app", servers.procfile_web(), env=servers.line_env(), log=work / "forged.log") as app:
        for r in range(rounds):
            for name, (env, _) in cases.items() if r % 2 == 0 else reversed(cases.items()):
                path = env["PATH_INFO"] + (f"?{env['QUERY_STRING']}" if env.get("QUERY_STRING") else "")
                signature = env.get("HTTP_X_TWILIO_SIGNATURE", "")
                if name == forged.REFERENCE:
                    result = wrk.run(app.base, path, forged.CALL, seconds, connections)
                else:
                    result = wrk.run(app.base, path, {}, seconds, connections, forged=(env["_body"], signature))
                over_http[name].append(1e6 / result.rps if result.rps else float("nan"))
    in_process = forged.costs(rounds=rounds)
    http = {name: statistics.median(values) for name, values in over_http.items()}
    small = http["forged small"]
    print(
        f"\n## Forged requests (the Procfile's server, wrk, {connections} connections, {rounds} interleaved rounds "
        f"of {seconds:g} s: server time per request, µs = 1 / throughput; and one process, WSGI call)\n"
    )
    print("| request | body bytes | HTTP µs | / forged small | one process µs | / forged small |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (env, _) in cases.items():
        print(
            f"| {name} | {len(env['_body'])} | {http[name]:.0f} | {http[name] / small:.2f} | {in_process[name]:.0f} "
            f"| {in_process[name] / in_process['forged small']:.2f} |"
        )
    ratio = http["forged 64 kB"] / small
    print(
        f"\nTarget: over HTTP, a forged 64 kB request costs at most {COST_RATIO:g}x a small one: {ratio:.2f} "
        f"({'pass' if ratio <= COST_RATIO else 'FAIL'})."
    )
    return ratio <= COST_RATIO


def _junk(base: str, i: int) -> int:
    pad = secrets.token_hex(750)  # 1.5 kB: the request line stays under the Procfile's limit
    if i % 2:
        path, params = f"/voice/key?n=welcome&pad={pad}", {**CALL, "Digits": f"1{pad}"}
    else:
        path, params = f"/voice/dial?n=listening_team&t=welcome&pad={pad}", {**CALL, "DialCallStatus": f"busy{pad}"}
    body, headers = signed_post(base + path, params)
    return idle.post(base, path, body, headers)


def junk_positions(work, count: int) -> bool:
    """Send signed requests at real positions padded with junk; print the workers' memory growth."""
    with servers.Server("app", servers.procfile_web(), env=servers.line_env(), log=work / "junk.log") as app:
        for i in range(200):
            _junk(app.base, i)
        before = app.memory()["worker_rss_mib"]
        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda i: _junk(app.base, i), range(count)))
        seconds = time.perf_counter() - began
        grown = app.memory()["worker_rss_mib"] - before
    errors = sum(status != 200 for status in statuses)
    ok = grown < GROWTH_MIB and errors == 0
    print(
        f"\n## Junk positions ({count} signed requests, each a real position padded with 1.5 kB of junk in "
        f"the URL and in the key, in {seconds:.0f} s)\n"
    )
    print(
        f"Worker RSS {before:.1f} MiB before, growth {grown:+.1f} MiB (target < {GROWTH_MIB:g} MiB), "
        f"{errors} errors: {'pass' if ok else 'FAIL'}."
    )
    return ok
