"""No input breaks a call: fuzzed forms and URLs, Twilio's vocabulary, every path ends with a human."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import create_app
from ivr.flow.model import Interactive, Readout, Transfer
from ivr.flow.timing import speech_seconds

from ..caller import Doc
from ..twiml_vocabulary import problems

APP = create_app(dev=True)
FLOW = APP.extensions["ivr"].flow
PLATFORM = FLOW.platform.dial
PATHS = ["/voice", "/voice/key", "/voice/dial", "/voice/fallback"]
NODES = sorted(FLOW.nodes)
FAILURES = {node.on_failure for node in FLOW.nodes.values() if isinstance(node, Transfer)}


def first_dial(node_id: str) -> str:
    """The number 0 and silence put the caller through to from a node: its operator's first try."""
    return FLOW.services[FLOW.nodes[FLOW.operator_of(node_id)].services[0]].dial


KEYS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "", "14", "75", "20", "97", "96"]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
huge = st.text(min_size=5000, max_size=20000, alphabet="0123456789*#a\x00\u00e9\u202e")
values = st.one_of(text, huge, st.sampled_from(["", "0", "-1", "99999999999999999999", "welcome", "1.2"]))
queries = st.dictionaries(
    st.sampled_from(["n", "t", "r", "x", "n[]"]),
    st.one_of(values, st.sampled_from(NODES), st.just(".".join(NODES))),
    max_size=4,
)
forms = st.dictionaries(
    st.sampled_from(
        [
            "Digits",
            "SpeechResult",
            "DialCallStatus",
            "CallSid",
            "ErrorCode",
            "From",
            "To",
            "Caller",
            "Called",
            "AccountSid",
        ]
    ),
    values,
    max_size=6,
)


def assert_way_forward(response) -> Doc:
    """A 200 with TwiML in Twilio's vocabulary that gives the caller a way forward."""
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert problems(body) == []
    doc = Doc(body, "")
    children = [child.tag for child in doc.root]
    if doc.gather is not None:
        assert children[-1] == "Redirect"
    elif not doc.hangs_up:
        assert doc.dialled is not None, body
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), query=queries, form=forms)
def test_any_request_gets_a_way_forward(path, query, form):
    client = APP.test_client()
    response = client.post(path, query_string=query, data=form)
    doc = assert_way_forward(response)
    if doc.hangs_up:
        assert path == "/voice/dial" and form.get("DialCallStatus") in ("completed", "answered")


@settings(max_examples=100, deadline=None)
@given(node=st.sampled_from(NODES), digits=values)
def test_any_keys_at_any_real_position(node, digits):
    """Real positions (reached by real keys) with arbitrary Digits."""
    gather_urls = _reachable_gather_urls()
    url = gather_urls.get(node, "/voice/key?n=" + FLOW.entry)
    assert_way_forward(APP.test_client().post(url, data={"Digits": digits, "CallSid": "CA1"}))


@settings(max_examples=50, deadline=None)
@given(
    raw=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]
    ),
)
def test_malformed_bodies(raw, content_type):
    response = APP.test_client().post("/voice/key?n=welcome", data=raw, content_type=content_type)
    assert_way_forward(response)


def test_get_is_refused_on_every_webhook():
    client = APP.test_client()
    for path in PATHS:
        assert client.get(path).status_code == 405


_CACHE: dict[str, str] = {}


def _reachable_gather_urls() -> dict[str, str]:
    if not _CACHE:
        for doc in explore().values():
            if doc.gather is not None:
                _CACHE.setdefault(doc.node, doc.gather.get("action"))
    return _CACHE


def explore() -> dict[str, Doc]:
    """Every document a caller can reach with any key, silence, or transfer outcome."""
    client = APP.test_client()
    seen: dict[str, Doc] = {}
    todo: deque[tuple[str, dict]] = deque([("/voice", {})])
    while todo:
        url, form = todo.popleft()
        key = url + "|" + repr(sorted(form.items()))
        if key in seen:
            continue
        response = client.post(url, data={"CallSid": "CA1", **form})
        doc = assert_way_forward(response)
        seen[key] = doc
        if doc.gather is not None:
            action = doc.gather.get("action")
            for digits in KEYS:
                todo.append((action, {"Digits": digits} if digits else {}))
        elif doc.dial is not None and doc.dial.get("action"):
            for status in ("completed", "busy", "no-answer", "failed", "canceled"):
                todo.append((doc.dial.get("action"), {"DialCallStatus": status}))
    return seen


