"""Two servers of two workers each (the Procfile's gunicorn) count into one PostgreSQL, exactly."""

from __future__ import annotations

from collections import Counter

from ivr.config import Settings
from ivr.flow.loader import load_flow
from ivr.simulator.player import Call
from ivr.simulator.transport import http_transport
from ivr.stats.events import COUNTED_SIMULATION
from ivr.stats.store import Store
from tests.postgres import new_database
from tests.routes import key_paths
from tests.servers import wait_until_up
from tests.test_wsgi import free_port, run_procfile

TOKEN = "s" * 32
FLOW = load_flow(Settings().data_dir, Settings().prompts_dir)
PATHS = key_paths(FLOW)
LISTENING = FLOW.nodes[FLOW.operator].services  # the first ear's tries, in turn (0 and silence)
DOCTORS = FLOW.operator_of("doctor_needs")  # the doctors' line: médecin, soutien psychologique
DOCTORS_FIRST = FLOW.nodes[DOCTORS].services[0]
ROUTES = {  # keys and transfer outcomes -> the choice that shows the route
    PATHS["social_help"]: ("choice", "doctor_needs", "social_help"),
    ("0", "busy"): ("transfer_end", LISTENING[0], "busy"),
    (*PATHS[DOCTORS], "completed"): ("transfer_end", DOCTORS_FIRST, "completed"),
}


def test_two_servers_of_two_workers_count_every_call_exactly_once(postgres_server):
    url = new_database(postgres_server, "ivr_two_servers")
    env = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "WEB_CONCURRENCY": "2",
        "IVR_STATS_URL": url.replace("+psycopg", ""),
        "IVR_STATS_FLUSH": "300",
    }  # only the flush at shutdown writes: nothing may be lost there
    ports = [free_port(), free_port()]
    procs = [run_procfile(env, port) for port in ports]
    expected: Counter = Counter()
    calls = 0
    try:
        for proc, port in zip(procs, ports, strict=True):
            wait_until_up(proc, f"http://127.0.0.1:{port}")
        for i in range(24):
            keys, route = list(ROUTES.items())[i % len(ROUTES)]
            base = f"http://127.0.0.1:{ports[i % 2]}"
            call = Call(http_transport(TOKEN), f"{base}/voice", caller="+33687654321")
            call.account = COUNTED_SIMULATION
            call.start()
            for token in keys:
                call.act(token)
            call.hang_up()
            assert call.error is None, call.error
            expected[route] += 1
            calls += 1
    finally:
        for proc in procs:
            proc.terminate()
        logs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_, err) in zip(procs, logs, strict=True):
        assert proc.returncode == 0, err
        assert "statistics" not in err, err
    store = Store(url)
    totals: Counter = Counter()
    for row in store.rows():
        totals[(row.event, row.subject, row.outcome)] += row.count
    store.dispose()
    assert totals[("call", "", "answered")] == calls == 24
    assert totals[("reached", "welcome", "")] == calls
    for route, n in expected.items():
        assert totals[route] == n, route
    # 8 for soutien psychologique (the doctors' line), 8 for 0 (the first ear), and 8 second tries after
    # busy (the first ear again, or another line)
    transfers = Counter([DOCTORS_FIRST] * 8 + [LISTENING[0]] * 8 + [LISTENING[1]] * 8)
    for service in {*transfers, *FLOW.services}:
        assert totals[("transfer", service, "")] == transfers[service], service
    assert totals[("number", "social_service", "")] == 8
