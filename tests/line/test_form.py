"""Twilio's form fields are read as urllib would read them, only faster."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, quote_from_bytes, urlencode

import gevent
import pytest
from gevent import socket
from gevent.local import local
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.line import deadline
from ivr.line.form import MAX_BODY, MAX_ESCAPES, MAX_FIELDS, Form, UnreadableBody, parse_form, read_form

pieces = st.text(st.sampled_from("aZ09=&+%;é\u00a0 _-.~*#2BbFC3A8\x00€𝟏"), max_size=60)


@settings(max_examples=3000, deadline=None)
@given(body=pieces)
def test_parse_form_agrees_with_parse_qsl_on_any_text(body):
    assert parse_form(body) == parse_qsl(body, keep_blank_values=True)


@settings(max_examples=200, deadline=None)
@given(fields=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30)), max_size=10))
def test_parse_form_reads_back_any_encoded_form(fields):
    assert parse_form(urlencode(fields)) == parse_qsl(urlencode(fields), keep_blank_values=True)


@settings(max_examples=500, deadline=None)
@given(raw=st.lists(st.tuples(st.binary(max_size=12), st.binary(max_size=40)), max_size=6))
def test_parse_form_agrees_with_parse_qsl_on_any_escaped_bytes(raw):
    """Escapes of any bytes, broken UTF-8 included, and every other escape."""
    body = "&".join(quote_from_bytes(name, safe="") + "=" + quote_from_bytes(value, safe="%\\") for name, value in raw)
    assert parse_form(body) == parse_qsl(body, keep_blank_values=True)


def test_parse_form_decodes_a_long_sentence_as_parse_qsl_does():
    body = urlencode({"SpeechResult": "médecin \\ 100% € " * 2000, "Digits": "%zz%4"})
    assert parse_form(body) == parse_qsl(body, keep_blank_values=True)


def _environ(body: bytes, content_type: str = "application/x-www-form-urlencoded", length: str | None = None):
    return {
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
        "wsgi.input": io.BytesIO(body),
    }


def test_read_form_reads_twilio_fields():
    body = urlencode({"CallSid": "CA1", "Digits": "#", "From": "+33612345678"}).encode()
    assert read_form(_environ(body)) == Form([("CallSid", "CA1"), ("Digits", "#"), ("From", "+33612345678")])


def test_content_type_is_compared_case_insensitively():
    body = b"Digits=1"
    for kind in ("Application/X-WWW-Form-Urlencoded", "APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8"):
        assert read_form(_environ(body, content_type=kind)).fields == [("Digits", "1")], kind


def test_read_form_ignores_other_bodies_and_bounds_the_read():
    assert read_form(_environ(b'{"Digits": "1"}', content_type="application/json")) == Form([])
    assert read_form(_environ(b"Digits=1", length="nonsense")) == Form([("Digits", "1")])
    big = b"Digits=1&Pad=" + b"x" * (2 * MAX_BODY)
    form = read_form(_environ(big))
    assert not form.complete
    assert form.fields[0] == ("Digits", "1") and len(form.fields[1][1]) == MAX_BODY - len(b"Digits=1&Pad=")


def test_a_body_too_big_for_twilio_is_not_read_when_only_a_whole_one_will_do():
    environ = _environ(b"Digits=1&Pad=" + b"x" * MAX_BODY)
    assert read_form(environ, whole_only=True) == Form([], complete=False)
    assert environ["wsgi.input"].tell() == 0, "not a byte read"


def test_fields_beyond_the_cap_are_not_parsed():
    body = "&".join(f"f{i}=v" for i in range(MAX_FIELDS + 5)).encode()
    form = read_form(_environ(body))
    assert len(form.fields) == MAX_FIELDS and not form.complete
    exact = "&".join(f"f{i}=v" for i in range(MAX_FIELDS)).encode()
    assert read_form(_environ(exact)).complete


def test_parse_form_keeps_the_first_fields_only():
    assert parse_form("a=1&b=2&c=3", 2) == [("a", "1"), ("b", "2")]
    assert parse_form("a=1&b=2&c=3&d=4", 2) == [("a", "1"), ("b", "2")]


# -- the bounds, at exactly the limit and one past it ----------------------------------------------


def _fields(count: int) -> list[tuple[str, str]]:
    return [(f"f{i}", "v") for i in range(count)]


def test_exactly_max_fields_is_a_whole_form_and_one_more_is_not():
    exact = urlencode(_fields(MAX_FIELDS)).encode()
    assert read_form(_environ(exact), whole_only=True) == Form(_fields(MAX_FIELDS))
    beyond = urlencode(_fields(MAX_FIELDS + 1)).encode()
    assert read_form(_environ(beyond), whole_only=True) == Form([], complete=False)
    assert read_form(_environ(beyond)) == Form(_fields(MAX_FIELDS), complete=False), "the first ones, in order"


def test_exactly_max_escapes_is_a_whole_form_and_one_more_is_not():
    exact = b"SpeechResult=" + b"%41" * MAX_ESCAPES
    assert read_form(_environ(exact), whole_only=True) == Form([("SpeechResult", "A" * MAX_ESCAPES)])
    beyond = b"SpeechResult=" + b"%41" * (MAX_ESCAPES + 1)
    assert read_form(_environ(beyond), whole_only=True) == Form([], complete=False)
    assert read_form(_environ(beyond)) == Form([("SpeechResult", "A" * (MAX_ESCAPES + 1))], complete=False)


@pytest.mark.parametrize("length", [None, ""], ids=["declared", "unknown"])
def test_a_body_of_exactly_max_body_bytes_is_read_whole(length):
    body = b"Pad=" + b"x" * (MAX_BODY - len(b"Pad="))
    environ = _environ(body, length=length)
    assert read_form(environ, whole_only=True) == Form([("Pad", "x" * (MAX_BODY - len(b"Pad=")))])
    assert environ["wsgi.input"].tell() == MAX_BODY


@pytest.mark.parametrize("length", [None, ""], ids=["declared", "unknown"])
def test_one_byte_past_max_body_is_read_no_further(length):
    body = b"Pad=" + b"x" * (MAX_BODY - len(b"Pad=")) + b"yz"
    environ = _environ(body, length=length)
    assert read_form(environ) == Form([("Pad", "x" * (MAX_BODY - len(b"Pad=")))], complete=False)
    assert environ["wsgi.input"].tell() == MAX_BODY + 1, "one byte more than the bound tells it is exceeded"
    unknown = _environ(body, length="")
    assert read_form(unknown, whole_only=True) == Form([], complete=False)
    assert unknown["wsgi.input"].tell() == MAX_BODY + 1


def test_only_the_declared_length_is_read():
    environ = _environ(b"Digits=1&Next=request", length="8")
    assert read_form(environ) == Form([("Digits", "1")])
    assert environ["wsgi.input"].tell() == 8
    empty = _environ(b"Digits=1", length="0")
    assert read_form(empty) == Form([])
    assert empty["wsgi.input"].tell() == 0


def test_a_body_without_a_type_is_no_form():
    environ = {"CONTENT_LENGTH": "8", "wsgi.input": io.BytesIO(b"Digits=1")}
    assert read_form(environ) == Form([])
    assert environ["wsgi.input"].tell() == 0


def test_bytes_that_are_no_utf8_are_replaced():
    assert read_form(_environ(b"Digits=1\xff&SpeechResult=caf\xc3")) == Form(
        [("Digits", "1\ufffd"), ("SpeechResult", "caf\ufffd")]
    )


# -- the deadline ----------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """A request clock of this test's own, with a tenth of a second to read the body."""
    monkeypatch.setattr(deadline, "_request", local())
    monkeypatch.setattr(deadline, "READ_SECONDS", 0.1)
    deadline.start()


