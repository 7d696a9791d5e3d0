"""The line's own signature check: the URL Twilio signed, rebuilt from the request, and the HMAC
compared as Twilio's RequestValidator would (its reference, in agreement on any request)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.line.signature import SignatureCheck, form_string, signed_url

TOKEN = "0123456789abcdef0123456789abcdef"
PARAMS = [("CallSid", "CA" + "1" * 32), ("Digits", "1"), ("To", "+33100000000")]


def sign(url: str, params: list[tuple[str, str]], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, MultiDict(params))


def _environ(**overrides) -> dict:
    environ = {
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "10.0.0.7:8000",
        "SERVER_NAME": "internal",
        "SERVER_PORT": "8080",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/voice/key",
        "QUERY_STRING": "n=welcome&t=",
    }
    environ.update(overrides)
    return {name: value for name, value in environ.items() if value is not None}


# -- the URL Twilio signed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "public_url", "expected"),
    [
        ({}, None, "http://10.0.0.7:8000/voice/key?n=welcome&t="),
        (
            {"wsgi.url_scheme": "https", "HTTP_HOST": "line.example.org"},
            None,
            "https://line.example.org/voice/key?n=welcome&t=",
        ),
        ({"HTTP_HOST": None}, None, "http://internal:8080/voice/key?n=welcome&t="),
        ({"HTTP_HOST": ""}, None, "http://internal:8080/voice/key?n=welcome&t="),
        ({"QUERY_STRING": ""}, None, "http://10.0.0.7:8000/voice/key"),
        ({"QUERY_STRING": None}, None, "http://10.0.0.7:8000/voice/key"),
        ({"SCRIPT_NAME": "/line"}, None, "http://10.0.0.7:8000/line/voice/key?n=welcome&t="),
        ({"SCRIPT_NAME": None}, None, "http://10.0.0.7:8000/voice/key?n=welcome&t="),
        ({"PATH_INFO": None}, None, "http://10.0.0.7:8000?n=welcome&t="),
        ({}, "https://line.example.org", "https://line.example.org/voice/key?n=welcome&t="),
        ({}, "https://line.example.org//", "https://line.example.org/voice/key?n=welcome&t="),
        (
            {"SCRIPT_NAME": "/line", "QUERY_STRING": ""},
            "https://line.example.org/",
            "https://line.example.org/line/voice/key",
        ),
        ({}, "", "http://10.0.0.7:8000/voice/key?n=welcome&t="),
        ({"QUERY_STRING": ""}, "HTTPS://LINE.EXAMPLE.BOX/", "HTTPS://LINE.EXAMPLE.BOX/voice/key"),
    ],
    ids=[
        "host",
        "https host",
        "no host header",
        "empty host header",
        "no query",
        "query unset",
        "path prefix",
        "no prefix",
        "no path",
        "public url",
        "public url with slashes",
        "public url and prefix",
        "empty public url",
        "public url in capitals",
    ],
)
def test_signed_url_is_rebuilt_from_the_request(overrides, public_url, expected):
    assert signed_url(_environ(**overrides), public_url) == expected


# -- the check -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "present"),
    [({"HTTP_X_TWILIO_SIGNATURE": "Zm9yZ2Vk"}, True), ({"HTTP_X_TWILIO_SIGNATURE": ""}, False), ({}, False)],
)
def test_present_tells_whether_a_signature_is_sent(header, present):
    assert SignatureCheck.present(_environ(**header)) is present


def test_a_request_signed_for_its_url_and_form_is_valid():
    check = SignatureCheck(TOKEN)
    environ = _environ(HTTP_X_TWILIO_SIGNATURE=sign("http://10.0.0.7:8000/voice/key?n=welcome&t=", PARAMS))
    assert check(environ, PARAMS) is True
    assert check(environ, [*PARAMS, ("Digits", "2")]) is False, "another form"
    assert check({**environ, "QUERY_STRING": "n=welcome&t=welcome"}, PARAMS) is False, "another URL"
    assert SignatureCheck("f" * 32)(environ, PARAMS) is False, "another token"
    assert check({**environ, "HTTP_X_TWILIO_SIGNATURE": ""}, PARAMS) is False, "no signature"
    assert check({**environ, "HTTP_X_TWILIO_SIGNATURE": None}, PARAMS) is False, "no signature"


def test_the_public_url_is_the_one_checked():
    check = SignatureCheck(TOKEN, public_url="https://line.example.org/")
    public = sign("https://line.example.org/voice/key?n=welcome&t=", PARAMS)
    assert check(_environ(HTTP_X_TWILIO_SIGNATURE=public), PARAMS) is True
    internal = sign("http://10.0.0.7:8000/voice/key?n=welcome&t=", PARAMS)
    assert check(_environ(HTTP_X_TWILIO_SIGNATURE=internal), PARAMS) is False


def test_the_host_of_the_server_is_signed_without_a_host_header():
    check = SignatureCheck(TOKEN)
    signature = sign("http://internal:8080/voice/key?n=welcome&t=", PARAMS)
    environ = _environ(HTTP_HOST=None, HTTP_X_TWILIO_SIGNATURE=signature)
    assert check(environ, PARAMS) is True


def test_a_request_that_breaks_the_check_is_not_valid():
    """Neither a Host header nor a server name: no URL to check, refused rather than a fault."""
    environ = _environ(HTTP_HOST=None, SERVER_NAME=None, HTTP_X_TWILIO_SIGNATURE="Zm9yZ2Vk")
    assert SignatureCheck(TOKEN)(environ, PARAMS) is False


@pytest.mark.parametrize(
    ("received", "signed", "valid"),
    [
        ("https://line.example.org/voice", "https://line.example.org:443/voice", True),
        ("https://line.example.org:443/voice", "https://line.example.org/voice", True),
        ("http://line.example.org/voice", "http://line.example.org:80/voice", True),
        ("https://line.example.org:8443/voice", "https://line.example.org/voice", True),  # as Twilio's validator
        ("https://line.example.org/voice", "https://line.example.org:8443/voice", False),
        ("https://line.example.org/voice", "https://other.example.org/voice", False),
    ],
)
def test_the_standard_port_may_be_signed_or_not(received, signed, valid):
    assert SignatureCheck(TOKEN).valid(received, PARAMS, sign(signed, PARAMS)) is valid
    assert RequestValidator(TOKEN).validate(received, MultiDict(PARAMS), sign(signed, PARAMS)) is valid


def test_a_signature_that_is_no_latin1_is_not_valid():
    assert SignatureCheck(TOKEN).valid("https://line.example.org/voice", PARAMS, "€" + "A" * 27) is False


def test_the_form_is_signed_sorted_each_pair_once():
    assert form_string([("To", "+33"), ("Digits", "1"), ("Digits", "0"), ("To", "+33")]) == "Digits0Digits1To+33"
    assert form_string([]) == ""


def test_the_signature_is_twilios_base64_hmac_sha1():
    check = SignatureCheck(TOKEN)
    url = "https://line.example.org/voice"
    assert check._sign(url, form_string(PARAMS)) == sign(url, PARAMS).encode()
    assert check._sign(url, form_string(PARAMS)) == check._sign(url, form_string(PARAMS)), "the keyed MAC is copied"


NAMES = st.sampled_from(["CallSid", "Digits", "From", "To", "x", "é", ""])
HOSTS = st.sampled_from(
    ["line.example.org", "line.example.org:443", "line.example.org:80", "line.example.org:8443", "10.0.0.7:8000", "h"]
)
PATHS = st.sampled_from(["/voice", "/voice/key?n=welcome", "/voice/key?n=a&t=b.c", "/audio/x.wav"])


@settings(max_examples=300, deadline=None)
@given(
    url=st.text(max_size=80),
    params=st.lists(st.tuples(NAMES, st.text(max_size=30)), max_size=8),
    scheme=st.sampled_from(["http", "https"]),
    host=HOSTS,
    path=PATHS,
    signed_host=HOSTS,
)
def test_signature_fast_path_agrees_with_twilio(url, params, scheme, host, path, signed_host):
    check = SignatureCheck(TOKEN)
    validator = check.validator  # the reference the bench measures the check against
    assert check._sign(url, form_string(params)).decode() == validator.compute_signature(url, MultiDict(params))
    received, signed = f"{scheme}://{host}{path}", f"{scheme}://{signed_host}{path}"
    signature = validator.compute_signature(signed, MultiDict(params))
    assert check.valid(received, params, signature) == validator.validate(received, MultiDict(params), signature)
