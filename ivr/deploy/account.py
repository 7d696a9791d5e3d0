"""The Twilio account, reached with Twilio's own client and the credentials Twilio documents."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.rest import Client

from ..errors import IVRError


class AccountError(IVRError):
    """The account cannot be reached, or refused what was asked; the message says what to do."""


def client_from_env(environ: Mapping[str, str] | None = None, http_client: HttpClient | None = None) -> Client:
    """Build Twilio's client from TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with an API key and secret.

    `http_client` replaces the client's HTTP layer (Twilio's documented extension point).
    """
    env = os.environ if environ is None else environ
    sid, token = env.get("TWILIO_ACCOUNT_SID", "").strip(), env.get("TWILIO_AUTH_TOKEN", "").strip()
    key, secret = env.get("TWILIO_API_KEY", "").strip(), env.get("TWILIO_API_SECRET", "").strip()
    if not sid:
        raise AccountError(
            "TWILIO_ACCOUNT_SID is not set: set it, with TWILIO_AUTH_TOKEN (or TWILIO_API_KEY "
            "and TWILIO_API_SECRET), from the Twilio console's Account info"
        )
    if not sid.startswith("AC"):
        raise AccountError("TWILIO_ACCOUNT_SID must be the account's SID, starting with AC")
    if key or secret:
        if not (key and secret):
            raise AccountError("set both TWILIO_API_KEY and TWILIO_API_SECRET, or neither")
        return Client(key, secret, sid, http_client=http_client)
    if not token:
        raise AccountError(
            "no Twilio credentials: set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
            "TWILIO_API_SECRET) beside TWILIO_ACCOUNT_SID"
        )
    return Client(sid, token, sid, http_client=http_client)


def refused(exc: TwilioException) -> AccountError:
    """Say what Twilio answered when it refused a request: its message and error code."""
    if isinstance(exc, TwilioRestException):
        status, code, message = exc.status, exc.code, str(exc.msg).split(": ", 1)[-1]
    else:  # a list page Twilio refused: the client passes on its response
        response: Any = exc.args[1] if len(exc.args) > 1 else None
        status, code, message = getattr(response, "status_code", None), None, str(exc.args[0] if exc.args else "")
        try:
            error = json.loads(response.text)
            code, message = error.get("code"), error.get("message") or message
        except (AttributeError, TypeError, ValueError):
            pass
    hint = " (check TWILIO_ACCOUNT_SID and the token or key)" if status == 401 else ""
    more = f"; error {code}, https://www.twilio.com/docs/errors/{code}" if code else ""
    return AccountError(f"Twilio refused (HTTP {status}): {message or 'no message'}{hint}{more}")


@contextmanager
def asking_twilio() -> Iterator[None]:
    """Turn Twilio's refusals and network failures into an AccountError that says what happened."""
    try:
        yield
    except TwilioException as exc:
        raise refused(exc) from None
    except OSError as exc:  # requests' connection errors and timeouts
        raise AccountError(f"could not reach Twilio: {type(exc).__name__}") from None
