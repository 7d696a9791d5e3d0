"""A local stand-in for the part of Twilio's REST API the line uses: the account's phone numbers.

It answers as api.twilio.com does (paths, JSON shapes with paging, form-encoded updates, basic
auth, Twilio's error JSON), so the real `twilio` client can be pointed at it: `http_client()`
gives Twilio's own HTTP client, only sending to this server instead of https://api.twilio.com.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from twilio.http.http_client import TwilioHttpClient

API = "https://api.twilio.com"
VERSION = "2010-04-01"
# Twilio's update parameters, by the JSON field each one sets.
PARAMETERS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "FriendlyName": "friendly_name",
}
_LIST = re.compile(rf"^/{VERSION}/Accounts/(AC\w+)/IncomingPhoneNumbers\.json$")
_ONE = re.compile(rf"^/{VERSION}/Accounts/(AC\w+)/IncomingPhoneNumbers/(PN\w+)\.json$")


def _error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class TwilioStandIn:
    """An account with phone numbers, served over HTTP on 127.0.0.1."""

    def __init__(
        self, account_sid: str, auth_token: str, api_key: tuple[str, str] | None = None, page_size: int = 50
    ) -> None:
        self.account_sid, self.auth_token, self.api_key = account_sid, auth_token, api_key
        self.page_size = page_size  # Twilio's default is 50; smaller makes the client follow next_page_uri
        self.numbers: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, form), as received
        self.refusal: dict | None = None  # set to an error JSON to refuse every update with it
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TwilioStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_number(self, phone_number: str, friendly_name: str = "", **webhooks: str) -> str:
        """Add a phone number with Twilio's defaults (webhooks unset, methods POST); return its SID."""
        sid = "PN" + secrets.token_hex(16)
        uri = f"/{VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json"
        now = formatdate(usegmt=True)
        self.numbers[sid] = {
            "account_sid": self.account_sid,
            "address_requirements": "none",
            "address_sid": None,
            "api_version": VERSION,
            "beta": False,
            "bundle_sid": None,
            "capabilities": {"fax": False, "mms": False, "sms": False, "voice": True},
            "date_created": now,
            "date_updated": now,
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": friendly_name or phone_number,
            "identity_sid": None,
            "origin": "twilio",
            "phone_number": phone_number,
            "sid": sid,
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": "",
            "status": "in-use",
            "status_callback": "",
            "status_callback_method": "POST",
            "trunk_sid": None,
            "uri": uri,
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_receive_mode": "voice",
            "voice_url": None,
            "subresource_uris": {"assigned_add_ons": uri.replace(".json", "/AssignedAddOns.json")},
        }
        self.numbers[sid].update(webhooks)
        return sid

    def updates(self) -> list[dict[str, str]]:
        """Return the form of every update received."""
        return [form for method, _, form in self.requests if method == "POST"]

    def http_client(self) -> TwilioHttpClient:
        """Return Twilio's HTTP client, sending what it would send to api.twilio.com to this server."""
        base = self.base

        class StandInHttpClient(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                assert url.startswith(API + "/"), url  # the client asked for Twilio's real API
                return super().request(method, base + url.removeprefix(API), *args, **kwargs)

        client = StandInHttpClient()
        client.session.trust_env = False  # straight to 127.0.0.1, whatever proxy the machine sets
        return client

    # -- the API ---------------------------------------------------------------------------------
    def _authorised(self, header: str | None, account: str) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        valid = {(self.account_sid, self.auth_token)} | ({self.api_key} if self.api_key else set())
        return account == self.account_sid and (user, password) in valid

    def answer(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], authorization: str | None
    ) -> tuple[int, dict]:
        """Return the status and JSON Twilio would answer."""
        self.requests.append((method, path, form))
        match_list, match_one = _LIST.match(path), _ONE.match(path)
        match = match_list or match_one
        if match is None:
            return 404, _error(404, 20404, f"The requested resource {path} was not found")
        if not self._authorised(authorization, match.group(1)):
            return 401, _error(401, 20003, "Authenticate")
        if match_list and method == "GET":
            return 200, self._page(path, query)
        if match_one and method in ("GET", "POST"):
            record = self.numbers.get(match_one.group(2))
            if record is None:
                return 404, _error(404, 20404, f"The requested resource {path} was not found")
            if method == "POST":
                return self._update(record, form)
            return 200, record
        return 405, _error(405, 20004, "Method not allowed")

    def _page(self, path: str, query: dict[str, str]) -> dict:
        pattern = query.get("PhoneNumber", "")
        regex = re.compile(re.escape(pattern).replace(r"\*", r"\d")) if pattern else None
        found = [n for n in self.numbers.values() if regex is None or regex.search(n["phone_number"])]
        size, page = int(query.get("PageSize", self.page_size)), int(query.get("Page", 0))
        rows = found[page * size : (page + 1) * size]

        def uri(p: int) -> str:
            return f"{path}?{urlencode({**({'PhoneNumber': pattern} if pattern else {}), 'PageSize': size, 'Page': p})}"

        more = (page + 1) * size < len(found)
        return {
            "end": page * size + max(len(rows) - 1, 0),
            "first_page_uri": uri(0),
            "incoming_phone_numbers": rows,
            "next_page_uri": uri(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1) if page else None,
            "start": page * size,
            "uri": uri(page),
        }

    def _update(self, record: dict, form: dict[str, str]) -> tuple[int, dict]:
        if self.refusal is not None:
            return self.refusal["status"], self.refusal
        unknown = sorted(set(form) - set(PARAMETERS))
        if unknown:
            return 400, _error(400, 20001, f"Unknown parameters: {', '.join(unknown)}")
        for name, value in form.items():
            if name.endswith("Method") and value not in ("GET", "POST"):
                return 400, _error(400, 20001, f"{name} must be GET or POST")
        for name, value in form.items():
            record[PARAMETERS[name]] = value
        record["date_updated"] = formatdate(usegmt=True)
        return 200, record

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, payload = standin.answer(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    dict(parse_qsl(body)),
                    self.headers.get("Authorization"),
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, *args) -> None:
                pass

        return Handler
