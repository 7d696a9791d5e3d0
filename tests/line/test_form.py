"""Twilio's form fields are read as urllib would read them, only faster."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, quote_from_bytes, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.line.form import MAX_BODY, MAX_FIELDS, Form, parse_form, read_form

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
