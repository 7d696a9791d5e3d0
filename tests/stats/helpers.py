"""Build a line that counts into a test database, play calls, read the counters back."""

from __future__ import annotations

from collections import Counter

from ivr import create_app

OPEN = []  # the recorders of the apps built by a test, closed after it (tests/stats/conftest.py)


def counting_app(db_url: str, **settings):
    """An app (development mode) counting into `db_url`."""
    app = create_app({"stats_url": db_url, **settings}, dev=True)
    OPEN.append(app.extensions["ivr.stats"])
    return app


def close_all() -> None:
    """Stop every recorder a test started, write what is left, and close its connections."""
    while OPEN:
        recorder = OPEN.pop()
        recorder.close()
        recorder.store.dispose()


def flushed(app) -> Counter:
    """Write the app's counts, then return every counter summed over hours: (event, subject, outcome) -> n."""
    recorder = app.extensions["ivr.stats"]
    assert recorder.flush()
    totals: Counter = Counter()
    for row in recorder.store.rows():
        totals[(row.event, row.subject, row.outcome)] += row.count
    return totals
