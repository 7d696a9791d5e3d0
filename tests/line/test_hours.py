"""Closed means closed: outside a council's hours the line says when it opens and reads its number
for later, and dials nobody the caller did not choose (staying on the line reaches a person); within
hours it reads the number, without a word of hours. Played on a copy of the data whose council keeps
known hours, at instants set by IVR_NOW."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr import create_app
from ivr.config import ConfigError, Settings
from ivr.flow.model import Readout, closed_id
from ivr.flow.timing import speech_seconds
from tests.caller import Caller
from tests.conftest import DataCopy
from tests.routes import key_paths

OFFICE = {"mon-fri": ["09:00-12:00", "13:30-16:00"], "wed": ["09:00-12:00"]}
SUNDAY_NIGHT, TUESDAY_MORNING, CHRISTMAS = "2026-11-29T03:00+01:00", "2026-12-01T10:00+01:00", "2026-12-25T10:00+01:00"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> DataCopy:
    """The shipped flow, with one council whose number keeps office hours (and is the first such)."""
    copy = DataCopy(tmp_path_factory.mktemp("hours"))
    flow = copy.load()
    council = next(
        n for n in flow.nodes.values() if isinstance(n, Readout) and n.service.startswith("cdo_") and n.closed_intro
    )
    copy.edit("directory", lambda d: d["services"][council.service].update(open=OFFICE))
    copy.council = council  # type: ignore[attr-defined]
    return copy


def line_at(data: DataCopy, now: str | None):
    overrides = {"data_dir": data.data, "prompts_dir": data.prompts, "whisper": False}
    if now is not None:
        overrides["now"] = Settings.from_env({"IVR_NOW": now}).now
    return create_app(overrides, dev=True)


def call_council(app, data) -> tuple[Caller, object]:
    flow = app.extensions["ivr"].flow
    caller = Caller(app.test_client())
    keys = key_paths(flow)[data.council.id]
    doc = caller.keys(*keys)
    return caller, doc


@pytest.mark.parametrize(
    ("now", "opens"),
    [(SUNDAY_NIGHT, "demain à neuf heures"), (CHRISTMAS, "lundi à neuf heures")],
)
def test_at_night_or_on_a_holiday_the_office_is_said_closed_and_the_caller_put_through(data, now, opens):
    """Said closed, its number read for later, nobody dialled; staying on the line puts the caller
    through to the line that serves them there (the council's operator)."""
    app = line_at(data, now)
    flow = app.extensions["ivr"].flow
    number = flow.services[data.council.service]
    caller, doc = call_council(app, data)
    assert doc.dial is None, "never a transfer the caller did not choose"
    assert doc.node == closed_id(data.council.id)
    sentence = doc.says()[0]
    assert "est fermé" in sentence and f"il ouvre {opens}" in sentence
    assert sentence.endswith(":"), "then its number"
    assert speech_seconds(sentence) < 10, "one short sentence before the number"
    assert doc.text.count(number.spoken) == 2, "its number, read twice, for later"
    assert doc.text.index(sentence) < doc.text.index(number.spoken), "closed is said before the number"
    again = caller.press("1")
    assert again.node == doc.node and again.text.count(number.spoken) == 2, "1 reads it again, still closed"
    assert "est fermé" not in again.text
    operator = flow.operator_of(data.council.id)
    through = caller.silence()
    assert through.dialled == flow.services[flow.nodes[operator].services[0]].dial
    assert through.dial.get("action").startswith(f"/voice/dial?n={operator}&")
    assert through.says() == [], "no words between the silence and the ring"
    busy = caller.dial_ends("busy")
    assert busy.dialled, "nobody answering: the next try, as at any transfer"


def test_within_hours_the_number_is_read_without_a_word_of_hours(data):
    app = line_at(data, TUESDAY_MORNING)
    number = app.extensions["ivr"].flow.services[data.council.service]
    _, doc = call_council(app, data)
    assert doc.dial is None and doc.text.count(number.spoken) == 2
    assert "heure" not in doc.text and "ouvre" not in doc.text and "fermé" not in doc.text


def test_an_answer_that_depends_on_the_hour_is_never_served_at_another_hour(data):
    """One line, its clock moving: the same keys at the same position, three answers."""
    clock = {"now": Settings.from_env({"IVR_NOW": TUESDAY_MORNING}).now}
    app = line_at(data, None)
    line = app.extensions["ivr"]
    line.answers.clock = lambda: clock["now"]
    number = line.flow.services[data.council.service].spoken
    morning = call_council(app, data)[1]
    assert morning.node == data.council.id and number in morning.text and "ouvre" not in morning.text
    clock["now"] = Settings.from_env({"IVR_NOW": SUNDAY_NIGHT}).now
    night = call_council(app, data)[1]
    assert night.node == closed_id(data.council.id) and "il ouvre demain à neuf heures" in night.text
    assert night.text.count(number) == 2, "read for later"
    clock["now"] = Settings.from_env({"IVR_NOW": "2026-11-28T18:00+01:00"}).now  # Saturday evening
    assert "il ouvre lundi à neuf heures" in call_council(app, data)[1].text
    clock["now"] = Settings.from_env({"IVR_NOW": TUESDAY_MORNING}).now
    again = call_council(app, data)[1]
    assert again.node == data.council.id and number in again.text and "ouvre" not in again.text


def test_the_council_said_by_name_at_night_is_closed_too(data):
    app = line_at(data, SUNDAY_NIGHT)
    flow = app.extensions["ivr"].flow
    caller = Caller(app.test_client())
    caller.keys(*key_paths(flow)["cdo_lookup"])
    name = flow.places[data.council.id]
    doc = caller.say(name)
    assert "est fermé" in doc.text and doc.dial is None and doc.node == closed_id(data.council.id)
    assert doc.text.count(flow.services[data.council.service].spoken) == 2, "its number, for later"
    assert caller.silence().dialled == flow.services[flow.nodes[flow.operator_of(doc.node)].services[0]].dial


def test_a_service_without_known_hours_is_read_at_any_hour(data):
    app = line_at(data, SUNDAY_NIGHT)
    flow = app.extensions["ivr"].flow
    other = next(
        n
        for n in flow.nodes.values()
        if isinstance(n, Readout) and n.service.startswith("cdo_") and flow.services[n.service].opening is None
    )
    caller = Caller(app.test_client())
    doc = caller.keys(*key_paths(flow)[other.id])
    assert doc.dial is None and flow.services[other.service].spoken in doc.text and "fermé" not in doc.text


def test_a_read_out_whose_service_keeps_hours_needs_its_closed_sentence(data, tmp_path):
    copy = DataCopy(tmp_path, source=data.data.parent)
    copy.edit("flow", lambda d: d["nodes"]["cdo_lookup"].pop("closed_intro"))
    with pytest.raises(Exception) as info:
        copy.load()
    assert "[nodes.cdo_lookup.closed_intro]" in str(info.value) and "keeps hours" in str(info.value)
    copy.edit("flow", lambda d: d["nodes"]["cdo_lookup"].update(closed_intro="social_intro"))
    with pytest.raises(Exception) as info:
        copy.load()
    assert "write {opening} where it goes" in str(info.value)


@pytest.mark.parametrize("raw", ["2026-12-25 03:00", "Noël", "2026-12-25T03:00"])
def test_ivr_now_needs_an_instant_with_its_offset(raw):
    with pytest.raises(ConfigError, match="IVR_NOW must be an instant in ISO 8601 with its offset"):
        Settings.from_env({"IVR_NOW": raw})


def test_without_ivr_now_the_line_tells_the_real_time():
    settings = Settings.from_env({})
    assert settings.now is None
    before = datetime.now().astimezone()
    assert abs((settings.clock() - before).total_seconds()) < 60
    fixed = Settings.from_env({"IVR_NOW": SUNDAY_NIGHT})
    assert fixed.clock() == datetime.fromisoformat(SUNDAY_NIGHT)


def test_ivr_check_says_each_number_s_hours_whether_open_now_and_how_many_councils_have_one(data, monkeypatch):
    from click.testing import CliRunner

    from ivr.cli import main

    flow = data.load()
    service = flow.services[data.council.service]
    monkeypatch.setenv("IVR_NOW", SUNDAY_NIGHT)
    result = CliRunner().invoke(main, ["check", "--data", str(data.data), "--prompts", str(data.prompts)])
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"  {service.number} "))
    assert lines[at + 2].strip() == (
        "hours: mon-tue 09:00-12:00, 13:30-16:00; wed 09:00-12:00; thu-fri 09:00-12:00, 13:30-16:00 "
        "(closed on public holidays); closed now, opens demain à neuf heures"
    )
    monkeypatch.setenv("IVR_NOW", TUESDAY_MORNING)
    again = CliRunner().invoke(main, ["check", "--data", str(data.data), "--prompts", str(data.prompts)])
    assert "(closed on public holidays); open now" in again.output
    read = [n for n in flow.places if isinstance(flow.nodes[n], Readout)]
    assert f"Councils: {len(read)} of {len(flow.places)} have a number the line reads" in again.output


