"""Count in memory, write from a thread of its own: a webhook adds to a dict and never waits for the database.

The writer is an operating-system thread even in the Procfile's gevent workers (whose standard
library is patched, so that `threading.Thread` would be a greenlet sharing the calls' only thread):
a locked SQLite file or a silent PostgreSQL holds the writer, never a call. What the database does
not take is spooled to the instance folder (spool.py) and written when it is back, by this worker or
by the next one to start.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from gevent import monkey

from .events import FAILED_DIALS, LOST, TRANSFER_END, Key
from .spool import Batch, Spool
from .store import Store, hour_of

log = logging.getLogger("ivr.stats")
MAX_KEYS = 20_000  # distinct (hour, answer's keys) kept while the database is not written; then dropped
ALERT_EVERY = 60.0  # seconds between two checks of the failure rate
PRUNE_EVERY = 3600.0  # seconds between two prunings of the written batches' ids

# The thread and lock of the operating system, whether gevent patched the standard library or not.
_start_thread: Callable[..., Any] = monkey.get_original("_thread", "start_new_thread")
_new_lock: Callable[[], Any] = monkey.get_original("_thread", "allocate_lock")


class Recorder:
    """The counts of one worker process, flushed to the store every `interval` seconds and at exit."""

    def __init__(
        self,
        store: Store,
        interval: float = 5.0,
        alert_share: float = 0.2,
        alert_minimum: int = 5,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.time,
        migrated: bool = True,
        spool: Spool | None = None,
    ) -> None:
        self.store, self.interval, self.max_keys, self.clock = store, interval, max_keys, clock
        self.migrated, self.spool = migrated, spool
        self.alert_share, self.alert_minimum = alert_share, alert_minimum
        self.exit_wait = 2 * store.timeout + 2  # seconds the writer has at exit before its counts are spooled
        self._fresh()
        os.register_at_fork(after_in_child=self._forked)

    def _fresh(self) -> None:
        self._lock = _new_lock()  # the webhook's side: held for one dict increment
        self._flushing = _new_lock()  # one flush at a time
        self._pending: dict[tuple[int, tuple[Key, ...]], int] = {}  # (hour, an answer's keys) -> requests
        self._lost = 0  # increments dropped, not yet written
        self._held: Batch | None = None  # a batch neither written nor spooled, tried again first
        self._writing: Batch | None = None  # the batch being written, spooled at exit if the writer hangs
        self._spooled: dict[str, int] = {}  # batches this process spooled and did not write: id -> increments
        self._failing = False  # an incident is under way: its log line is out
        self._dropping = False
        self._spool_failing = False
        self._broken = False  # the writer's failure is said
        self._started = False  # the first count was added: the writer was asked for
        self._writer = False  # the writer runs
        self._stop = _new_lock()  # released to stop the writer
        self._stop.acquire()
        self._done = _new_lock()  # released by the writer when it ends
        self._done.acquire()
        self._last_alert_check = self._last_prune = 0.0

    # -- the webhook's side: one lock, one dict increment per request ------------------------------
    def add(self, keys: tuple[Key, ...]) -> None:
        """Count a request's keys (the tuple an answer carries) in the current hour."""
        if not self._started:
            self._start()
        slot = (int(self.clock()) // 3600, keys)
        with self._lock:
            pending = self._pending
            if slot in pending:
                pending[slot] += 1
            elif len(pending) < self.max_keys:
                pending[slot] = 1
            else:
                self._drop(len(keys), len(pending))

    def _drop(self, n: int, kept: int) -> None:
        self._lost += n
        if not self._dropping:
            self._dropping = True
            log.warning(
                "statistics: %d counters waiting for the database; further counts are dropped and counted as lost", kept
            )

    # -- the background side -------------------------------------------------------------------------
    def _forked(self) -> None:
        # A worker starts with nothing of its parent's: no counts, no thread, no connection.
        self._fresh()
        self.store.engine.dispose(close=False)

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        try:
            _start_thread(self._run, ())
            self._writer = True
        except RuntimeError as exc:  # no thread to be had: the calls go on, counted at exit only
            log.warning("statistics: no background writer (%s); counts are written at exit", type(exc).__name__)
        atexit.register(self.close)

    def _run(self) -> None:
        try:
            self._safely(self.replay)
            while not self._stop.acquire(timeout=self.interval):
                self._safely(self._tick)
            self._safely(lambda: self.flush(final=True))
        finally:
            self._done.release()

    def _tick(self) -> None:
        self.flush()
        now = self.clock()
        if now - self._last_alert_check >= ALERT_EVERY:
            self._last_alert_check = now
            self.check_alert()
        if now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            self._prune()

    def _safely(self, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 (a bug must not end the writer: the counts wait for the next try)
            if not self._broken:
                self._broken = True
                log.warning("statistics: the background writer failed (%s); it goes on", type(exc).__name__)

    def _take(self) -> Batch | None:
        with self._lock:
            pending, self._pending = self._pending, {}
            lost, self._lost = self._lost, 0
        if lost:
            slot = (int(self.clock()) // 3600, ((LOST, "", ""),))
            pending[slot] = pending.get(slot, 0) + lost
        if not pending:
            return None
        increments: dict[tuple[int, Key], int] = {}
        for (hour, keys), n in pending.items():
            for key in keys:
                increments[(hour, key)] = increments.get((hour, key), 0) + n
        return Batch(increments, lost)

    def flush(self, final: bool = False) -> bool:
        """Write what was counted since the last flush; spool it (or keep it, within the bound) when the
        database fails. `final`: the last flush of the process, whatever fails is spooled."""
        with self._flushing:
            if final and self._failing:  # the database failed a moment ago: spool at once, exit now
                held, self._held = self._held, None
                self._keep(held)
                self._keep(self._take())
                return False
            if self._held is not None:
                if not self._write(self._held):
                    if not final:
                        return False  # new counts wait in memory (bounded) until the held batch is written
                    self._held, batch = None, self._held
                    self._keep(batch)
                    self._keep(self._take())
                    return False
                self._held = None
            batch = self._take()
            if batch is not None and not self._write(batch):
                self._keep(batch)
                return False
            return self.replay() if self.spool is not None and not final else True

    def _migrate(self) -> None:
        if not self.migrated:
            self.store.migrate()
            self.migrated = True

    def _write(self, batch: Batch) -> bool:
        self._writing = batch
        try:
            self._migrate()
            self.store.add(batch.increments, batch.id)
        except Exception as exc:  # noqa: BLE001 (any database failure: keep counting, say it once)
            if not self._failing:
                self._failing = True
                log.warning(
                    "statistics: cannot write to the database (%s); counts are %s until it is back",
                    type(exc).__name__,
                    f"spooled to {self.spool.folder}"
                    if self.spool
                    else f"kept in memory, up to {self.max_keys} counters",
                )
            return False
        finally:
            self._writing = None
        if self._failing or self._dropping:
            lost = f"; {batch.lost} increment(s) were lost" if batch.lost else ""
            log.warning("statistics: written to the database again%s", lost)
            self._failing = self._dropping = False
        return True

    def _keep(self, batch: Batch | None) -> None:
        """Spool a batch the database did not take; hold it in memory when the spool cannot be written."""
        if batch is None:
            return
        if self._put(batch):
            return
        if self._held is None:
            self._held = batch
        else:
            self._held.merge(batch)

    def _put(self, batch: Batch) -> bool:
        if self.spool is None:
            return False
        try:
            self.spool.put(batch)
        except OSError as exc:
            if not self._spool_failing:
                self._spool_failing = True
                log.warning(
                    "statistics: cannot write the spool %s (%s); counts are kept in memory",
                    self.spool.folder,
                    type(exc).__name__,
                )
            return False
        self._spool_failing = False
        self._spooled[batch.id] = batch.total()
        return True

    def replay(self) -> bool:
        """Write the spooled batches (this worker's, or any left by a process gone); False when the
        database fails (the batch waits again)."""
        if self.spool is None:
            return True
        for taken, batch in self.spool.take():
            if not self._write(batch):
                self.spool.give_back(taken, batch)
                return False
            self.spool.done(taken)
            self._spooled.pop(batch.id, None)
        return True

    def _prune(self) -> None:
        try:
            self.store.prune()
        except Exception:  # noqa: BLE001 (the write failure is already logged)
            pass

    def check_alert(self) -> list[tuple[str, float]]:
        """Log one WARNING per hour and service whose transfers failed too often in the last hour."""
        now = int(self.clock()) // 3600
        try:
            rows = self.store.rows(since=hour_of(now), until=hour_of(now + 1), events=[TRANSFER_END])
        except Exception:  # noqa: BLE001 (the write failure is already logged)
            return []
        totals: dict[str, list[int]] = {}
        for row in rows:
            t = totals.setdefault(row.subject, [0, 0])
            t[0] += row.count
            t[1] += row.count if row.outcome in FAILED_DIALS else 0
        alerted = []
        for service, (total, failed) in sorted(totals.items()):
            rate = failed / total
            if total >= self.alert_minimum and rate > self.alert_share:
                try:
                    first = self.store.claim_alert(hour_of(now), service)
                except Exception:  # noqa: BLE001
                    first = False
                if first:
                    log.warning(
                        "ALERT transfers to %s failed: %.0f %% of %d in the hour from %s UTC "
                        "(busy, no answer or failed)",
                        service,
                        100 * rate,
                        total,
                        hour_of(now).strftime("%Y-%m-%d %H:00"),
                    )
                    alerted.append((service, rate))
        return alerted

    def close(self) -> None:
        """Stop the background writer and write what is left (at exit); spool what cannot be, and say so."""
        if self._writer:
            self._writer = False
            self._stop.release()
            if not self._done.acquire(timeout=self.exit_wait):
                self._abandon()  # the writer hangs on the database: what it holds is spooled
                self._report()
                return
        self.flush(final=True)  # without a writer (or after it): what is left
        self._report()

    def _abandon(self) -> None:
        # The writer may still finish its write: the batch then counts once (its id), spooled or not.
        for batch in (self._writing, self._held, self._take()):
            if batch is not None and batch.id not in self._spooled and not self._put(batch):
                self._lose(batch)
        self._held = None

    def _report(self) -> None:
        if self._held is not None:
            self._lose(self._held)
            self._held = None
        spooled = sum(self._spooled.values())
        if spooled:
            log.warning(
                "statistics: the database cannot be written; %d count(s) spooled to %s, written when it is back",
                spooled,
                self.spool.folder if self.spool else "",
            )
            self._spooled = {}

    def _lose(self, batch: Batch) -> None:
        log.warning(
            "statistics: %d count(s) lost at exit: neither the database nor the spool could take them", batch.total()
        )
