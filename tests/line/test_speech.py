"""The line listens: every prompt that takes keys takes French speech too, the words lead where the keys
do, anything unsure puts the caller through, and the words are never written anywhere."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml
from sqlalchemy import create_engine, text

from ivr import create_app
from ivr.flow.loader import load_flow
from ivr.flow.model import Menu, Transfer
from ivr.flow.position import DISTRESS_FLAG
from ivr.flow.speech import understand
from ivr.flow.timing import speech_seconds
from ivr.line.twiml import SPEECH_MODEL, WHISPER_SECONDS
from tests.paths import ROOT

from ..caller import Caller, Doc
from ..routes import key_paths
from ..twiml_vocabulary import problems

FLOW = load_flow(ROOT / "data", ROOT / "prompts")
OFFER = (
    load_flow(ROOT / "data", ROOT / "prompts", frozenset({"speech"}))
    .prompts["need_question"]
    .removeprefix(FLOW.prompts["need_question"])
    .strip()
)  # "Vous pouvez le dire.", said only when the line listens
PATHS = key_paths(FLOW)
NUMBER = "+33687654321"
WORDS = "Je crois que c'est le Calvados, dit Zorglub"  # what a caller said: never kept


@pytest.fixture(scope="module")
def listening():
    return create_app(dev=True)


def _at(doc) -> str:
    """The node a document is at: its keypad prompt's, or its transfer's."""
    verb = doc.gather if doc.gather is not None else doc.dial
    return parse_qs(urlsplit(verb.get("action")).query)["n"][0]


def _gathers(app):
    flow = app.extensions["ivr"].flow
    client = app.test_client()
    for node, keys in key_paths(flow).items():
        if not isinstance(flow.nodes[node], Transfer):
            yield node, Caller(client).keys(*keys)


def test_every_prompt_that_takes_keys_listens_in_french_with_its_words_as_hints(listening):
    seen = 0
    settings = listening.extensions["ivr"].settings
    for node, doc in _gathers(listening):
        gather = doc.gather
        assert gather is not None, node
        assert (gather.get("input"), gather.get("language"), gather.get("speechModel")) == (
            "dtmf speech",
            "fr-FR",
            SPEECH_MODEL,
        ), node
        # Silence: the menu's own (a menu may set it), else the line's; the same quiet ends words, so a
        # caller who says nothing is put through after it whichever of the two Twilio applies.
        silence = getattr(FLOW.nodes[node], "timeout", None) or settings.gather_timeout
        assert gather.get("timeout") == gather.get("speechTimeout") == str(silence), node
        assert gather.get("hints"), node
        assert problems(doc.body) == [], node
        seen += 1
    assert seen > 10


def test_the_gather_vocabulary_check_knows_input_and_would_refuse_a_misspelt_attribute(listening):
    body = Caller(listening.test_client()).answer().body
    assert problems(body) == []
    assert problems(body.replace("speechModel=", "speechmodel=")) == [
        "Response/<Gather> has unknown attribute 'speechmodel'"
    ]


def test_with_speech_off_prompts_take_keys_only_and_do_not_offer_it():
    app = create_app({"speech": False}, dev=True)
    for node, doc in _gathers(app):
        gather = doc.gather
        assert not {"input", "hints", "speechModel", "speechTimeout", "language"} & set(gather.attrib), node
        assert OFFER not in doc.body
    doc = Caller(app.test_client()).keys("1")
    assert FLOW.prompts["need_question"] in doc.text


def test_the_second_menu_says_once_that_callers_may_speak(listening):
    said = [doc.text.count("Vous pouvez le dire") for _, doc in _gathers(listening)]
    assert sum(said) == 1


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ((), "je suis médecin"),
        ((), "infirmière"),
        ((), "psychologue"),
        ((), "tapez un"),
        (PATHS["doctor_needs"], "aide financière"),
        (PATHS["doctor_needs"], "une assistante sociale"),
        (PATHS["doctor_needs"], "burn-out"),
        (PATHS["doctor_needs"], "retour"),
        (PATHS["doctor_needs"], "répétez"),
        (PATHS["cdo_lookup"], "quatorze"),
        (PATHS["cdo_lookup"], "Calvados"),
        (PATHS["assault_advice"], "oui"),
        (PATHS["social_help"], "un"),
        (PATHS["assault"], "porter plainte"),
    ],
)
def test_words_lead_exactly_where_their_keys_do(listening, keys, words):
    client = listening.test_client()
    spoken = Caller(client).keys(*keys)
    said = Caller(client)
    said.keys(*keys)
    meant = listening.extensions["ivr"].flow.listeners[spoken.node]
    pressed = understand(meant, words, None, 0.5).keys
    assert pressed
    assert said.say(words).body == Caller(client).keys(*keys, *pressed).body


REPEAT = yaml.safe_load((ROOT / "prompts" / "fr.yaml").read_text(encoding="utf-8"))["words"]["repeat"][0]
LONG = "bonjour je vous appelle parce que depuis des mois la situation est vraiment très compliquée pour moi et"
DISTRESS_SAID = [  # each would otherwise mean another key, or nothing (the same answer as 0)
    (f"{REPEAT.capitalize()}, {LONG} je n'en peux plus.", "0.9"),  # far in a long sentence
    (f"{REPEAT.capitalize()}. J'ai des idées suicidaires.", "0.9"),  # a near miss
    ("Je n'en peux plus.", "0.9"),
    ("J'ai des idées noires, je crois.", "0.7"),
    ("Aide financière, je veux en finir.", "0.9"),  # a choice said too
    ("Je n'en peux plus, c'est pour mes dettes.", "0.9"),
    ("Je suis pharmacien et je n'en peux plus.", None),  # no Confidence sent
]


def _distress_marks(doc) -> list[list[str] | None]:
    """The distress mark (d) of each URL of a transfer: its callback, and the whisper's."""
    assert doc.dial is not None, doc.body
    urls = [doc.dial.get("action"), *(n.get("url") for n in doc.dial.iter("Number") if n.get("url"))]
    return [parse_qs(urlsplit(u).query).get("d") for u in urls]


