"""Read Twilio's form fields from a webhook request, quickly and within bounds: every request needs them.

werkzeug's request.form, with max_content_length and max_form_memory_size, would do it, but costs
16 to 42 µs more a request, 7.5 to 13 % of the Procfile's workers' CPU time per request (152 to
325 µs), against 5 % allowed (bench/libraries.py, Twilio-shaped request, three runs on 2026-11-29);
and it counts neither the fields nor the escapes of a urlencoded form before parsing it all
(max_form_parts is for multipart only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gevent import Timeout

from . import deadline

FORM_TYPE = "application/x-www-form-urlencoded"
# The bounds follow from what Twilio can send. Its fields are about 1 kB, a few dozen %XX; only what
# a caller said (SpeechResult) can be long, and it is finite: one <Gather> takes at most 60 s of speech
# (maxSpeechTime, https://www.twilio.com/docs/voice/twiml/gather ; warning 13328,
# https://www.twilio.com/docs/api/errors/13328). 200 characters a second is ten times the fastest
# speech, and each character costs at worst 3 escapes (9 bytes) in the form.
SPEECH_SECONDS = 60
MAX_SPEECH = SPEECH_SECONDS * 200  # characters of SpeechResult
OTHER_FIELDS = 16 * 1024  # bytes of every other field Twilio sends (about 1 kB), with room to spare
MAX_BODY = OTHER_FIELDS + 9 * MAX_SPEECH
MAX_FIELDS = 64  # Twilio sends about 30 fields
MAX_ESCAPES = 1024 + 3 * MAX_SPEECH  # each costs a turn of a Python loop to decode


class UnreadableBody(Exception):
    """The request's body could not be read (a malformed chunked body, a client gone)."""


@dataclass(frozen=True)
class Form:
    """The fields read, and whether they are the whole body (only then can a signature match)."""

    fields: list[tuple[str, str]]
    complete: bool = True


def parse_form(body: str, max_fields: int | None = None) -> list[tuple[str, str]]:
    """Parse a form body exactly as urllib.parse.parse_qsl(body, keep_blank_values=True) does; keep
    the first `max_fields`.

    Most of Twilio's escapes are the "+" of its numbers (%2B): replaced at C speed with the spaces
    (+), they leave most fields with nothing to decode. For Twilio's dozen fields, 2 µs instead of
    22 for an unquote_plus of each, on every request. "+" is ASCII: replacing its escape never joins
    nor splits an escaped UTF-8 sequence, so the result is parse_qsl's (tests/line/test_form.py).
    """
    body = body.replace("+", " ").replace("%2B", "+").replace("%2b", "+")  # each the body itself when absent
    fields = body.split("&") if max_fields is None else body.split("&", max_fields)[:max_fields]
    pairs = [field.partition("=") for field in fields if field]
    if "%" not in body:
        return [(name, value) for name, _, value in pairs]
    return [(_decoded(name), _decoded(value)) for name, _, value in pairs]


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decoded(text: str) -> str:
    """Decode the %XX of a name or value as unquote(text, errors="replace") does, at C speed: each
    becomes \\xXX for Python's own escape decoder (a % that starts no escape stays as it is, as with
    unquote). unquote's loop costs 0.1 µs an escape: a stranger's body of 37 000 escapes, within the
    bounds, took 4.3 ms to refuse (47 small forged requests)."""
    if "%" not in text:
        return text
    escaped = _BAD_ESCAPE.sub("%25", text).encode("utf-8").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def is_form(environ: Mapping) -> bool:
    """Tell whether the request's body is a form (its type compared case-insensitively)."""
    return environ.get("CONTENT_TYPE", "")[: len(FORM_TYPE)].lower() == FORM_TYPE


def read_form(environ: Mapping, whole_only: bool = False) -> Form:
    """Read the fields of a WSGI request's form body, at most MAX_BODY bytes and MAX_FIELDS fields.

    Any other body counts as no field. With `whole_only` (signatures are checked), a body that cannot
    be Twilio's is not parsed, nor read at all when declared bigger than MAX_BODY. Raise
    UnreadableBody when the body cannot be read.
    """
    if not is_form(environ):
        return Form([])
    try:
        declared = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        declared = -1
    if declared > MAX_BODY and whole_only:
        return Form([], complete=False)
    want = MAX_BODY + 1 if declared < 0 else min(declared, MAX_BODY + 1)  # unknown length: read one more
    # Within what is left of the request's deadline (ivr.line.deadline), however slowly it comes.
    late = Timeout(deadline.remaining())
    late.start()
    try:
        body = environ["wsgi.input"].read(want)
    except Timeout as exc:
        if exc is not late:
            raise
        deadline.give_up()
        raise UnreadableBody("deadline") from None
    except Exception as exc:  # whatever the server raises, the body is unreadable
        deadline.give_up()
        raise UnreadableBody(type(exc).__name__) from None
    finally:
        late.close()
    text = body[:MAX_BODY].decode("utf-8", "replace")
    # Counted before any parsing (C speed): more fields or escapes than Twilio sends are not its form.
    complete = len(body) <= MAX_BODY and text.count("&") < MAX_FIELDS and text.count("%") <= MAX_ESCAPES
    if whole_only and not complete:
        return Form([], complete=False)
    return Form(parse_form(text, MAX_FIELDS), complete)
