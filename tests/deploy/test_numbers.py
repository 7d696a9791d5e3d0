"""The account's numbers, read and updated with Twilio's own client against the local stand-in."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from ivr.deploy.account import AccountError, client_from_env
from ivr.deploy.numbers import Webhooks, find, line_url, update, wanted

from ..twilio_api import TwilioStandIn

ACCOUNT = "AC" + "a1" * 16
TOKEN = "0123456789abcdef0123456789abcdef"
LINE = "+33974991234"


@pytest.fixture
def account():
    with TwilioStandIn(ACCOUNT, TOKEN) as standin:
        standin.add_number(LINE, "Ligne test")
        yield (
            standin,
            client_from_env({"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}, standin.http_client()),
        )


def test_a_number_is_read_with_twilios_fields(account):
    standin, client = account
    number = find(client, "09 74 99 12 34")
    assert number.phone_number == LINE and number.sid.startswith("PN")
    assert isinstance(number.date_updated, dt.datetime), "Twilio's dates, as Twilio writes them"
    assert Webhooks.of(number) == Webhooks(None, "POST", None, "POST", None, "POST")
    [(method, path, _)] = standin.requests
    assert (method, path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json")


def test_an_update_sends_twilios_parameters_and_returns_what_twilio_keeps(account):
    standin, client = account
    hooks = wanted("https://line.example.org", "https://static.example.net/f.xml", "get")
    assert update(client, find(client, LINE), hooks) == hooks
    assert standin.updates()[0]["VoiceFallbackMethod"] == "GET"


def test_a_number_gone_before_its_update_is_twilios_404(account):
    _, client = account
    gone = SimpleNamespace(sid="PN" + "0" * 32)
    with pytest.raises(
        AccountError,
        match=r"Twilio refused \(HTTP 404\): The requested resource .* was not found; "
        r"error 20404",
    ):
        update(client, gone, wanted("https://line.example.org"))


@pytest.mark.parametrize(
    ("url", "local_ok", "expected"),
    [
        ("https://line.example.org/", False, "https://line.example.org"),
        ("https://line.example.org/ivr", False, "https://line.example.org/ivr"),
        ("http://127.0.0.1:5000", True, "http://127.0.0.1:5000"),
        ("http://localhost:5000/", True, "http://localhost:5000"),
        ("http://127.0.0.1:5000", False, None),
        ("http://line.example.org", True, None),
        ("https://line.example.org/?a=1", False, None),
        ("ftp://line.example.org", False, None),
    ],
)
def test_the_lines_address_is_https(url, local_ok, expected):
    if expected is None:
        with pytest.raises(AccountError, match="is not an https URL of the line"):
            line_url(url, local_ok=local_ok)
    else:
        assert line_url(url, local_ok=local_ok) == expected
