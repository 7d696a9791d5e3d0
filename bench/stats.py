"""The app under load counts its statistics, as the live line does: into SQLite, or a PostgreSQL server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ivr.stats.store import Store

MODES = ("off", "sqlite", "postgresql")


def label(mode: str) -> str:
    """Name a mode in a table's title."""
    return {"off": ", statistics off", "sqlite": ", statistics in SQLite", "postgresql": ", statistics in PostgreSQL"}[
        mode
    ]


@contextlib.contextmanager
def databases(modes: list[str], work: Path) -> Iterator[dict[str, str]]:
    """Yield IVR_STATS_URL per mode; start a throwaway PostgreSQL cluster when one is asked for."""
    urls = {mode: "off" for mode in modes if mode == "off"}
    if "sqlite" in modes:
        urls["sqlite"] = f"sqlite:///{work / 'stats.sqlite3'}"
    if "postgresql" not in modes:
        yield urls
        return
    from tests.postgres import Cluster, new_database

    cluster = Cluster()
    try:
        urls["postgresql"] = new_database(cluster.start(), "ivr_bench")
        yield {mode: urls[mode] for mode in modes}
    finally:
        cluster.stop()


def report(mode: str, url: str) -> bool:
    """After the server stopped (its workers wrote their counts at exit), print what was counted."""
    if mode == "off":
        return True
    store = Store(url)
    try:
        rows = store.rows()
    finally:
        store.dispose()
    calls = sum(r.count for r in rows if r.event == "call")
    counted = sum(r.count for r in rows)
    lost = sum(r.count for r in rows if r.event == "lost")
    print(f"\nCounted into {mode}: {calls} calls answered, {counted} increments in {len(rows)} rows, {lost} lost.")
    return calls > 0 and lost == 0
