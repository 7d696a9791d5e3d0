"""PostgreSQL killed in the middle of the calls: every call is counted, exactly, once it is back."""

from __future__ import annotations

import shutil
from collections import Counter

from ivr.stats.spool import folder_for
from ivr.stats.store import Store
from tests.postgres import Cluster, new_database
from tests.test_wsgi import ROOT, free_port

from .helpers import Served, timed_calls

TOKEN = "s" * 32
KEYS = ("1", "3")  # a doctor, then psychological support: a transfer


def _totals(url: str) -> Counter:
    store = Store(url)
    try:
        totals: Counter = Counter()
        for row in store.rows():
            totals[(row.event, row.subject, row.outcome)] += row.count
        return totals
    finally:
        store.dispose()


def test_calls_made_while_the_database_is_down_are_counted_when_it_is_back():
    cluster = Cluster()
    url = new_database(cluster.start(), "ivr_outage")
    spool = folder_for(ROOT / "instance", url)
    shutil.rmtree(spool, ignore_errors=True)
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "WEB_CONCURRENCY": "2", "IVR_STATS_URL": url, "IVR_STATS_FLUSH": "1"}
    try:
        served = Served(env, free_port())
        try:
            before, _ = timed_calls(served.base, TOKEN, 3, KEYS)
            cluster.halt()  # killed, whatever the workers were writing
            during, _ = timed_calls(served.base, TOKEN, 5, KEYS)
            err = served.stop()
        finally:
            served.close()
        assert "count(s) spooled to" in err, err
        assert "lost" not in err, err
        assert list(spool.glob("*.json")) != []
        cluster.restart()
        # Two servers start together: each replays the spool at start, and each batch counts once.
        again = [Served(env, free_port()), Served(env, free_port())]
        try:
            after, _ = timed_calls(again[0].base, TOKEN, 2, KEYS)
            errors = [server.stop() for server in again]
        finally:
            for server in again:
                server.close()
        calls = before + during + after
        totals = _totals(url)
    finally:
        cluster.stop()
        leftover = sorted(p.name for p in spool.iterdir()) if spool.exists() else []
        shutil.rmtree(spool, ignore_errors=True)
    assert leftover == []
    assert [e for e in errors if "statistics" in e] == []
    assert before > 0 and during > 0
    assert totals[("call", "", "answered")] == calls
    assert totals[("reached", "welcome", "")] == calls
    assert totals[("choice", "welcome", "doctor_needs")] == calls
    assert totals[("lost", "", "")] == 0
