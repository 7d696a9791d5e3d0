"""Counts the database does not take are spooled, written once when it is back, and never lost silently."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ivr.stats.recorder import Recorder
from ivr.stats.spool import BadSpoolFile, Batch, Spool, dumps, folder_for, loads
from ivr.stats.store import Store, batches

from .helpers import counting_app, hang_writes
from .test_recording import FORMS, _call

DOWN = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # nothing listens: refused at once
HOUR = 493_000  # an epoch hour
CALL = ("call", "", "answered")
WELCOME = ("reached", "welcome", "")


def _failing(store: Store) -> None:
    def refused(increments, batch=None):
        raise sa.exc.OperationalError("INSERT", {}, Exception("down"))

    store.add = refused  # type: ignore[method-assign]


def _written(store: Store) -> dict:
    return {(r.event, r.subject, r.outcome): r.count for r in store.rows()}


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'stats.sqlite3'}")
    store.migrate()
    yield store
    store.dispose()


def test_a_batch_read_back_is_the_batch_written(tmp_path):
    batch = Batch({(HOUR, CALL): 3, (HOUR + 1, WELCOME): 2}, lost=0)
    spool = Spool(tmp_path / "spool")
    spool.put(batch)
    assert sorted(os.listdir(spool.folder)) == [f"{batch.id}.json"]
    taken = list(spool.take())
    assert [(p.name, b) for p, b in taken] == [(f"{batch.id}.{os.getpid()}.taken", batch)]
    assert list(spool.take()) != [], "a file this process took and did not end is taken again"
    spool.give_back(*taken[0])
    assert sorted(os.listdir(spool.folder)) == [f"{batch.id}.json"]
    path, _ = next(spool.take())
    spool.done(path)
    assert os.listdir(spool.folder) == []


def test_a_file_taken_by_a_live_process_is_left_to_it_and_one_of_a_process_gone_is_taken(tmp_path):
    spool = Spool(tmp_path)
    live, gone = Batch({(HOUR, CALL): 1}), Batch({(HOUR, WELCOME): 1})
    sleeper = subprocess.Popen(["sleep", "60"])
    finished = subprocess.Popen(["true"])
    finished.wait()
    try:
        (tmp_path / f"{live.id}.{sleeper.pid}.taken").write_text(dumps(live))
        (tmp_path / f"{gone.id}.{finished.pid}.taken").write_text(dumps(gone))
        assert [b for _, b in spool.take()] == [gone]
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"batch": "x", "lost": 0, "counts": []}',
        '{"batch": "' + "a" * 32 + '", "lost": -1, "counts": []}',
        '{"batch": "' + "a" * 32 + '", "lost": 0, "counts": [[1, "call", "", "answered", 0]]}',
        '{"batch": "' + "a" * 32 + '", "lost": 0, "counts": [[1, "call", "", "answered", true]]}',
        '{"batch": "' + "a" * 32 + '", "lost": 0, "counts": [[1, "call", "", 5, 1]]}',
        '{"batch": "' + "a" * 32 + '", "lost": 0, "counts": [], "from": "+33687654321"}',
    ],
)
def test_a_file_that_is_not_a_batch_is_refused(text):
    with pytest.raises(BadSpoolFile):
        loads(text)


def test_a_bad_file_is_set_aside_once_and_the_others_are_read(tmp_path, caplog):
    good = Batch({(HOUR, CALL): 2})
    spool = Spool(tmp_path)
    spool.put(good)
    ident = "b" * 32
    (tmp_path / f"{ident}.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        assert [b for _, b in spool.take()] == [good]
        assert [b for _, b in spool.take()] == [good]
    assert [r.getMessage() for r in caplog.records] == [
        f"statistics: {ident}.json is not a batch of counts (not JSON); set aside as {ident}.bad"
    ]
    assert (tmp_path / f"{ident}.bad").read_text() == "{not json"


def test_the_spool_of_a_database_is_named_without_its_password(tmp_path):
    one = folder_for(tmp_path, "postgresql+psycopg://ivr:secret@db:5432/ivr")
    assert one == folder_for(tmp_path, "postgresql+psycopg://ivr:other@db:5432/ivr")
    assert one != folder_for(tmp_path, "postgresql+psycopg://ivr:secret@db:5432/ivr2")
    assert one.parent == tmp_path / "stats-spool" and "secret" not in str(one)


def test_a_batch_written_twice_counts_once(db_url):
    store = Store(db_url)
    store.migrate()
    try:
        batch = Batch({(HOUR, CALL): 2, (HOUR, WELCOME): 1})
        assert store.add(batch.increments, batch.id) is True
        assert store.add(batch.increments, batch.id) is False
        assert store.add({(HOUR, CALL): 1}, Batch({}).id) is True
        assert _written(store) == {CALL: 3, WELCOME: 1}
    finally:
        store.dispose()


def test_the_ids_of_old_batches_are_forgotten(store):
    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=31)
    with store.engine.begin() as conn:
        conn.execute(batches.insert().values(id="a" * 32, written=old))
    store.add({(HOUR, CALL): 1}, "c" * 32)
    store.prune()
    with store.engine.connect() as conn:
        assert [r.id for r in conn.execute(sa.select(batches.c.id))] == ["c" * 32]


def test_counts_spooled_while_the_database_is_down_are_written_once_when_it_is_back(store, tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, interval=3600, spool=spool)
    working = store.add
    _failing(store)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for _ in range(3):
            recorder.add((CALL, WELCOME))
            assert recorder.flush() is False
        assert len(os.listdir(spool.folder)) == 3, "one file per batch the database did not take"
        assert recorder._pending == {}
        store.add = working  # type: ignore[method-assign]
        recorder.add((CALL,))
        assert recorder.flush() is True
    assert os.listdir(spool.folder) == []
    assert _written(store) == {CALL: 4, WELCOME: 3}
    assert [r.getMessage() for r in caplog.records] == [
        f"statistics: cannot write to the database (OperationalError); counts are spooled to {spool.folder} "
        "until it is back",
        "statistics: written to the database again",
    ]


def test_at_exit_with_the_database_down_the_counts_are_spooled_and_said_once(store, tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, interval=3600, spool=spool)
    _failing(store)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for _ in range(4):
            recorder.add((CALL, WELCOME))
        recorder.flush()
        recorder.add((CALL,))
        recorder.close()
    spooled = [b for _, b in Spool(spool.folder).take()]
    assert sum(b.total() for b in spooled) == 9
    assert caplog.records[-1].getMessage() == (
        f"statistics: the database cannot be written; 9 count(s) spooled to {spool.folder}, written when it is back"
    )
    assert len(caplog.records) == 2


def test_a_new_recorder_writes_what_the_last_one_spooled(store, tmp_path):
    spool = Spool(tmp_path / "spool")
    first = Recorder(store, interval=3600, spool=spool)
    working = store.add
    _failing(store)
    first.add((CALL,))
    first.add((CALL,))
    first.close()
    store.add = working  # type: ignore[method-assign]
    assert Recorder(store, interval=3600, spool=spool).replay() is True
    assert Recorder(store, interval=3600, spool=spool).replay() is True
    assert _written(store) == {CALL: 2}


def test_when_neither_the_database_nor_the_spool_can_be_written_one_line_says_how_many_were_lost(
    store, tmp_path, caplog
):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    recorder = Recorder(store, interval=3600, spool=Spool(blocked / "spool"))  # a folder in a file: refused
    _failing(store)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for _ in range(3):
            recorder.add((CALL, WELCOME))
        assert recorder.flush() is False
        recorder.add((CALL,))
        recorder.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("statistics: cannot write to the database (OperationalError)")
    assert lines[1] == (
        f"statistics: cannot write the spool {blocked / 'spool'} (NotADirectoryError); counts are kept in memory"
    )
    assert lines[2:] == ["statistics: 7 count(s) lost at exit: neither the database nor the spool could take them"]


def test_a_writer_hanging_on_the_database_at_exit_has_its_counts_spooled_and_they_count_once(store, tmp_path):
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(store, interval=0.05, spool=spool)
    recorder.exit_wait = 0.5
    working = store.add
    entered, release = hang_writes(store)
    recorder.add((CALL,))
    assert entered.wait(30), "the writer never wrote"
    recorder.add((CALL, WELCOME))  # counted while the writer hangs
    recorder.close()  # gives up waiting: the batch being written and the new counts are spooled
    assert sorted(b.total() for b in map(loads, (p.read_text() for p in spool.folder.iterdir()))) == [1, 2]
    release.set()  # the hung write ends after all
    assert recorder._done.acquire(timeout=30), "the writer did not end"
    store.add = working  # type: ignore[method-assign]
    assert Recorder(store, interval=3600, spool=spool).replay() is True
    assert _written(store) == {CALL: 2, WELCOME: 1}, "the batch written by the writer and spooled counts once"


def test_the_spool_holds_neither_the_callers_number_nor_the_call_sid(tmp_path):
    app = counting_app(DOWN)
    recorder = app.extensions["ivr.stats"]
    recorder.spool = Spool(tmp_path / "spool")
    client = app.test_client()
    _call(client, "1", "3")
    _call(client, "2")
    assert recorder.flush() is False
    texts = [p.read_text() for p in (tmp_path / "spool").iterdir()]
    assert len(texts) == 1
    assert [f for f in FORMS if f in texts[0]] == []
    assert json.loads(texts[0])["counts"][0][0] == int(datetime.now(UTC).timestamp()) // 3600
    recorder.spool = None
