"""Complete calls become counters on both engines, and nothing of a caller or a call is stored."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from ivr.stats.events import COUNTED_SIMULATION
from ivr.stats.recorder import Recorder
from ivr.stats.store import Store
from tests.caller import Caller
from tests.routes import key_paths

from .helpers import counting_app, flushed

NUMBER = "+33687654321"
SID = "CA" + "5a1d" * 8
FORMS = [NUMBER, "0687654321", "687654321", "87654321", "5a1d5a1d", SID, SID[2:]]


def _call(client, *keys, status: str | None = None, tries: int = 1, duration: str = "95") -> Caller:
    caller = Caller(client, caller_number=NUMBER)
    caller.call_sid, caller.account_sid = SID, COUNTED_SIMULATION
    caller.keys(*keys)
    for _ in range(tries if status is not None else 0):
        caller.dial_ends(status)
    response = client.post(
        "/voice/status",
        data={"CallSid": SID, "From": NUMBER, "Caller": NUMBER, "CallStatus": "completed", "CallDuration": duration},
    )
    assert response.status_code == 204
    return caller


def test_calls_give_exact_counts_per_route(db_url):
    app = counting_app(db_url)
    client = app.test_client()
    flow = app.extensions["ivr"].flow
    paths = key_paths(flow)
    services = flow.nodes[flow.operator].services  # the listening team's tries, in turn
    for _ in range(3):
        _call(client, *paths["social_help"])  # a doctor, social help: a number read
    _call(client, "0", status="busy", tries=len(services))  # nobody answers any try: the other lines read
    doctor, aid = paths["cdo_lookup"]
    _call(client, doctor, "9", aid, "14", duration="20")  # a wrong key, then département 14
    _call(client, "", status="completed", duration="700")  # silence at the first menu: put through
    counts = flushed(app)
    platform = flow.platform.id
    assert counts[("call", "", "answered")] == 6
    assert counts[("reached", "welcome", "")] == 6
    assert counts[("choice", "welcome", "doctor_needs")] == 4
    assert counts[("choice", "doctor_needs", "social_help")] == 3
    assert counts[("number", "social_service", "")] == 3
    assert counts[("wrong_key", "doctor_needs", "")] == 1
    assert counts[("silence", "welcome", "")] == 1
    for service in set(services):
        put_through = 1 if service == platform else 0  # the silent caller's call, answered
        assert counts[("transfer", service, "")] == services.count(service) + put_through, service
        assert counts[("transfer_end", service, "busy")] == services.count(service), "every try, counted"
    assert counts[("transfer", platform, "")] == 3, "the busy platform is tried twice"
    assert counts[("transfer_end", platform, "completed")] == 1
    assert counts[("reached", flow.nodes[flow.operator].on_failure, "")] == 1
    assert counts[("number", "suicide_line", "")] == 1
    assert counts[("ended", "completed", "1-2 min")] == 5 - 1
    assert counts[("ended", "completed", "0-30 s")] == 1
    assert counts[("ended", "completed", "10-20 min")] == 1
    assert counts[("number", "cdo_14", "")] == 1


def test_fallback_faults_and_status_are_counted(db_url):
    app = counting_app(db_url)
    client = app.test_client()
    client.post("/voice/fallback", data={"ErrorCode": "11200", "From": NUMBER})
    client.post("/voice/fallback", data={"ErrorCode": NUMBER})
    client.post("/voice/key?n=nowhere", data={"Digits": "1", "CallSid": SID})
    counts = flushed(app)
    assert counts[("fallback", "", "11200")] == 1
    assert counts[("fallback", "", "other")] == 1
    assert counts[("fault", "", "CallStateError")] == 1


def test_every_table_and_column_is_free_of_the_callers_number_and_the_call_sid(db_url):
    app = counting_app(db_url)
    client = app.test_client()
    flow = app.extensions["ivr"].flow
    for keys in key_paths(flow).values():
        caller = _call(client, *keys)
        if caller.doc.dial is not None:
            caller.dial_ends("no-answer")
    client.post("/voice/fallback", data={"ErrorCode": SID, "From": NUMBER, "CallSid": SID})
    client.post(f"/voice/key?n={SID}", data={"Digits": NUMBER, "CallSid": SID})
    client.post("/voice/status", data={"CallSid": SID, "CallStatus": NUMBER, "CallDuration": SID})
    flushed(app)
    store = app.extensions["ivr.stats"].store
    inspector = sa.inspect(store.engine)
    tables = inspector.get_table_names()
    assert {"counts", "alerts"} <= set(tables)
    seen = 0
    with store.engine.connect() as conn:
        for table in tables:
            columns = [c["name"] for c in inspector.get_columns(table)]
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                seen += 1
                for column, value in zip(columns, row, strict=True):
                    text = str(value)
                    assert [f for f in FORMS if f in text] == [], (table, column)
    assert seen > 20
    hours = {r.hour for r in store.rows()}
    assert all(h.minute == 0 and h.second == 0 and h.microsecond == 0 for h in hours)


def test_a_database_down_never_fails_a_call_and_says_so_once(tmp_path, caplog):
    store = Store("postgresql+psycopg://nobody@127.0.0.1:9/none", timeout=1)
    recorder = Recorder(store, interval=3600, max_keys=3)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for _ in range(4):
            for i in range(5):
                recorder.add((("reached", f"n{i}", ""),))
            assert recorder.flush() is False
    lines = [r.getMessage() for r in caplog.records]
    assert sum("cannot write" in m for m in lines) == 1, lines
    assert sum("dropped" in m for m in lines) == 1, lines
    assert len(recorder._pending) == 3 and recorder._lost > 0
    recorder.close()


def test_counts_kept_while_the_database_is_down_are_written_when_it_is_back(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'later' / 'stats.sqlite3'}"
    store = Store(url)
    recorder = Recorder(store, interval=3600, max_keys=2, migrated=False)
    broken = store.add
    store.add = lambda batch, ident: (_ for _ in ()).throw(sa.exc.OperationalError("x", {}, Exception()))
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        for key in (("call", "", "answered"), ("reached", "welcome", ""), ("reached", "other", "")):
            recorder.add((key,))
        assert not recorder.flush()
        store.add = broken
        assert recorder.flush()
    assert "written to the database again; 1 increment(s) were lost" in caplog.text
    totals = {(r.event, r.subject): r.count for r in store.rows()}
    assert totals == {("call", ""): 1, ("reached", "welcome"): 1, ("lost", ""): 1}
    recorder.close()


def test_counting_is_a_dict_increment_without_a_connection(db_url):
    app = counting_app(db_url)
    recorder = app.extensions["ivr.stats"]
    opened = []
    sa.event.listen(recorder.store.engine, "connect", lambda *a: opened.append(1))
    client = app.test_client()
    for _ in range(5):
        _call(client, "1", "3")
    assert opened == []
    assert sum(recorder._pending.values()) > 0
    recorder.flush()


def test_the_background_writer_flushes_on_its_own(db_url):
    app = counting_app(db_url, stats_flush=1)
    client = app.test_client()
    _call(client, "2")
    store = app.extensions["ivr.stats"].store
    deadline = time.monotonic() + 60
    while not any(r.event == "call" for r in store.rows()):
        assert time.monotonic() < deadline, "nothing was written by the background writer"
        time.sleep(0.2)
    app.extensions["ivr.stats"].close()


def test_the_failure_alert_is_logged_once_per_hour_and_service(db_url, caplog):
    store = Store(db_url.replace("postgresql://", "postgresql+psycopg://"))
    store.migrate()
    now = time.time()
    recorder = Recorder(store, interval=3600, clock=lambda: now)
    hour = int(now) // 3600
    store.add(
        {
            (hour, ("transfer_end", "platform", "completed")): 3,
            (hour, ("transfer_end", "platform", "busy")): 2,
            (hour, ("transfer_end", "other", "busy")): 4,
            (hour - 1, ("transfer_end", "third", "busy")): 9,
        }
    )
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        assert recorder.check_alert() == [("platform", 0.4)]
        second = Recorder(store, interval=3600, clock=lambda: now)  # another worker: no second line
        assert second.check_alert() == []
    alerts = [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 1 and "platform" in alerts[0] and "40 %" in alerts[0]


def test_only_a_fallback_twilio_signed_is_counted(tmp_path):
    from twilio.request_validator import RequestValidator

    app = counting_app(f"sqlite:///{tmp_path / 's.sqlite3'}", auth_token="t" * 32)
    client = app.test_client()
    form = {"ErrorCode": "11205"}
    signature = RequestValidator("t" * 32).compute_signature("http://localhost/voice/fallback", form)
    assert client.post("/voice/fallback", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    assert client.post("/voice/fallback", data={"ErrorCode": "12345"}).status_code == 200
    forged = {"X-Twilio-Signature": "Zm9yZ2Vk"}
    assert client.post("/voice/fallback", data={"ErrorCode": "12346"}, headers=forged).status_code == 200
    signature = RequestValidator("t" * 32).compute_signature("http://localhost/voice/fallback", {"ErrorCode": "𝟏𝟏𝟐𝟎𝟎"})
    unicode_digits = {"X-Twilio-Signature": signature}
    assert client.post("/voice/fallback", data={"ErrorCode": "𝟏𝟏𝟐𝟎𝟎"}, headers=unicode_digits).status_code == 200
    counts = flushed(app)
    assert {key: n for key, n in counts.items() if key[0] == "fallback" and n} == {
        ("fallback", "", "11205"): 1,
        ("fallback", "", "other"): 1,  # signed, but not Twilio's shape of code
    }


def test_the_simulators_own_calls_are_never_counted(tmp_path):
    from ivr.simulator.player import Call
    from ivr.simulator.transport import flask_transport
    from ivr.stats.events import SIMULATED_ACCOUNT

    app = counting_app(f"sqlite:///{tmp_path / 's.sqlite3'}")
    transport = flask_transport(app)
    call = Call(transport, "http://localhost/voice")
    assert call.account == SIMULATED_ACCOUNT, "ivr call --url would count into the live line"
    call.start().press("1")
    Caller(app.test_client(), caller_number=NUMBER).keys("1", "3")  # the tests' caller is the simulator's too
    transport("POST", "http://localhost/voice/status", {"AccountSid": SIMULATED_ACCOUNT, "CallStatus": "completed"})
    assert flushed(app) == {}
    counted = Call(transport, "http://localhost/voice")
    counted.account = COUNTED_SIMULATION
    counted.start()
    assert flushed(app)[("call", "", "answered")] == 1


def test_without_a_thread_the_calls_go_on_and_are_counted_at_exit(tmp_path, monkeypatch, caplog):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    store.migrate()
    recorder = Recorder(store, interval=3600)

    def refused(*args):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr("ivr.stats.recorder._start_thread", refused)
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        recorder.add((("call", "", "answered"),))
        recorder.add((("call", "", "answered"),))
    assert caplog.text.count("no background writer") == 1
    recorder.close()
    assert [(r.event, r.count) for r in store.rows()] == [("call", 2)]
    store.dispose()


def test_migrating_says_nothing_at_start_up(db_url, caplog):
    """Starting the line migrates the counters' tables: alembic's INFO lines stay out of its log."""
    caplog.set_level(logging.INFO)
    store = Store(db_url)
    try:
        store.migrate()
        store.migrate()  # already at the newest revision: still nothing
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM counts")).scalar() == 0, "the tables exist"
    finally:
        store.dispose()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
