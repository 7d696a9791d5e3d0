"""Drive the app the way Twilio does: POST real form fields, follow Gather, Redirect and Dial."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urljoin, urlsplit


class Doc:
    """A parsed TwiML answer."""

    def __init__(self, body: str, url: str) -> None:
        self.body = body
        self.url = url
        self.root = ET.fromstring(body)
        assert self.root.tag == "Response", body

    def says(self) -> list[str]:
        """Every sentence said, in order (SSML children included)."""
        return [" ".join("".join(s.itertext()).split()) for s in self.root.iter("Say")]

    @property
    def text(self) -> str:
        return " ".join(self.says())

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def dial(self) -> ET.Element | None:
        return self.root.find("Dial")

    @property
    def dialled(self) -> str | None:
        dial = self.dial
        return dial.findtext("Number") if dial is not None else None

    @property
    def hangs_up(self) -> bool:
        return self.root.find("Hangup") is not None

    @property
    def node(self) -> str | None:
        """The flow node of the keypad prompt (the `n` of the Gather action)."""
        if self.gather is None:
            return None
        return parse_qs(urlsplit(self.gather.get("action")).query)["n"][0]


class Caller:
    """One caller on one call; every request carries Twilio's standard fields."""

    def __init__(self, client, caller_number: str = "+33612345678", headers=None, base="http://localhost/") -> None:
        self.client = client
        self.base = base  # where the line is, for the URL a signature covers
        self.caller_number = caller_number
        self.headers = headers or (lambda url, form: {})
        self.call_sid = "CA" + uuid.uuid4().hex
        self.account_sid = "AC" + "0" * 32  # the simulator's: counted in no statistics
        self.doc: Doc | None = None
        self.history: list[Doc] = []

    def _post(self, url: str, **extra) -> Doc:
        form = {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.caller_number,
            "Caller": self.caller_number,
            "To": "+33100000000",
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }
        absolute = urljoin(self.base, url)
        response = self.client.post(url, data=form, headers=self.headers(absolute, form))
        assert response.status_code == 200, (url, response.status_code)
        assert response.mimetype == "text/xml"
        self.doc = Doc(response.get_data(as_text=True), url)
        self.history.append(self.doc)
        return self.doc

    def answer(self) -> Doc:
        return self._post("/voice")

    def press(self, digits: str) -> Doc:
        gather = self.doc.gather
        assert gather is not None, f"no keypad prompt in {self.doc.body}"
        return self._post(gather.get("action"), Digits=digits)

    def say(self, words: str, confidence: str | None = "0.9") -> Doc:
        """Speak at the prompt, as Twilio posts it: SpeechResult and Confidence, no Digits."""
        gather = self.doc.gather
        assert gather is not None and "speech" in gather.get("input", ""), f"not listening: {self.doc.body}"
        extra = {"SpeechResult": words} if confidence is None else {"SpeechResult": words, "Confidence": confidence}
        return self._post(gather.get("action"), **extra)

    def silence(self) -> Doc:
        """Let the keypad prompt time out: Twilio falls through to the Redirect."""
        redirect = self.doc.root.find("Redirect")
        assert redirect is not None, f"nothing after the keypad prompt in {self.doc.body}"
        return self._post(redirect.text)

    def dial_ends(self, status: str) -> Doc:
        dial = self.doc.dial
        assert dial is not None and dial.get("action"), f"no transfer with a callback in {self.doc.body}"
        return self._post(dial.get("action"), DialCallStatus=status, DialCallDuration="0")

    def keys(self, *presses: str) -> Doc:
        """Answer, then press each key in turn ("" for silence)."""
        self.answer()
        for digits in presses:
            self.silence() if digits == "" else self.press(digits)
        return self.doc
