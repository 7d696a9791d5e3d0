"""Count in memory, write in the background: a webhook adds to a dict and never waits for the database."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from .events import FAILED_DIALS, LOST, TRANSFER_END, Key
from .store import Store, hour_of

log = logging.getLogger("ivr.stats")
MAX_KEYS = 20_000  # distinct (hour, answer's keys) kept while the database is not written; then dropped
ALERT_EVERY = 60.0  # seconds between two checks of the failure rate


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
    ) -> None:
        self.store, self.interval, self.max_keys, self.clock = store, interval, max_keys, clock
        self.migrated = migrated
        self.alert_share, self.alert_minimum = alert_share, alert_minimum
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, tuple[Key, ...]], int] = {}  # (hour, an answer's keys) -> requests
        self._lost = 0  # increments dropped, not yet written
        self._failing = False  # an incident is under way: its log line is out
        self._dropping = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_alert_check = 0.0
        os.register_at_fork(after_in_child=self._forked)

    # -- the webhook's side: one lock, one dict increment per request ------------------------------
    def add(self, keys: tuple[Key, ...]) -> None:
        """Count a request's keys (the tuple an answer carries) in the current hour."""
        if self._thread is None:
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
        self._lock = threading.Lock()
        self._pending, self._lost, self._thread = {}, 0, None
        self._stop = threading.Event()
        self.store.engine.dispose(close=False)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="ivr-stats-flush", daemon=True)
            try:
                self._thread.start()
            except RuntimeError as exc:  # no thread to be had: the calls go on, counted at exit only
                log.warning("statistics: no background writer (%s); counts are written at exit", type(exc).__name__)
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()
            if self.clock() - self._last_alert_check >= ALERT_EVERY:
                self._last_alert_check = self.clock()
                self.check_alert()

    def flush(self) -> bool:
        """Write what was counted since the last flush; keep it (within the bound) when the database fails."""
        with self._lock:
            batch, self._pending = self._pending, {}
            lost, self._lost = self._lost, 0
        if lost:
            slot = (int(self.clock()) // 3600, ((LOST, "", ""),))
            batch[slot] = batch.get(slot, 0) + lost
        if not batch:
            return True
        increments: dict[tuple[int, Key], int] = {}
        for (hour, keys), n in batch.items():
            for key in keys:
                increments[(hour, key)] = increments.get((hour, key), 0) + n
        try:
            if not self.migrated:
                self.store.migrate()
                self.migrated = True
            self.store.add(increments)
        except Exception as exc:  # noqa: BLE001 (any database failure: keep counting, say it once)
            self._keep(batch)
            if not self._failing:
                self._failing = True
                log.warning(
                    "statistics: cannot write to the database (%s); counts kept in memory, up to %d counters",
                    type(exc).__name__,
                    self.max_keys,
                )
            return False
        if self._failing or self._dropping:
            log.warning(
                "statistics: written to the database again%s", f"; {lost} increment(s) were lost" if lost else ""
            )
            self._failing = self._dropping = False
        return True

    def _keep(self, batch: dict[tuple[int, tuple[Key, ...]], int]) -> None:
        with self._lock:
            pending = self._pending
            for slot, n in batch.items():
                if slot in pending:
                    pending[slot] += n
                elif len(pending) < self.max_keys:
                    pending[slot] = n
                else:
                    self._drop(n * len(slot[1]), len(pending))

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
        """Stop the background writer and write what is left (at exit)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=self.interval + 5)
        self.flush()