def _marked(doc) -> str:
    """A transfer's answer without its distress mark (d=1), once every URL of the dial is seen to carry it."""
    assert all(mark == [DISTRESS_FLAG] for mark in _distress_marks(doc)), doc.body
    return doc.body.replace(f"&amp;d={DISTRESS_FLAG}", "")


def _pressed_until_put_through(client, keys, pressed) -> Doc:
    """The caller who pressed `keys`, then `pressed` in turn until a transfer answers."""
    caller = Caller(client)
    doc = caller.keys(*keys)
    for key in pressed:
        if doc.dial is not None:
            break
        doc = caller.press(key)
    return doc


def test_distress_said_at_any_prompt_is_answered_as_0_there(listening):
    """Words of distress: what 0 there does (after the choice that says who calls, when the words name
    exactly one), a transfer at once, marked for whoever answers; nothing else of what was said."""
    flow = listening.extensions["ivr"].flow
    client = listening.test_client()
    depths = set()
    chose = 0
    for node, keys in key_paths(flow).items():
        if node not in flow.listeners:
            continue
        pressed_0 = Caller(client).keys(*keys, "0")
        assert pressed_0.dial is not None, node
        assert all(m is None for m in _distress_marks(pressed_0)), "0 pressed is no distress"
        here = flow.nodes[node]
        who = {o.key for o in here.options if o.callers} if isinstance(here, Menu) else set()
        for words, confidence in DISTRESS_SAID:
            caller = Caller(client)
            caller.keys(*keys)
            said = caller.say(words, confidence)
            heard = understand(flow.listeners[node], words, None, 0.5)
            assert heard.distress and heard.keys[-1:] == ("0",) and set(heard.keys[:-1]) <= who, (node, words)
            if heard.keys == ("0",):
                assert _marked(said) == pressed_0.body, (node, words)
                assert _at(said) == flow.operator_of(node), (node, words)
            else:  # one profession said: its choice, then 0
                chose += 1
                assert _marked(said) == _pressed_until_put_through(client, keys, heard.keys).body, (node, words)
        depths.add(len(keys))
    assert {0, 1} <= depths  # the first menu and the second level at least
    assert chose, "a profession said with distress at the first menu"


