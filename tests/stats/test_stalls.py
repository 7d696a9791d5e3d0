"""A locked SQLite file or a silent PostgreSQL costs the Procfile's server's calls nothing, and every
call is counted: written once the lock is gone, or spooled when the server stops."""

from __future__ import annotations

import shutil
import socket
import sqlite3

from ivr.stats.spool import Spool, folder_for
from ivr.stats.store import Store
from tests.test_wsgi import ROOT, free_port

from .helpers import Served, timed_calls

TOKEN = "s" * 32
LONGEST = 0.1  # seconds: the busy timeout (5 s) held a request as long before
SECONDS = 12  # longer than the busy and connect timeouts (5 s), and many flushes (1 s)


def _env(url: str) -> dict:
    return {"TWILIO_AUTH_TOKEN": TOKEN, "IVR_STATS_URL": url, "IVR_STATS_FLUSH": "1"}


def _calls_counted(url: str) -> int:
    store = Store(url)
    try:
        return sum(r.count for r in store.rows() if (r.event, r.outcome) == ("call", "answered"))
    finally:
        store.dispose()


def test_a_locked_sqlite_file_delays_no_call(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'stats.sqlite3'}"
    spool = folder_for(ROOT / "instance", url)
    served = Served(_env(url), free_port())
    try:
        locker = sqlite3.connect(tmp_path / "stats.sqlite3", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process writes, and holds the file
        calls, longest = timed_calls(served.base, TOKEN, SECONDS)
        locker.execute("ROLLBACK")
        locker.close()
        err = served.stop()
    finally:
        served.close()
        shutil.rmtree(spool, ignore_errors=True)
    with capsys.disabled():
        print(f"\nlocked SQLite: {calls} calls, longest request {longest * 1000:.0f} ms")
    assert longest < LONGEST, f"a request took {longest:.3f} s"
    assert "cannot write to the database (OperationalError)" in err, err
    assert _calls_counted(url) == calls  # written when the file was free again, or at exit


def test_a_silent_postgresql_delays_no_call_and_its_counts_are_spooled(tmp_path, capsys):
    silent = socket.socket()  # the kernel accepts connections; nothing ever answers them
    silent.bind(("127.0.0.1", 0))
    silent.listen(128)
    url = f"postgresql://ivr@127.0.0.1:{silent.getsockname()[1]}/ivr"
    spool = folder_for(ROOT / "instance", url.replace("postgresql://", "postgresql+psycopg://"))
    shutil.rmtree(spool, ignore_errors=True)
    served = Served(_env(url), free_port())
    try:
        calls, longest = timed_calls(served.base, TOKEN, SECONDS)
        err = served.stop()
        spooled = [batch for _, batch in Spool(spool).take()]
    finally:
        served.close()
        silent.close()
        shutil.rmtree(spool, ignore_errors=True)
    with capsys.disabled():
        print(f"\nsilent PostgreSQL: {calls} calls, longest request {longest * 1000:.0f} ms")
    assert longest < LONGEST, f"a request took {longest:.3f} s"
    answered = sum(n for b in spooled for (_, key), n in b.increments.items() if key == ("call", "", "answered"))
    assert answered == calls
    total = sum(b.total() for b in spooled)
    assert f"statistics: the database cannot be written; {total} count(s) spooled to {spool}" in err, err
