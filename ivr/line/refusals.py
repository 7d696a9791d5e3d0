"""Requests Twilio did not sign, summarised: at most one log line a minute, with their counts.

A stranger's request is never written one by one (it would let anyone fill the logs) nor counted in
the statistics (it would let anyone fill them); operators still see that it happens, and how much.
Each worker keeps its own counts; a worker writes what is left when it stops (ivr.line.server).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

INTERVAL = 60.0  # seconds between two summaries, at most one line each
REFUSED, FALLBACK = "refused", "fallback answered"
log = logging.getLogger("ivr.call")

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_since: float | None = None


def note(kind: str, clock=time.monotonic) -> None:
    """Count one request Twilio did not sign (REFUSED, or FALLBACK); write the summary once a minute."""
    global _since
    now = clock()
    with _lock:
        _counts[kind] += 1
        if _since is None:
            _since = now
        if now - _since < INTERVAL:
            return
    flush(clock)


def flush(clock=time.monotonic) -> None:
    """Write the summary of the requests counted since the last one, if any."""
    global _since
    with _lock:
        if _since is None:
            return
        counts, seconds = dict(_counts), clock() - _since
        _counts.clear()
        _since = None
    log.warning(
        "not signed by Twilio in the last %d s: %d refused, %d fallback answered",
        round(seconds),
        counts.get(REFUSED, 0),
        counts.get(FALLBACK, 0),
    )
