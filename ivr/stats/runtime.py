"""Start the statistics of a line from its settings: the store, migrated, and the per-worker recorder."""

from __future__ import annotations

import logging
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError
from .recorder import Recorder
from .spool import Spool, folder_for
from .store import Store, database_url

log = logging.getLogger("ivr.stats")


def open_store(settings: Settings, instance_path: str | Path) -> Store | None:
    """Return the statistics' store of these settings, None when IVR_STATS_URL=off."""
    url = database_url(settings.stats_url, instance_path)
    return None if url is None else Store(url)


def start_recorder(settings: Settings, instance_path: str | Path, migrate: bool = True) -> Recorder | None:
    """Open the store and migrate it (a failure is logged, never fatal: the line answers calls first)."""
    if not 1 <= settings.stats_flush <= 300:
        raise ConfigError(f"IVR_STATS_FLUSH={settings.stats_flush} is out of range (1 to 300)")
    if not 1 <= settings.stats_alert_percent <= 100:
        raise ConfigError(f"IVR_STATS_ALERT_PERCENT={settings.stats_alert_percent} is out of range (1 to 100)")
    store = open_store(settings, instance_path)
    if store is None:
        return None
    recorder = Recorder(
        store,
        interval=settings.stats_flush,
        alert_share=settings.stats_alert_percent / 100,
        migrated=False,
        spool=Spool(folder_for(instance_path, store.url)),
    )
    if migrate:
        try:
            store.migrate()
            recorder.migrated = True
            recorder.replay()  # counts spooled by the last run: written once (each batch's id), here or by a worker
        except Exception as exc:  # noqa: BLE001 (the type only: a message may hold the database's address)
            log.warning(
                "statistics: the database could not be migrated at start-up (%s); counts are kept "
                "in memory and the migration is tried again by the background writer",
                type(exc).__name__,
            )
        finally:
            store.dispose()  # no connection crosses a fork into the workers
    return recorder