def test_every_path_ends_with_a_human_or_a_number():
    """Walk every state with every key, silence and transfer outcome: no dead end, and silence
    from any menu reaches the listening team."""
    docs = explore()
    assert len(docs) > 50
    nodes = {parse_qs(urlsplit(d.gather.get("action")).query)["n"][0] for d in docs.values() if d.gather is not None}
    interactive = {n for n, node in FLOW.nodes.items() if isinstance(node, Interactive)}
    assert nodes == {n for n in interactive if "-" not in n} | {"cdo_lookup-14", "cdo_lookup-20", "cdo_lookup-97"}
    client = APP.test_client()
    for doc in docs.values():
        if doc.hangs_up:
            assert doc.says() == []
            continue
        # From every keypad prompt, a caller who says nothing is put through within max_tries silences.
        if doc.gather is not None:
            current = doc
            for _ in range(APP.extensions["ivr"].settings.max_tries):
                current = Doc(
                    client.post(current.root.find("Redirect").text, data={"CallSid": "CA1"}).get_data(as_text=True), ""
                )
                if current.dial is not None:
                    break
            assert current.dialled == first_dial(doc.node)
        elif doc.dial.get("action") is None:
            assert doc.dialled == PLATFORM, "the fallback puts the caller through to the listening team"
        else:
            query = parse_qs(urlsplit(doc.dial.get("action")).query)
            transfer = FLOW.nodes[query["n"][0]]
            tries = int(query.get("r", ["0"])[0])
            assert doc.dialled == FLOW.services[transfer.services[tries]].dial, "each try dials its own service"


def test_unanswered_transfers_always_offer_other_lines():
    """Nobody answering: the 3114 read twice and the caller's own line for later, then, nobody answering
    again, something new and brief that names the 3114; staying on the line always tries again."""
    docs = explore()
    failures = [doc for doc in docs.values() if doc.gather is not None and doc.node in FAILURES]
    assert {doc.node for doc in failures} == FAILURES
    crisis = FLOW.services["suicide_line"].spoken
    read = [doc for doc in failures if isinstance(FLOW.nodes[doc.node], Readout)]
    arrived = [doc for url, doc in docs.items() if url.startswith("/voice/dial") and doc in failures]
    again = [doc for doc in arrived if not isinstance(FLOW.nodes[doc.node], Readout)]
    assert {doc.node for doc in arrived} == FAILURES
    assert read and again, "a first failure reads numbers, a second one says something new"
    for doc in failures:
        line = FLOW.nodes[FLOW.operator_of(doc.node)]
        assert isinstance(line, Transfer) and line.on_failure in FAILURES, "staying on the line tries again"
    for doc in read:
        assert doc.text.count(crisis) == 2
        own_line = FLOW.services[FLOW.nodes[FLOW.operator_of(doc.node)].services[0]]
        assert own_line.spoken in doc.text, "the number of the line the caller was trying"
        slow = [s for s in doc.root.iter("Say") if s.find("prosody") is not None]
        assert len(slow) == 2
    shortest = min(speech_seconds(doc.text) for doc in read)
    for doc in again:
        assert crisis in doc.text, "the 3114, named again"
        assert not any(doc.text == first.text or doc.text in first.text for first in read), "something new"
        assert speech_seconds(doc.text) < shortest, "briefly: the lines are tried again at once"


def test_vocabulary_check_catches_mistakes():
    assert problems("<Response><Gather><Dial/></Gather></Response>") == [
        "Response/Gather/<Dial> is not allowed inside <Gather>"
    ]
    assert problems('<Response><Say voicee="x">a</Say></Response>') == ["Response/<Say> has unknown attribute 'voicee'"]
    assert ET.fromstring("<Response/>").tag == "Response"
