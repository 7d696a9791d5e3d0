"""The recorder on its own, against a store held in memory: what it writes, keeps, spools, drops and
says, at each bound, with its clock in the test's hands (no database, no server)."""

from __future__ import annotations

import logging
import threading

import pytest

from ivr.stats import recorder as recorder_module
from ivr.stats.recorder import ALERT_EVERY, PRUNE_EVERY, Recorder
from ivr.stats.spool import Batch, Spool, loads
from ivr.stats.store import Row, hour_of

from .helpers import hang_writes

HOUR = 493_000  # an epoch hour
NOW = HOUR * 3600 + 1800.5  # half past, in that hour
CALL = ("call", "", "answered")
WELCOME = ("reached", "welcome", "")
OTHER = ("reached", "other", "")


class Down(Exception):
    """The database does not answer."""


class Engine:
    def __init__(self) -> None:
        self.disposed: list[bool] = []

    def dispose(self, close: bool = True) -> None:
        self.disposed.append(close)


class MemoryStore:
    """What the recorder asks of a Store, in memory; `down` makes every call fail."""

    def __init__(self, timeout: float = 1.5) -> None:
        self.timeout = timeout
        self.engine = Engine()
        self.down = False
        self.added: list[tuple[dict, str]] = []
        self.migrations = self.prunes = 0
        self.transfer_rows: list[Row] = []
        self.asked: list[tuple] = []
        self.claimed: set[tuple] = set()
        self.claim_fails = False

    def _check(self) -> None:
        if self.down:
            raise Down("down")

    def migrate(self) -> None:
        self._check()
        self.migrations += 1

    def add(self, increments, batch=None) -> bool:
        self._check()
        self.added.append((dict(increments), batch))
        return True

    def prune(self) -> None:
        self.prunes += 1
        self._check()

    def rows(self, since=None, until=None, events=None):
        self.asked.append((since, until, events))
        self._check()
        return list(self.transfer_rows)

    def claim_alert(self, hour, service) -> bool:
        if self.claim_fails:
            raise Down("down")
        first = (hour, service) not in self.claimed
        self.claimed.add((hour, service))
        return first

    def written(self) -> dict:
        totals: dict = {}
        for increments, _ in self.added:
            for slot, n in increments.items():
                totals[slot] = totals.get(slot, 0) + n
        return totals


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store():
    return MemoryStore()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def no_thread(monkeypatch):
    """The writer started by the first count ends at once: each test flushes when it says."""
    monkeypatch.setattr(recorder_module, "_start_thread", lambda run, args: run.__self__._done.release())
    monkeypatch.setattr(recorder_module.atexit, "register", lambda f: None)


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ivr.stats"]


# -- counting and writing --------------------------------------------------------------------------


def test_counts_are_written_per_hour_and_key(store, clock, no_thread):
    recorder = Recorder(store, clock=clock)
    recorder.add((CALL, WELCOME))
    recorder.add((CALL, WELCOME))
    recorder.add((CALL,))
    clock.now += 3600
    recorder.add((CALL, OTHER))
    assert recorder.flush() is True
    [(increments, ident)] = store.added
    assert increments == {(HOUR, CALL): 3, (HOUR, WELCOME): 2, (HOUR + 1, CALL): 1, (HOUR + 1, OTHER): 1}
    assert len(ident) == 32 and set(ident) <= set("0123456789abcdef")
    assert recorder.flush() is True and len(store.added) == 1, "nothing more to write"


def test_the_tables_are_migrated_once_before_the_first_write(store, clock, no_thread):
    recorder = Recorder(store, clock=clock, migrated=False)
    recorder.add((CALL,))
    recorder.flush()
    recorder.add((CALL,))
    recorder.flush()
    assert store.migrations == 1 and len(store.added) == 2
    assert Recorder(store, clock=clock).migrated is True
    Recorder(store, clock=clock).flush()
    assert store.migrations == 1, "migrated=True: never"


@pytest.mark.parametrize("max_keys", [1, 2])
def test_counters_beyond_the_bound_are_dropped_counted_as_lost_and_said_once(store, clock, no_thread, caplog, max_keys):
    recorder = Recorder(store, clock=clock, max_keys=max_keys)
    kept = [(CALL,), (WELCOME,)][:max_keys]
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for keys in kept:
            recorder.add(keys)
        recorder.add((OTHER, CALL))  # a new counter: dropped, 2 increments lost
        recorder.add((OTHER,))  # and 1
        recorder.add(kept[0])  # one already kept still counts
    assert _said(caplog) == [
        f"statistics: {max_keys} counters waiting for the database; further counts are dropped and counted as lost"
    ]
    assert recorder.flush() is True
    expected = {(HOUR, keys[0]): 1 for keys in kept}
    expected[(HOUR, kept[0][0])] = 2
    assert store.added[0][0] == {**expected, (HOUR, ("lost", "", "")): 3}