def test_distress_with_one_profession_reaches_a_line_that_serves_it_at_once(listening):
    """At the menu that asks who calls, each choice's label said with words of distress: a line that serves
    those callers, dialled at once, the whisper told."""
    flow = listening.extensions["ivr"].flow
    client = listening.test_client()
    for node, keys in key_paths(flow).items():
        here = flow.nodes[node]
        for option in here.options if isinstance(here, Menu) else ():
            if not option.callers:
                continue
            caller = Caller(client)
            caller.keys(*keys)
            said = caller.say(f"{flow.prompts[option.say]}, je n'en peux plus.")
            transfer = flow.nodes[_at(said)]
            assert isinstance(transfer, Transfer), (option.say, said.body)
            assert said.dialled == flow.services[transfer.services[0]].dial
            assert all(flow.services[transfer.services[0]].serves(c) for c in option.callers), option.say
            assert _marked(said) == _pressed_until_put_through(client, keys, (option.key, "0")).body


@pytest.mark.parametrize(
    ("words", "council"),
    [
        ("Corse du Sud", "de la Corse-du-Sud"),
        ("Guadeloupe", "de la Guadeloupe"),
        ("vingt-deux", "des Côtes-d'Armor"),
    ],
)
def test_a_departement_said_reaches_a_council_that_takes_two_questions_by_keypad(listening, words, council):
    caller = Caller(listening.test_client())
    caller.keys("1", "2")
    reached = caller.say(words)
    assert f"Ordre des médecins {council}" in reached.text
    assert reached.dial is not None or reached.gather is not None


def test_corse_du_sud_said_and_typed_reach_the_same_answer(listening):
    client = listening.test_client()
    said = Caller(client)
    said.keys("1", "2")
    assert said.say("la Corse-du-Sud").body == Caller(client).keys("1", "2", "20", "1").body


@pytest.mark.parametrize("confidence", ["0.3", "0", "abc", "nan"])
def test_unsure_words_put_the_caller_through_like_silence(listening, confidence):
    client = listening.test_client()
    caller = Caller(client)
    caller.keys("1")
    doc = caller.say("aide financière", confidence)
    operator = FLOW.nodes[FLOW.operator_of(caller.history[-2].node)]  # the doctors' own line, after "1"
    assert _at(doc) == operator.id and doc.dialled == FLOW.services[operator.services[0]].dial
    assert doc.body == Caller(client).keys("1", "").body
    assert all(m is None for m in _distress_marks(doc)), "unsure words are no distress"


def test_words_with_two_meanings_or_none_put_the_caller_through(listening):
    for words in ("médecin ou pharmacien", "médecin ou infirmière", "allô ?", "bonjour je voudrais"):
        caller = Caller(listening.test_client())
        caller.answer()
        assert _at(caller.say(words)) == FLOW.operator, words


def test_no_confidence_sent_is_matched_as_said(listening):
    caller = Caller(listening.test_client())
    caller.answer()
    assert caller.say("médecin", confidence=None).node == "doctor_needs"


def test_keys_win_over_words_when_twilio_sends_both(listening):
    caller = Caller(listening.test_client())
    gather = caller.answer().gather
    other = next(o for o in FLOW.nodes[FLOW.entry].options if o.target != "doctor_needs")
    doc = caller._post(gather.get("action"), Digits=other.key, SpeechResult="médecin", Confidence="0.9")
    assert _at(doc) == other.target


def test_empty_words_are_silence(listening):
    caller = Caller(listening.test_client())
    caller.answer()
    gather = caller.doc.gather
    assert _at(caller._post(gather.get("action"), SpeechResult="  ", Confidence="0.9")) == FLOW.operator


def test_thousands_of_different_sentences_add_only_their_meanings_to_the_cache(listening):
    answers = listening.extensions["ivr"].answers
    client = listening.test_client()
    before = answers._said_at.cache_info().currsize
    for i in range(300):
        caller = Caller(client)
        caller.answer()
        caller.say(f"je suis médecin depuis {i} ans" if i % 2 else f"phrase {i} sans sens")
    assert answers._said_at.cache_info().currsize - before <= 2