def test_a_body_trickling_in_on_a_socket_is_given_up_at_the_deadline(clock):
    ours, theirs = socket.socketpair()
    with ours, theirs, ours.makefile("rb") as stream, gevent.Timeout(5):  # a failure, never a hang
        theirs.sendall(b"Digits=1&Pad=")  # of the 100 bytes promised, then nothing
        environ = {"CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": "100", "wsgi.input": stream}
        with pytest.raises(UnreadableBody, match="^deadline$"):
            read_form(environ)
    assert deadline.given_up(), "its connection is closed once answered"


def test_a_body_sent_whole_on_a_socket_is_read_within_the_deadline(clock):
    ours, theirs = socket.socketpair()
    with ours, theirs, ours.makefile("rb") as stream:
        theirs.sendall(b"Digits=1&SpeechResult=oui")
        environ = {"CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": "25", "wsgi.input": stream}
        assert read_form(environ) == Form([("Digits", "1"), ("SpeechResult", "oui")])
    assert not deadline.given_up()


class _Slow(io.RawIOBase):
    def read(self, size=-1):
        gevent.sleep(10)
        return b""


def test_another_timeout_is_not_the_bodys(monkeypatch):
    """A timeout of the caller's own, ending while the body is read, is raised as it is."""
    monkeypatch.setattr(deadline, "_request", local())
    environ = _environ(b"")
    environ["wsgi.input"] = _Slow()
    with gevent.Timeout(0.05) as outer, pytest.raises(gevent.Timeout) as raised:
        read_form(environ)
    assert raised.value is outer
    assert not deadline.given_up()


class _Reset(io.RawIOBase):
    def read(self, size=-1):
        raise ConnectionResetError(104, "Connection reset by peer")


def test_a_body_the_server_cannot_read_is_unreadable(monkeypatch):
    monkeypatch.setattr(deadline, "_request", local())
    environ = _environ(b"")
    environ["wsgi.input"] = _Reset()
    with pytest.raises(UnreadableBody, match="^ConnectionResetError$"):
        read_form(environ)
    assert deadline.given_up()