def test_a_database_down_keeps_the_counts_in_memory_and_says_so_once(store, clock, no_thread, caplog):
    recorder = Recorder(store, clock=clock, max_keys=7)
    store.down = True
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((CALL,))
        assert recorder.flush() is False
        recorder.add((WELCOME,))
        assert recorder.flush() is False, "the held batch first: the new counts wait"
        assert recorder.flush() is False
        store.down = False
        assert recorder.flush() is True
        assert recorder.flush() is True, "nothing held any more"
    assert _said(caplog) == [
        "statistics: cannot write to the database (Down); counts are kept in memory, up to 7 counters until it is back",
        "statistics: written to the database again",
    ]
    assert [increments for increments, _ in store.added] == [{(HOUR, CALL): 1}, {(HOUR, WELCOME): 1}]


def test_counts_lost_while_the_database_was_down_are_said_when_it_is_back(store, clock, no_thread, caplog):
    recorder = Recorder(store, clock=clock, max_keys=1)
    store.down = True
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((CALL,))
        recorder.add((WELCOME,))
        recorder.add((OTHER,))
        assert recorder.flush() is False
        store.down = False
        assert recorder.flush() is True
    assert _said(caplog)[-1] == "statistics: written to the database again; 2 increment(s) were lost"
    assert store.written() == {(HOUR, CALL): 1, (HOUR, ("lost", "", "")): 2}


def test_a_lost_count_is_added_to_the_lost_counter_of_its_hour(store, clock, no_thread):
    recorder = Recorder(store, clock=clock, max_keys=1)
    recorder.add(((("lost", "", "")),))
    recorder.add((CALL,))
    recorder.flush()
    assert store.added[0][0] == {(HOUR, ("lost", "", "")): 2}


# -- the spool -------------------------------------------------------------------------------------


def _spooled(spool: Spool) -> list[Batch]:
    return [loads(path.read_text()) for path in sorted(spool.folder.iterdir())]


def test_what_the_database_does_not_take_is_spooled_and_written_when_it_is_back(
    store, clock, no_thread, tmp_path, caplog
):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    store.down = True
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((CALL, WELCOME))
        assert recorder.flush() is False
        [batch] = _spooled(spool)
        assert batch.increments == {(HOUR, CALL): 1, (HOUR, WELCOME): 1}
        assert recorder._spooled == {batch.id: 2}
        store.down = False
        recorder.add((CALL,))
        assert recorder.flush() is True
    assert _said(caplog) == [
        f"statistics: cannot write to the database (Down); counts are spooled to {spool.folder} until it is back",
        "statistics: written to the database again",
    ]
    assert store.added == [({(HOUR, CALL): 1}, store.added[0][1]), (batch.increments, batch.id)]
    assert list(spool.folder.iterdir()) == [] and recorder._spooled == {}


def test_a_spooled_batch_the_database_still_refuses_waits_again(store, clock, no_thread, tmp_path):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    spool.put(Batch({(HOUR, CALL): 4}, 0, "a" * 32))
    spool.put(Batch({(HOUR, WELCOME): 5}, 0, "b" * 32))
    store.down = True
    assert recorder.replay() is False
    assert [b.id for b in _spooled(spool)] == ["a" * 32, "b" * 32], "both wait again, whole"
    store.down = False
    assert recorder.replay() is True
    assert store.added == [({(HOUR, CALL): 4}, "a" * 32), ({(HOUR, WELCOME): 5}, "b" * 32)]
    assert list(spool.folder.iterdir()) == []


def test_without_a_spool_there_is_nothing_to_replay(store, clock):
    assert Recorder(store, clock=clock).replay() is True


