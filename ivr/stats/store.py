"""The counters' database: SQLAlchemy Core over SQLite or PostgreSQL, migrated by Alembic."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import ConfigError

log = logging.getLogger("ivr.stats")
OFF = "off"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_201_312  # PostgreSQL advisory lock held while migrating (two servers may start at once)

metadata = sa.MetaData()
# One row per hour, event, subject and outcome: a count, nothing else.
counts = sa.Table(
    "counts",
    metadata,
    sa.Column("hour", sa.DateTime(), primary_key=True),  # start of the hour, UTC (Paris is a whole hour off)
    sa.Column("event", sa.String(32), primary_key=True),
    sa.Column("subject", sa.String(64), primary_key=True),
    sa.Column("outcome", sa.String(64), primary_key=True),
    sa.Column("count", sa.BigInteger(), nullable=False),
)
# The failure alerts already logged, so several workers log each one once.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("hour", sa.DateTime(), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
)
# The batches of counts written (a random id each, nothing else): a batch written twice, from the
# spool after a write whose answer was lost, counts once. Kept BATCHES_KEPT days.
batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("written", sa.DateTime(), nullable=False, index=True),
)
BATCHES_KEPT = 30


@dataclass(frozen=True)
class Row:
    """One counter: the hour (UTC, naive), the key, the count."""

    hour: datetime
    event: str
    subject: str
    outcome: str
    count: int


def database_url(setting: str | None, instance_path: str | Path) -> str | None:
    """Turn IVR_STATS_URL into a SQLAlchemy URL: SQLite in the instance folder by default, None when off."""
    if setting is not None and setting.strip().lower() == OFF:
        return None
    if not setting:
        return f"sqlite:///{Path(instance_path) / 'stats.sqlite3'}"
    url = setting.strip()
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            url = "postgresql+psycopg://" + url.removeprefix(bare)
    if not url.startswith(("postgresql+psycopg://", "sqlite:///")):
        raise ConfigError("IVR_STATS_URL must be off, sqlite:///<file> or postgresql://…")
    return url


def hour_of(epoch_hour: int) -> datetime:
    """Return the start of an hour counted from the epoch, naive UTC."""
    return datetime.fromtimestamp(epoch_hour * 3600, UTC).replace(tzinfo=None)


class Store:
    """Reads and adds counters; every method opens its own short connection.

    `timeout` bounds the wait for a connection, a statement and a lock (PostgreSQL) or a locked file
    (SQLite): the recorder calls the store from a thread of its own, never from a call's.
    """

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url, self.timeout = url, timeout
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        if self.dialect == "sqlite":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args={"timeout": timeout})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            ms = int(timeout * 1000)
            self.engine = sa.create_engine(
                url,
                poolclass=sa.NullPool,  # a connection per write, every few seconds: none kept to go stale
                connect_args={
                    "connect_timeout": max(1, int(timeout)),
                    "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
                },
            )

    def migrate(self) -> None:
        """Bring the tables to the newest revision (under a lock on PostgreSQL)."""
        # Alembic says at INFO which plugins it loads and which database it found: nothing an
        # operator needs at every start. Its warnings and errors still show.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def _insert(self, table: sa.Table):
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def add(self, increments: Mapping[tuple[int, tuple[str, str, str]], int], batch: str | None = None) -> bool:
        """Add increments to the counters, in one transaction: (epoch hour, key) -> count.

        With a batch id, the batch counts once: False when it was already written (nothing added).
        """
        rows = [
            {"hour": hour_of(hour), "event": e, "subject": s, "outcome": o, "count": n}
            for (hour, (e, s, o)), n in sorted(increments.items())
            if n
        ]
        if not rows:
            return True
        insert = self._insert(counts)
        statement = insert.on_conflict_do_update(
            index_elements=[counts.c.hour, counts.c.event, counts.c.subject, counts.c.outcome],
            set_={"count": counts.c.count + insert.excluded["count"]},
        )
        with self.engine.begin() as conn:
            if batch is not None:
                now = datetime.now(UTC).replace(tzinfo=None)
                first = self._insert(batches).values(id=batch, written=now).on_conflict_do_nothing()
                if conn.execute(first.returning(batches.c.id)).first() is None:
                    return False
            conn.execute(statement, rows)
        return True

    def prune(self, days: int = BATCHES_KEPT) -> None:
        """Forget the ids of the batches written more than `days` days ago."""
        cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
        with self.engine.begin() as conn:
            conn.execute(batches.delete().where(batches.c.written < cutoff))

    def rows(
        self, since: datetime | None = None, until: datetime | None = None, events: Iterable[str] | None = None
    ) -> list[Row]:
        """Return counters of hours in [since, until) (naive UTC), of some events or all."""
        query = sa.select(counts.c.hour, counts.c.event, counts.c.subject, counts.c.outcome, counts.c["count"])
        if since is not None:
            query = query.where(counts.c.hour >= since)
        if until is not None:
            query = query.where(counts.c.hour < until)
        if events is not None:
            query = query.where(counts.c.event.in_(list(events)))
        with self.engine.connect() as conn:
            return [Row(*r) for r in conn.execute(query.order_by(counts.c.hour))]

    def claim_alert(self, hour: datetime, service: str) -> bool:
        """Record that the failure alert of an hour and service is logged; False when it already was."""
        insert = self._insert(alerts)
        with self.engine.begin() as conn:
            statement = insert.values(hour=hour, service=service).on_conflict_do_nothing()
            return conn.execute(statement.returning(alerts.c.service)).first() is not None

    def dispose(self) -> None:
        """Close the connections (before a fork, or at exit)."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
