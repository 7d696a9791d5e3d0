"""Build a line that counts into a test database, play calls, read the counters back."""

from __future__ import annotations

from collections import Counter

from ivr import create_app


def counting_app(db_url: str, **settings):
    """An app (development mode) counting into `db_url`."""
    return create_app({"stats_url": db_url, **settings}, dev=True)


def flushed(app) -> Counter:
    """Write the app's counts, then return every counter summed over hours: (event, subject, outcome) -> n."""
    recorder = app.extensions["ivr.stats"]
    assert recorder.flush()
    totals: Counter = Counter()
    for row in recorder.store.rows():
        totals[(row.event, row.subject, row.outcome)] += row.count
    return totals