def test_a_spool_that_cannot_be_written_keeps_the_counts_in_memory(store, clock, no_thread, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    spool = Spool(blocked / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    store.down = True
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((CALL,))
        assert recorder.flush() is False
        recorder.add((WELCOME,))
        assert recorder.flush() is False
        store.down = False
        assert recorder.flush() is True
    assert _said(caplog)[1:] == [
        f"statistics: cannot write the spool {spool.folder} (NotADirectoryError); counts are kept in memory",
        "statistics: written to the database again",
    ]
    assert [increments for increments, _ in store.added] == [{(HOUR, CALL): 1}, {(HOUR, WELCOME): 1}]


def test_the_spool_said_failing_is_said_again_after_it_worked(store, clock, no_thread, tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    store.down = True
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for folder in (tmp_path / "file" / "spool",) * 2 + (tmp_path / "spool", tmp_path / "file" / "spool"):
            (tmp_path / "file").touch()
            spool.folder = folder
            recorder.add((CALL,))
            recorder.flush(final=True)
    refused = tmp_path / "file" / "spool"
    assert [m for m in _said(caplog) if "cannot write the spool" in m] == [
        f"statistics: cannot write the spool {refused} (NotADirectoryError); counts are kept in memory"
    ] * 2, "once per run of failures"


# -- the last flush and the exit -------------------------------------------------------------------


def test_at_exit_with_the_database_down_the_counts_are_spooled_and_said(store, clock, no_thread, tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    recorder.add((CALL,))
    store.down = True
    recorder.flush()
    recorder.add((CALL, WELCOME))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.close()
    assert sorted(b.total() for b in _spooled(spool)) == [1, 2]
    assert _said(caplog) == [
        f"statistics: the database cannot be written; 3 count(s) spooled to {spool.folder}, written when it is back"
    ]
    assert recorder._spooled == {}


def test_the_last_flush_writes_a_held_batch_and_the_new_counts_when_it_can(store, clock, no_thread):
    recorder = Recorder(store, clock=clock)
    recorder.add((CALL,))
    store.down = True
    recorder.flush()
    recorder._failing = False  # the database came back since
    store.down = False
    recorder.add((WELCOME,))
    assert recorder.flush(final=True) is True
    assert [increments for increments, _ in store.added] == [{(HOUR, CALL): 1}, {(HOUR, WELCOME): 1}]


def test_the_last_flush_spools_the_held_batch_and_the_new_counts_when_the_database_fails_again(
    store, clock, no_thread, tmp_path
):
    recorder = Recorder(store, clock=clock, max_keys=5)
    recorder.add((CALL,))
    store.down = True
    recorder.flush()  # held: no spool
    recorder.spool = Spool(tmp_path / "spool")
    recorder._failing = False
    recorder.add((WELCOME,))
    assert recorder.flush(final=True) is False
    assert [b.increments for b in _spooled(recorder.spool) if (HOUR, CALL) in b.increments] == [{(HOUR, CALL): 1}]
    assert sorted(b.total() for b in _spooled(recorder.spool)) == [1, 1]
    assert recorder._held is None


def test_the_last_flush_after_a_failure_spools_at_once(store, clock, no_thread, tmp_path):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock)
    recorder.add((CALL,))
    store.down = True
    recorder.flush()
    store.down = False  # back, but the last flush does not try again: it spools and ends
    recorder.spool = spool
    recorder.add((WELCOME,))
    assert recorder.flush(final=True) is False
    assert store.added == []
    assert sorted(sorted(b.increments.items()) for b in _spooled(spool)) == [
        [((HOUR, CALL), 1)],
        [((HOUR, WELCOME), 1)],
    ]
    assert recorder._held is None


def test_a_final_flush_does_not_replay_the_spool(store, clock, no_thread, tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.put(Batch({(HOUR, CALL): 4}, 0, "a" * 32))
    recorder = Recorder(store, clock=clock, spool=spool)
    assert recorder.flush(final=True) is True
    assert store.added == [] and len(_spooled(spool)) == 1
    assert recorder.flush() is True
    assert store.added == [({(HOUR, CALL): 4}, "a" * 32)]


def test_counts_neither_the_database_nor_the_spool_takes_are_said_lost_at_exit(store, clock, no_thread, caplog):
    recorder = Recorder(store, clock=clock)
    store.down = True
    recorder.add((CALL, WELCOME))
    recorder.flush()
    recorder.add((CALL,))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.close()
    assert _said(caplog) == ["statistics: 3 count(s) lost at exit: neither the database nor the spool could take them"]
    assert recorder._held is None


def test_the_writer_has_twice_the_stores_timeout_and_two_seconds_at_exit(clock):
    assert Recorder(MemoryStore(timeout=1.5), clock=clock).exit_wait == 5.0


# -- the writer thread -----------------------------------------------------------------------------


def _wait_for(done, seconds: float = 5.0) -> None:
    """Wait for the writer (it writes every 10 ms) to have done something."""
    for _ in range(int(seconds / 0.01)):
        if done():
            return
        threading.Event().wait(0.01)
    raise AssertionError("the writer did not write")


def test_the_writer_replays_writes_on_its_own_and_last_at_close(store, clock, tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    spool.put(Batch({(HOUR, OTHER): 4}, 0, "a" * 32))
    recorder = Recorder(store, clock=clock, interval=0.01, spool=spool)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((CALL,))
        _wait_for(lambda: len(store.added) == 2)
        assert store.added[0] == ({(HOUR, OTHER): 4}, "a" * 32), "the spool first"
        assert store.added[1][0] == {(HOUR, CALL): 1}
        recorder.add((WELCOME,))
        _wait_for(lambda: len(store.added) == 3)  # written by the writer, not at close
        assert store.added[2][0] == {(HOUR, WELCOME): 1}
        recorder.add((OTHER,))
        recorder.close()
    assert store.written() == {(HOUR, OTHER): 5, (HOUR, CALL): 1, (HOUR, WELCOME): 1}
    assert recorder._writer is False
    assert _said(caplog) == []


def test_one_writer_is_started_by_the_first_count(store, clock, monkeypatch):
    started, registered = [], []
    monkeypatch.setattr(recorder_module, "_start_thread", lambda run, args: started.append((run, args)))
    monkeypatch.setattr(recorder_module.atexit, "register", registered.append)
    recorder = Recorder(store, clock=clock)
    assert started == []
    recorder.add((CALL,))
    recorder.add((CALL,))
    assert started == [(recorder._run, ())] and registered == [recorder.close]
    assert recorder._writer is True


def test_without_a_thread_the_counts_are_written_at_exit(store, clock, monkeypatch, caplog):
    def refused(run, args):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(recorder_module, "_start_thread", refused)
    registered = []
    monkeypatch.setattr(recorder_module.atexit, "register", registered.append)
    recorder = Recorder(store, clock=clock)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((CALL,))
        recorder.add((CALL,))
    assert _said(caplog) == ["statistics: no background writer (RuntimeError); counts are written at exit"]
    assert recorder._writer is False and registered == [recorder.close]
    recorder.close()
    assert store.written() == {(HOUR, CALL): 2}


def test_a_writer_hanging_at_exit_has_its_counts_spooled(store, clock, tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, interval=0.01, spool=spool)
    recorder.exit_wait = 0.2
    entered, release = hang_writes(store)
    recorder.add((CALL,))
    assert entered.wait(30), "the writer never wrote"
    recorder.add((CALL, WELCOME))
    recorder._held = Batch({(HOUR, OTHER): 3})
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.close()
    assert sorted(b.total() for b in _spooled(spool)) == [1, 2, 3]
    assert _said(caplog) == [
        f"statistics: the database cannot be written; 6 count(s) spooled to {spool.folder}, written when it is back"
    ]
    assert recorder._held is None
    release.set()
    assert recorder._done.acquire(timeout=30), "the writer did not end"


def test_a_hanging_writer_with_nowhere_to_spool_loses_its_counts_and_says_so(store, clock, caplog):
    recorder = Recorder(store, clock=clock, interval=0.01)
    recorder.exit_wait = 0.2
    entered, release = hang_writes(store)
    recorder.add((CALL,))
    assert entered.wait(30)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.close()
    assert _said(caplog) == ["statistics: 1 count(s) lost at exit: neither the database nor the spool could take them"]
    release.set()
    assert recorder._done.acquire(timeout=30)


def test_a_writer_hanging_before_or_after_a_write_has_only_the_counts_not_written_spooled(
    store, clock, no_thread, tmp_path
):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    recorder.add((CALL,))
    recorder._abandon()  # nothing being written yet
    assert [b.increments for b in _spooled(spool)] == [{(HOUR, CALL): 1}]
    recorder.add((WELCOME,))
    recorder.flush()  # written: the CALL spooled is replayed too
    recorder.add((OTHER,))
    recorder._abandon()
    assert [b.increments for b in _spooled(spool)] == [{(HOUR, OTHER): 1}]


def test_a_batch_already_spooled_is_not_spooled_again_when_the_writer_hangs(store, clock, tmp_path):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, clock=clock, spool=spool)
    batch = Batch({(HOUR, CALL): 1})
    spool.put(batch)
    recorder._spooled[batch.id] = 1
    recorder._writing = batch
    recorder._abandon()
    assert [b.id for b in _spooled(spool)] == [batch.id]


def test_a_failing_step_of_the_writer_is_said_once_and_the_writer_goes_on(store, clock, caplog):
    recorder = Recorder(store, clock=clock)
    steps = []

    def broken():
        steps.append(1)
        raise ValueError("bug")

    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder._safely(broken)
        recorder._safely(broken)
    assert steps == [1, 1]
    assert _said(caplog) == ["statistics: the background writer failed (ValueError); it goes on"]


def test_each_tick_flushes_and_checks_the_alert_and_prunes_at_their_pace(store, clock, no_thread, monkeypatch):
    recorder = Recorder(store, clock=clock)
    alerts = []
    monkeypatch.setattr(recorder, "check_alert", lambda: alerts.append(clock.now))
    start = clock.now
    recorder.add((CALL,))
    recorder._tick()
    assert len(store.added) == 1 and alerts == [start] and store.prunes == 1
    for seconds, checked, pruned in [
        (ALERT_EVERY - 1, 1, 1),
        (ALERT_EVERY, 2, 1),
        (2 * ALERT_EVERY - 1, 2, 1),
        (PRUNE_EVERY - 1, 3, 1),
        (PRUNE_EVERY, 3, 2),
        (PRUNE_EVERY + ALERT_EVERY - 1, 4, 2),
        (2 * PRUNE_EVERY - 1, 5, 2),
        (2 * PRUNE_EVERY, 5, 3),
    ]:
        clock.now = start + seconds
        recorder._tick()
        assert (len(alerts), store.prunes) == (checked, pruned), seconds


def test_a_pruning_that_fails_is_no_fault(store, clock):
    store.down = True
    Recorder(store, clock=clock)._prune()
    assert store.prunes == 1


def test_a_forked_worker_starts_with_nothing_of_its_parents(store, clock, no_thread, monkeypatch):
    hooks = []
    monkeypatch.setattr(recorder_module.os, "register_at_fork", lambda **kw: hooks.append(kw))
    recorder = Recorder(store, clock=clock)
    assert hooks == [{"after_in_child": recorder._forked}]
    recorder.add((CALL,))
    store.down = True
    recorder.flush()
    recorder.add((WELCOME,))
    recorder._forked()
    assert (recorder._pending, recorder._held, recorder._failing, recorder._started) == ({}, None, False, False)
    assert store.engine.disposed == [False], "the parent's connections are left to it"


# -- the failure alert -----------------------------------------------------------------------------


def _ends(service: str, **outcomes: int) -> list[Row]:
    return [Row(hour_of(HOUR), "transfer_end", service, o.replace("_", "-"), n) for o, n in outcomes.items()]


def test_an_alert_is_said_once_per_hour_and_service_above_the_share(store, clock, caplog):
    store.transfer_rows = [
        *_ends("platform", completed=3, busy=1, no_answer=1),  # 2 of 5 = 40 %
        *_ends("bound", completed=4, failed=1),  # 1 of 5 = 20 %: the share, not above it
        *_ends("few", busy=4),  # 4 of 4: fewer than the minimum
        *_ends("another", busy=5, completed=1),  # 5 of 6
    ]
    recorder = Recorder(store, clock=clock)  # by default: above 20 %, of 5 transfers or more
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        assert recorder.check_alert() == [("another", 5 / 6), ("platform", 0.4)]
        assert recorder.check_alert() == [], "claimed already"
    assert store.asked[0] == (hour_of(HOUR), hour_of(HOUR + 1), ["transfer_end"])
    assert store.claimed == {(hour_of(HOUR), "another"), (hour_of(HOUR), "platform")}
    when = hour_of(HOUR).strftime("%Y-%m-%d %H:00")
    assert _said(caplog) == [
        f"ALERT transfers to another failed: 83 % of 6 in the hour from {when} UTC (busy, no answer or failed)",
        f"ALERT transfers to platform failed: 40 % of 5 in the hour from {when} UTC (busy, no answer or failed)",
    ]


def test_no_alert_when_the_rows_or_the_claim_cannot_be_had(store, clock, caplog):
    store.transfer_rows = _ends("platform", busy=5)
    store.claim_fails = True
    recorder = Recorder(store, clock=clock)
    assert recorder.check_alert() == []
    store.down = True
    assert recorder.check_alert() == []
    assert _said(caplog) == []