def test_a_dissolved_council_says_so_before_the_caller_is_put_through(tmp_path):
    copy = DataCopy(tmp_path)
    status = "Le conseil de Paris a été dissous ; une délégation le remplace."
    source = {"url": "https://example.org/dissolution", "date": "2026-11-29"}
    copy.edit("councils", lambda d: d["councils"]["75"].update(status=status, source=source))
    app = create_app({"data_dir": copy.data, "prompts_dir": copy.prompts}, dev=True)
    flow = app.extensions["ivr"].flow
    node = next(n for n, name in flow.places.items() if name == "Paris")
    doc = Caller(app.test_client()).keys(*key_paths(flow)[node])
    assert doc.says()[0].startswith(status) and doc.dial is not None


def _keypad_call(client, keys, at):
    answer = client.post("/simulator/step", json={"action": "start", "at": at}).get_json()
    for key in keys:
        answer = client.post(
            "/simulator/step", json={"action": "keys", "keys": key, "state": answer["state"], "at": at}
        ).get_json()
    return " ".join(e["text"] for e in answer["events"])


def test_the_keypad_page_calls_at_the_hour_its_clock_field_says(data):
    app = line_at(data, None)  # the line keeps its own clock; the page's field sets the call's
    flow = app.extensions["ivr"].flow
    client = app.test_client()
    keys = key_paths(flow)[data.council.id]
    number = flow.services[data.council.service].spoken
    night = _keypad_call(client, keys, "2026-11-29T03:00")  # as a datetime-local field writes it: Paris time
    assert "est fermé ; il ouvre demain à neuf heures" in night and night.count(number) == 2
    day = _keypad_call(client, keys, "2026-12-01T10:00")
    assert number in day and "est fermé" not in day
    bad = client.post("/simulator/step", json={"action": "start", "at": "Noël"})
    assert bad.status_code == 400 and "2026-12-25T03:00" in bad.get_json()["error"]
    with client.get("/simulator") as page:
        assert 'id="clock" type="datetime-local"' in page.get_data(as_text=True)


def test_a_request_from_the_network_cannot_set_the_clock(data):
    """Only a request made inside the process carries the simulated instant (a WSGI environ key);
    a header of the same name is only a header."""
    app = line_at(data, TUESDAY_MORNING)
    flow = app.extensions["ivr"].flow
    caller = Caller(app.test_client(), headers=lambda url, form: {"ivr.simulated_now": SUNDAY_NIGHT})
    doc = caller.keys(*key_paths(flow)[data.council.id])
    assert flow.services[data.council.service].spoken in doc.text and "fermé" not in doc.text