def test_what_callers_say_is_never_logged_nor_counted(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    app = create_app({"stats_url": url, "stats_flush": 1}, dev=True)
    client = app.test_client()
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        for keys in ((), ("1",), ("1", "2")):
            caller = Caller(client, caller_number=NUMBER)
            caller.account_sid = "AC" + "1" * 32  # a real account: counted
            caller.keys(*keys)
            caller.say(WORDS)
            caller.keys(*keys)
            caller.say(WORDS, "0.1")
    app.extensions["ivr.stats"].close()
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "answered at cdo_lookup-14" in logged
    for secret in ("Calvados,", "Zorglub", "Je crois", NUMBER):
        assert secret not in logged
    engine = create_engine(url)
    with engine.connect() as db:
        tables = [r[0] for r in db.execute(text("select name from sqlite_master where type='table'"))]
        rows = [tuple(r) for t in tables for r in db.execute(text(f'select * from "{t}"'))]
    dump = repr(rows)
    assert "speech" in dump and "understood" in dump and "unsure" in dump
    for secret in ("Calvados", "Zorglub", "crois", NUMBER):
        assert secret not in dump


def _whisper_after(*sentences: str):
    """Call with the whisper on, say each sentence in turn, then ask for the transfer's whisper as Twilio
    does on answer: the transfer's document, the whisper's TwiML, and the words it says."""
    client = create_app({"whisper": True}, dev=True).test_client()
    caller = Caller(client)
    caller.answer()
    for sentence in sentences:
        doc = caller.say(sentence)
    url = doc.dial.find("Number").get("url")
    whisper = client.post(url, data={"CallSid": "CA" + "7" * 32, "Direction": "outbound-dial"}).get_data(as_text=True)
    return doc, whisper, " ".join(Doc(whisper, url).says())


def test_the_whisper_after_words_names_the_route_never_the_words():
    _, whisper, said = _whisper_after("je suis interne", "plutôt une aide financière", "en Corse du Sud je crois")
    doctor = next(o for o in FLOW.nodes[FLOW.entry].options if o.target == "doctor_needs")
    aid = next(o for o in FLOW.nodes["doctor_needs"].options if o.target == "cdo_lookup")
    labels = [FLOW.prompts[doctor.say], FLOW.prompts[aid.say], "Corse-du-Sud"]  # "Médecin ou interne", ...
    # The route's labels, the first ones left out until the whisper fits its seconds; the last one always.
    assert said.startswith(f"{FLOW.prompts['whisper']} : ") and said.endswith(f" {labels[-1]}."), said
    kept = said.removeprefix(f"{FLOW.prompts['whisper']} : ").removesuffix(".").split(" ; ")
    assert kept == labels[len(labels) - len(kept) :], said
    assert speech_seconds(said) <= WHISPER_SECONDS
    if len(kept) < len(labels):
        longer = f"{FLOW.prompts['whisper']} : {' ; '.join(labels[-len(kept) - 1 :])}."
        assert speech_seconds(longer) > WHISPER_SECONDS, "no label left out that would have fitted"
    assert "plutôt" not in whisper and "je crois" not in whisper
    assert FLOW.prompts["whisper_distress"] not in whisper, "no words of distress were said"


def test_the_whisper_after_words_of_distress_says_so_first_never_the_words():
    doc, whisper, said = _whisper_after("je suis interne", "je n'en peux plus, vraiment")
    assert all(mark == [DISTRESS_FLAG] for mark in _distress_marks(doc)) and len(_distress_marks(doc)) == 2
    assert said.startswith(FLOW.prompts["whisper_distress"]), said
    assert speech_seconds(said) <= WHISPER_SECONDS
    assert "peux" not in whisper and "vraiment" not in whisper


def test_a_long_french_sentence_is_still_twilios_form_under_the_signature():
    from .test_webhooks import TOKEN, sign

    app = create_app({"auth_token": TOKEN}, dev=True)
    client = app.test_client()
    words = "Je suis épuisée, désolée, je ne sais plus à qui m'adresser ; " * 20  # a long minute said, 300 escapes
    form = {"CallSid": "CA" + "3" * 32, "SpeechResult": words, "Confidence": "0.91"}
    url = "/voice/key?n=doctor_needs&t=welcome"
    body = urlencode(form)  # as a form encoder escapes it: accents, commas, apostrophes
    assert body.count("%") > 256
    response = client.post(
        url,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(f"http://localhost{url}", form)},
    )
    assert response.status_code == 200
    assert "n=long_term_care" in response.get_data(as_text=True)  # "épuisée": Mots
