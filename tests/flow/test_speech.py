"""What a caller says, understood as keys: every option by its words, the line's own words everywhere,
départements by number and by name; anything unsure answered like silence."""

from __future__ import annotations

import math
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.errors import FlowError
from ivr.flow import moves
from ivr.flow.model import OPERATOR_KEY, Department, Menu, Option, Readout, Transfer
from ivr.flow.position import Position
from ivr.flow.speech import (
    LINE_WORDS,
    MAX_HINT_CHARS,
    MAX_HINTS,
    MAX_WORDS,
    NOT_UNDERSTOOD,
    UNDERSTOOD,
    UNSURE,
    Heard,
    _near,
    listeners,
    parse_words,
    plain,
    understand,
)
from tests.conftest import DataCopy
from tests.paths import FIXTURES, ROOT

from ..routes import key_paths

WORDS = yaml.safe_load((ROOT / "prompts" / "fr.yaml").read_text(encoding="utf-8"))["words"]
COUNCILS = yaml.safe_load((ROOT / "data" / "councils.yaml").read_text(encoding="utf-8"))["councils"]
SURE = 0.9


def heard(flow, node: str, words: str, confidence: float | None = SURE):
    return understand(flow.listeners[node], words, confidence, 0.5)


def _menus(flow):
    return [n for n in flow.nodes.values() if isinstance(n, Menu)]


def test_every_option_is_chosen_by_each_of_its_words_and_by_its_label(flow):
    tried = 0
    for menu in _menus(flow):
        for option in menu.options:
            phrases = [*WORDS.get(option.say, ()), flow.prompts[option.say]]
            for phrase in phrases:
                assert heard(flow, menu.id, phrase).keys == (option.key,), (menu.id, phrase)
                # as said in a sentence, with capitals and no accents
                sentence = f"alors euh {plain(phrase).upper()} voila"
                assert heard(flow, menu.id, sentence).keys == (option.key,), (menu.id, sentence)
                tried += 1
    assert tried > 80  # the default flow's words, Corsica's two names included


def test_every_choice_written_in_the_prompts_file_has_words_of_its_own(flow):
    labels = {o.say for m in _menus(flow) for o in m.options if not o.say.startswith("council-")}
    assert labels <= set(WORDS), sorted(labels - set(WORDS))


@pytest.mark.parametrize(("name", "key"), [("operator", "0"), ("repeat", "*"), ("back", "#")])
def test_the_line_words_mean_the_same_key_everywhere(flow, name, key):
    for node in flow.listeners:
        for phrase in WORDS[name]:
            assert heard(flow, node, phrase).keys == (key,), (node, phrase)


@pytest.mark.parametrize(
    ("node", "words", "keys"),
    [
        ("welcome", "un", ("1",)),
        ("welcome", "tapez deux", ("2",)),
        ("welcome", "zéro", ("0",)),
        ("welcome", "étoile", ("*",)),
        ("welcome", "Dièse", ("#",)),
        ("doctor_needs", "5", ("5",)),
        ("social_help", "un", ("1",)),  # a read-out: hear the number again
        ("welcome", "je suis un médecin", ("1",)),  # "un", an article here, is no key
        ("doctor_needs", "j'ai besoin d'une aide financière", ("2",)),  # longer than "aide" (0)
        ("doctor_needs", "aide", ("0",)),
        ("doctor_needs", "une urgence financière", ("2",)),
        ("welcome", "je suis chirurgien-dentiste", ("0",)),  # longer than "chirurgien" (1): others, 0
        ("welcome", "je suis pharmacienne", ("2",)),
        ("welcome", "étudiant en pharmacie", ("2",)),  # longer than "étudiant" (others, 0)
        ("welcome", "c'est pour ma femme", ("0",)),  # a relative: the line for everyone
        ("welcome", "je suis médecin, enfin infirmière", ("0",)),  # no line of their own: never yields
        ("welcome", "je suis infirmière", ("0",)),
        ("welcome", "chirurgien", ("1",)),
        ("doctor_needs", "burn out", ("5",)),
        ("doctor_needs", "je me sens épuisée", ("5",)),
        ("assault", "je veux porter plainte", ("1",)),
        ("assault_advice", "oui", ("1",)),
        ("welcome", "medecins", ("1",)),  # a near miss, caught by rapidfuzz
        ("welcome", "j'ai besoin d'aide je suis médecin", ("1",)),  # the listening team's word yields to a choice
    ],
)
def test_sentences_callers_say(flow, node, words, keys):
    result = heard(flow, node, words)
    assert (result.keys, result.outcome) == (keys, UNDERSTOOD)


@pytest.mark.parametrize(
    ("node", "words"),
    [
        ("welcome", "je suis médecin, enfin pharmacien"),  # two choices
        ("welcome", "neuf"),  # no such key here
        ("welcome", "bonjour"),
        ("welcome", "   "),
        ("welcome", "?!"),
        ("doctor_needs", "un deux"),
        ("cdo_lookup", "le quatorze ou le vingt-deux"),
        ("cdo_lookup", "Calvados ou Isère"),
        ("cdo_lookup", "quatre-vingt-dix-neuf"),  # no such département
        ("cdo_lookup", "Calvados, le trente-huit"),
    ],
)
def test_ambiguous_or_unknown_words_are_answered_like_silence(flow, node, words):
    result = heard(flow, node, words)
    assert (result.keys, result.outcome) == ((), NOT_UNDERSTOOD)
    step = moves.press_in_turn(flow, Position(node), result.keys, 3)
    assert step.position.node == flow.operator_of(node)  # put through, as every prompt promised


@pytest.mark.parametrize("confidence", [0.0, 0.2, 0.49, math.nan])
def test_low_confidence_is_answered_like_silence(flow, confidence):
    assert heard(flow, "welcome", "médecin", confidence).keys == ()
    assert heard(flow, "welcome", "médecin", confidence).outcome == UNSURE


def test_no_confidence_sent_is_matched_as_said_and_the_threshold_can_be_zero(flow):
    assert heard(flow, "welcome", "médecin", None).keys == ("1",)
    assert understand(flow.listeners["welcome"], "médecin", 0.0, 0.0).keys == ("1",)


@pytest.mark.parametrize(
    ("words", "keys"),
    [
        ("quatorze", ("14",)),
        ("14", ("14",)),
        ("je suis dans le quatorze", ("14",)),
        ("vingt-deux", ("22",)),
        ("vingt deux", ("22",)),
        ("zéro un", ("01",)),
        ("un", ("01",)),
        ("quatre-vingt-quinze", ("95",)),
        ("soixante et onze", ("71",)),
        ("vingt", ("20",)),
        ("quatre-vingt-dix-sept", ("97",)),
        ("neuf cent soixante-quatorze", ("97", "4")),
        ("neuf sept un", ("97", "1")),
        ("971", ("97", "1")),
    ],
)
def test_departements_by_number_words(flow, words, keys):
    assert heard(flow, "cdo_lookup", words).keys == keys


def _reached(flow, node: str, keys) -> str:
    position = Position(node, key_paths_to(flow, node))
    return moves.press_in_turn(flow, position, keys, 3).position.node


def key_paths_to(flow, node: str) -> tuple[str, ...]:
    trail: list[str] = []
    here = flow.entry
    for key in key_paths(flow)[node]:
        trail.append(here)
        here = moves.press(flow, Position(here, tuple(trail[:-1])), key, 3).position.node
    return tuple(trail)


@pytest.mark.parametrize("code", sorted(COUNCILS))
def test_every_departement_by_its_name_reaches_its_council(flow, code):
    keys = heard(flow, "cdo_lookup", COUNCILS[code]["name"]).keys
    assert keys, COUNCILS[code]["name"]
    assert _reached(flow, "cdo_lookup", keys) == f"cdo_lookup-{code}"


@pytest.mark.parametrize(
    ("node", "words", "reached"),
    [
        ("cdo_lookup", "Corse du Sud", "cdo_lookup-2A"),
        ("cdo_lookup", "la haute corse", "cdo_lookup-2B"),
        ("cdo_lookup", "Guadeloupe", "cdo_lookup-971"),
        ("cdo_lookup", "c'est la Réunion", "cdo_lookup-974"),
        ("cdo_lookup", "Corse", "cdo_lookup-20"),  # which one is asked next
        ("cdo_lookup", "Deux-Sèvres", "cdo_lookup-79"),  # "deux" is part of the name, not the 02
        ("cdo_lookup", "cotes d'armor", "cdo_lookup-22"),
        ("cdo_lookup", "calvado", "cdo_lookup-14"),
        ("cdo_lookup-97", "Martinique", "cdo_lookup-972"),
        ("cdo_lookup-97", "deux", "cdo_lookup-972"),
        ("cdo_lookup-97", "neuf cent soixante-seize", "cdo_lookup-976"),
        ("cdo_lookup-20", "Haute-Corse", "cdo_lookup-2B"),
        ("cdo_lookup-20", "un", "cdo_lookup-2A"),
    ],
)
def test_departements_said_reach_nodes_that_take_two_questions_by_keypad(flow, node, words, reached):
    assert _reached(flow, node, heard(flow, node, words).keys) == reached


def test_aube_and_aude_are_never_confused(flow):
    assert heard(flow, "cdo_lookup", "Aube").keys == ("10",)
    assert heard(flow, "cdo_lookup", "Aude").keys == ("11",)
    assert heard(flow, "cdo_lookup", "Aulde").keys == ()  # short names are matched exactly only


# -- negation: a choice negated is not meant; it is never another choice -------------------------------
@pytest.mark.parametrize(
    ("node", "words"),
    [
        ("welcome", "Je ne suis pas médecin."),
        ("welcome", "Je ne suis plus interne."),
        ("welcome", "Ni médecin ni infirmière."),
        ("welcome", "Je ne suis pas, euh, médecin."),
        ("welcome", "Je ne travaille pas en tant que médecin."),  # small words are not counted
        ("welcome", "Je ne suis pas un médecin."),  # "un", in reach, is no key either
        ("welcome", "Pas un."),
        ("welcome", "Je ne suis pas généraliste ou psychiatre."),  # a meaning negated is not taken again
        ("welcome", "Médecin ? Non."),  # ending on a negation
        ("welcome", "Je suis médecin, enfin je ne le suis plus."),
        ("welcome", "Je suis non-médecin."),
        ("welcome", "Je suis non-pharmacien."),  # a longer word glued to "non-" is negated all the same
        ("doctor_needs", "Ce n'est pas du tout pour de l'argent."),
        ("doctor_needs", "Ce n'est pas une agression."),
        ("doctor_needs", "Je n'ai jamais été agressée."),
        ("doctor_needs", "Aucune agression."),
        ("assault", "Je ne veux pas porter plainte."),
        ("cdo_lookup", "Pas le quatre-vingt-treize."),  # the whole number
        ("cdo_lookup", "Pas deux A."),
        ("cdo_lookup", "Je ne suis pas dans le Pas-de-Calais."),
        ("cdo_lookup", "Quatorze, non, pas quatorze."),  # not 14 from before the correction
        ("cdo_lookup", "Quatorze, non pas quatorze, quinze."),  # "quinze" in reach too
    ],
)
def test_a_negated_choice_is_not_meant(flow, node, words):
    result = heard(flow, node, words)
    assert (result.keys, result.outcome) == ((), NOT_UNDERSTOOD)


@pytest.mark.parametrize(
    ("node", "words", "keys"),
    [
        ("welcome", "Je ne suis pas médecin, je suis infirmière.", ("0",)),  # the other one is kept
        ("welcome", "Je ne suis pas médecin mais pharmacien.", ("2",)),
        ("welcome", "Je ne suis ni médecin ni pharmacien, je suis kiné.", ("0",)),
        ("welcome", "Je suis pharmacien, pas médecin.", ("2",)),
        ("welcome", "C'est pas facile à dire, enfin, médecin.", ("1",)),  # a negation far before
        ("doctor_needs", "Ce n'est pas une agression, c'est une dépression.", ("1",)),
        ("doctor_needs", "Je n'ai pas d'argent pour payer, aide financière.", ("2",)),  # a lack is the need
        ("doctor_needs", "Je n'ai plus d'argent.", ("2",)),
        ("doctor_needs", "C'est urgent, j'ai plus d'argent.", ("2",)),  # "plus" without "ne"
        ("doctor_needs", "Je n'arrive plus à payer mon loyer.", ("2",)),
        ("doctor_needs", "J'ai pas le moral.", ("1",)),  # a phrase that holds a negation
        ("cdo_lookup", "Pas-de-Calais.", ("62",)),
        ("cdo_lookup", "Soixante et onze, pas soixante-dix.", ("71",)),
        ("cdo_lookup", "Je ne suis pas à Paris, je suis à Lyon.", ("69",)),
        ("cdo_lookup", "Quatorze, non pardon, quinze.", ("15",)),  # "non" still corrects
        ("welcome", "Infirmière, enfin non, médecin.", ("1",)),
        ("welcome", "Je ne sais pas.", (OPERATOR_KEY,)),  # the operator's phrase
        ("cdo_lookup", "Je ne sais pas.", (OPERATOR_KEY,)),
        ("welcome", "Je n'en peux plus.", (OPERATOR_KEY,)),  # distress
        ("welcome", "Je ne suis pas médecin, je n'en peux plus.", (OPERATOR_KEY,)),
        ("doctor_needs", "Je n'en peux plus, ce n'est pas une question d'argent.", (OPERATOR_KEY,)),
    ],
)
def test_negation_keeps_what_else_is_clear(flow, node, words, keys):
    result = heard(flow, node, words)
    assert (result.keys, result.outcome) == (keys, UNDERSTOOD)


def test_no_choice_nor_departement_negated_is_ever_understood(flow):
    tried = 0
    for menu in _menus(flow):
        for option in menu.options:
            phrases = [*WORDS.get(option.say, ()), flow.prompts[option.say]]
            holding = {plain(p) for p in phrases if {"pas", "plus"} & set(plain(p).split())}
            for phrase in phrases:
                if plain(phrase) in holding or f"pas {plain(phrase)}" in holding:  # "pas le moral", "pas payer"
                    continue
                for said in (f"Je ne suis pas {phrase}.", f"ce n'est pas du tout {plain(phrase)}"):
                    assert heard(flow, menu.id, said).keys == (), (menu.id, said)
                    tried += 1
    for code, council in COUNCILS.items():
        for said in (f"Pas {council['name']}.", f"je n'habite plus dans le {code}"):
            assert heard(flow, "cdo_lookup", said).keys == (), said
            tried += 1
    assert tried > 300


# -- words of distress: a person, wherever they are said -----------------------------------------------
def _as_twilio_writes(phrase: str) -> str:
    """A capital letter and a final period: "Je n'en peux plus."."""
    return f"{phrase[0].upper()}{phrase[1:]}."


def _put_through(flow, node: str, words: str, confidence: float | None = SURE) -> None:
    """Words of distress: a person at once (0), after the one choice that says who the caller is, when the
    words name one; the keys end at a transfer."""
    result = heard(flow, node, words, confidence)
    assert result.outcome == UNDERSTOOD and result.distress, (node, words, result)
    assert result.keys[-1:] == (OPERATOR_KEY,), (node, words, result)
    who = {o.key for o in flow.nodes[node].options if o.callers} if isinstance(flow.nodes[node], Menu) else set()
    assert set(result.keys[:-1]) <= who and len(result.keys) <= 2, (node, words, result)
    step = moves.press_in_turn(flow, Position(node), result.keys, 2)
    assert isinstance(flow.nodes[step.position.node], Transfer), (node, words, step)


def test_the_prompts_file_has_words_of_distress():
    assert len(WORDS["distress"]) >= 16
    assert {"je n'en peux plus", "idées noires", "suicide", "en finir"} <= set(WORDS["distress"])


def test_every_word_of_distress_at_every_prompt_that_listens_means_a_person(flow):
    tried = 0
    for node in flow.listeners:
        for phrase in WORDS["distress"]:
            _put_through(flow, node, phrase)
            _put_through(flow, node, _as_twilio_writes(phrase))
            _put_through(flow, node, f"J'ai l'impression que {phrase}, voilà.")
            tried += 1
    assert tried >= 16 * len(flow.listeners)


@pytest.mark.parametrize(
    "words",
    [
        "Je n'en peux plus.",
        "J'ai des idées noires.",
        "Je suis pharmacien et je n'en peux plus.",
        "Aide financière, je veux en finir.",
        "Je n'en peux plus, c'est pour mes dettes.",
        "Un, je veux mourir.",  # a key said, and distress
        "Quatorze, Calvados, je suis à bout.",  # a département said, and distress
        "Retour, j'ai envie de mourir.",  # a line word, and distress
        "J'ai des idées suicidaires.",  # near misses
        "Je suis complètement désespérés.",
        "Je pense au suicide.",
    ],
)
def test_distress_wins_over_whatever_else_is_said(flow, words):
    for node in flow.listeners:
        _put_through(flow, node, words)


def test_distress_wins_over_every_choice_said_with_it(flow):
    for menu in _menus(flow):
        for option in menu.options:
            label = flow.prompts[option.say]
            assert heard(flow, menu.id, label).keys == (option.key,)  # the choice alone
            _put_through(flow, menu.id, f"{label}, je n'en peux plus.")
            _put_through(flow, menu.id, f"Je craque. {label}.")


def test_distress_is_heard_after_many_other_words(flow):
    before = "Bonjour, je vous appelle parce que je suis médecin généraliste depuis vingt ans à la campagne et"
    assert len(plain(before).split()) > MAX_WORDS
    for node in flow.listeners:
        _put_through(flow, node, f"{before} je n'en peux plus.")
        _put_through(flow, node, f"{before} {before} j'ai des idées noires.")
    assert heard(flow, "welcome", f"{before} voilà").keys == ("1",)  # "médecin", without distress


def test_distress_said_unsure_puts_the_caller_through_as_0_does(flow):
    # Below the confidence threshold, words are answered like silence, distress or not: silence
    # and 0 both reach the same person at once.
    for node in flow.listeners:
        result = heard(flow, node, "Je n'en peux plus.", 0.2)
        assert (result.keys, result.outcome) == ((), UNSURE)
        position = Position(node)
        silent = moves.press_in_turn(flow, position, result.keys, 3)
        assert silent == moves.press_in_turn(flow, position, (OPERATOR_KEY,), 3)
        assert silent.position.node == flow.operator_of(node), "the person who serves this caller"


@pytest.mark.parametrize(
    ("node", "words", "keys"),
    [
        ("doctor_needs", "en fin de mois j'ai des dettes", ("2",)),  # "en fin" is no near miss of "en finir"
        ("cdo_lookup", "Finistère", ("29",)),
        ("cdo_lookup", "le Morbihan", ("56",)),
        ("welcome", "je suis en fin d'études de médecine", ("1",)),
    ],
)
def test_words_near_distress_keep_their_meaning(flow, node, words, keys):
    assert heard(flow, node, words).keys == keys


def test_no_word_of_a_choice_nor_name_of_a_departement_is_taken_for_distress(flow):
    for node, listener in flow.listeners.items():
        for phrases in listener.phrases.values():
            for phrase, keys in phrases:
                if keys != (OPERATOR_KEY,):
                    assert heard(flow, node, " ".join(phrase)).keys == keys, (node, phrase)


def test_hints_fit_twilio_limits_and_name_the_words_of_each_prompt(flow):
    for node, listener in flow.listeners.items():
        entries = listener.hints.split(", ")
        assert 0 < len(entries) <= MAX_HINTS and all(0 < len(e) <= MAX_HINT_CHARS and "," not in e for e in entries), (
            node
        )
    assert "médecin" in flow.listeners["welcome"].hints.split(", ")
    assert "Calvados" in flow.listeners["cdo_lookup"].hints.split(", ")
    assert "aide financière" not in flow.listeners["welcome"].hints.split(", ")  # another menu's words


def test_every_prompt_hints_the_words_of_distress_and_no_hint_is_left_out(flow):
    for node, listener in flow.listeners.items():
        entries = listener.hints.split(", ")
        assert set(WORDS["distress"]) <= set(entries), node
        assert len(entries) < MAX_HINTS, node  # the cut at MAX_HINTS never drops a word


def test_only_nodes_that_take_keys_listen(flow):
    takes_keys = {n for n, node in flow.nodes.items() if isinstance(node, (Menu, Readout, Department))}
    assert set(flow.listeners) == takes_keys


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=200),
    st.sampled_from(
        ["welcome", "doctor_needs", "cdo_lookup", "cdo_lookup-97", "social_help", "assault", "cdo_lookup-20"]
    ),
)
def test_any_words_lead_to_a_real_move_never_a_miss(flow, words, node):
    result = heard(flow, node, words)
    assert result.outcome in (UNDERSTOOD, NOT_UNDERSTOOD)
    step = moves.press_in_turn(flow, Position(node, key_paths_to(flow, node)), result.keys, 3)
    assert step.notice is None  # never "je n'ai pas compris": asked again at most by a key pressed


# -- what staff write, checked -------------------------------------------------------------------------
def _with_words(data_copy, change):
    data_copy.edit("prompts", lambda doc: change(doc["words"]))
    with pytest.raises(FlowError) as caught:
        data_copy.load()
    return str(caught.value)


def test_a_word_two_choices_of_one_menu_share_is_refused(data_copy):
    message = _with_words(data_copy, lambda w: w["opt_social"].append("argent"))
    assert re.search(r"prompts/fr\.yaml:\d+ \[words\.opt_social\]", message) and "'argent'" in message
    assert "words.opt_urgent_aid" in message


def test_a_word_shared_with_the_line_words_is_refused(data_copy):
    message = _with_words(data_copy, lambda w: w["opt_doctor"].append("Aide"))
    assert "[words.opt_doctor]" in message and "words.operator" in message


def _a_choice(words) -> str:
    return next(name for name in words if name not in LINE_WORDS)


@pytest.mark.parametrize(
    ("phrase", "found"),
    [
        ("je n'en peux plus", "je n en peux plus"),
        ("Idées noires", "idees noires"),
        ("dettes et idées noires", "idees noires"),  # inside a longer phrase
        ("suicidaires", "suicidaires"),  # a near miss
    ],
)
def test_a_word_of_distress_in_a_choice_list_is_refused_naming_file_and_list(data_copy, phrase, found):
    choice = {}

    def add(words):
        choice["name"] = _a_choice(words)
        words[choice["name"]].append(phrase)

    message = _with_words(data_copy, add)
    where = re.escape(f"[words.{choice['name']}]: {phrase!r} is taken for a word of distress")
    assert re.search(r"prompts/fr\.yaml:\d+ " + where, message), message
    assert f"({found!r}, words.distress)" in message and "never this choice" in message
    assert "(1 problem(s))" in message  # once, not again as a clash in every menu


def test_a_word_of_distress_in_the_repeat_list_is_refused(data_copy):
    message = _with_words(data_copy, lambda w: w["repeat"].append("au bout du rouleau"))
    assert "[words.repeat]: 'au bout du rouleau' is taken for a word of distress" in message
    assert "never key *" in message


def test_a_word_of_distress_also_meaning_0_is_no_clash(data_copy):
    def both(words):
        words["operator"] += ["je n'en peux plus", "suicide"]
        words["distress"].append("au secours")

    data_copy.edit("prompts", lambda doc: both(doc["words"]))
    flow = data_copy.load()
    for node, listener in flow.listeners.items():
        for words in ("Je n'en peux plus.", "au secours", "suicide"):
            assert understand(listener, words, None, 0.5).keys == (OPERATOR_KEY,), (node, words)


def test_the_same_word_in_two_menus_is_fine(data_copy):
    data_copy.edit("prompts", lambda doc: doc["words"]["opt_cdo_number"].append("argent"))
    flow = data_copy.load()
    assert understand(flow.listeners["assault_advice"], "argent", None, 0.5).keys == ("1",)
    assert understand(flow.listeners["doctor_needs"], "argent", None, 0.5).keys == ("2",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda w: w.update(opt_unknown=["x"]), "[words.opt_unknown]: unknown list 'opt_unknown'"),
        (lambda w: w.update(opt_unknown=["x"]), "use operator, distress, repeat, back, others, or the label"),
        (lambda w: w.update(distress="suicide"), "[words.distress]: expected a list of words"),
        (lambda w: w["distress"].append("plus de 3 jours"), "[words.distress]: 'plus de 3 jours': no digits"),
        (lambda w: w["opt_doctor"].append("médecin 2"), "[words.opt_doctor]: 'médecin 2': no digits"),
        (lambda w: w["opt_doctor"].append("a, b"), "one phrase per entry, without commas"),
        (lambda w: w["opt_doctor"].append("x" * 101), "at most 100 characters"),
        (lambda w: w.update(back="retour"), "[words.back]: expected a list of words"),
        (lambda w: w["repeat"].append({"a": "b"}), "[words.repeat]: expected a word or phrase, got {"),
        (lambda w: w["repeat"].append(7), "[words.repeat]: '7': no digits"),
    ],
)
def test_badly_written_words_are_refused_naming_file_and_list(data_copy, change, expected):
    assert expected in _with_words(data_copy, change)


def test_without_speech_the_prompt_does_not_offer_it(flow):
    from ivr.flow.loader import load_flow

    speaking = load_flow(ROOT / "data", ROOT / "prompts", frozenset({"speech"}))
    offer = yaml.safe_load((ROOT / "prompts" / "fr.yaml").read_text(encoding="utf-8"))["when"]["speech"]
    assert speaking.prompts["need_question"] == f"{flow.prompts['need_question']} {offer}"
    assert offer not in flow.prompts["need_question"]


def test_a_choice_removed_from_the_flow_may_keep_its_words(data_copy):
    def remove_long_term_care(doc):
        menu = doc["nodes"]["doctor_needs"]
        menu["options"] = [o for o in menu["options"] if o["key"] != "5"]
        del doc["nodes"]["long_term_care"]

    data_copy.edit("flow", remove_long_term_care)
    flow = data_copy.load()  # its sentence and its words stay in prompts/fr.yaml, unused
    assert understand(flow.listeners["doctor_needs"], "burn-out", None, 0.5).keys == ()


@pytest.mark.parametrize("words", ["zéro neuf, quatre-vingts, quatre-vingts", "09 80 80 03 07", "quatre-vingts"])
def test_a_number_said_back_at_a_read_out_reads_it_again_instead_of_putting_through(flow, words):
    # The caller writes the number down, saying it aloud: they need it again, not a transfer.
    assert heard(flow, "social_help", words).keys == ("*",)
    assert heard(flow, "welcome", words).keys == ()  # in a menu, a number that is no key is not understood
    assert heard(flow, "social_help", "attendez, un stylo").keys == ()  # not a number: put through


# -- on a small flow made here: each answer whole, whatever the shipped words and councils ----------
SMALL_NODES = {
    "welcome": Menu(
        "welcome",
        options=(
            Option("1", "opt_doctor", "dept"),
            Option("2", "opt_money", "money"),
            Option("3", "opt_other", "money"),
        ),
    ),
    "money": Readout("money", service="x"),
    "dept": Department(
        "dept",
        say=(),
        codes={
            "01": "dept-01",
            "02": "dept-02",
            "13": "dept-13",
            "69": "dept-69",
            "79": "dept-79",
            "20": "dept-20",
            "97": "dept-97",
            "46": "dept-46",
            "47": "dept-47",
        },
    ),
    "dept-46": Readout("dept-46", service="x"),
    "dept-47": Readout("dept-47", service="x"),
    "dept-01": Readout("dept-01", service="x"),
    "dept-02": Readout("dept-02", service="x"),
    "dept-13": Readout("dept-13", service="x"),
    "dept-69": Readout("dept-69", service="x"),
    "dept-79": Readout("dept-79", service="x"),
    "dept-20": Department("dept-20", say=(), codes={"1": "dept-2A", "2": "dept-2B"}, digits=1),
    "dept-2A": Readout("dept-2A", service="x"),
    "dept-2B": Readout("dept-2B", service="x"),
    "dept-97": Department("dept-97", say=(), codes={"1": "dept-971", "2": "dept-972"}, digits=1),
    "dept-971": Readout("dept-971", service="x"),
    "dept-972": Readout("dept-972", service="x"),  # no name: said by its number only
}
SMALL_PLACES = {
    "dept-13": ("Bouches-du-Rhône",),
    "dept-69": ("Rhône", "Lyon"),
    "dept-79": ("Deux-Sèvres",),
    "dept-02": ("Aisne",),
    "dept-2A": ("Corse-du-Sud",),
    "dept-2B": ("Haute-Corse",),
    "dept-971": ("Guadeloupe",),
    "dept-46": ("Lot",),
    "dept-47": ("Lot-et-Garonne",),
}
SMALL_WORDS = {
    "operator": ("un conseiller", "je ne sais pas"),
    "distress": ("je n'en peux plus", "idées noires"),
    "repeat": ("répétez", "pardon"),
    "back": ("retour",),
    "opt_doctor": ("médecin", "docteur"),
    "opt_money": ("aide financière", "argent", "je n'ai plus d'argent"),
}
SMALL_PROMPTS = {
    "press": "appuyez",  # not the shipped word: each listener says it before a key
    "press_star": "étoile",
    "press_hash": "dièse",
    "opt_doctor": "Médecin",
    "opt_money": "Aide financière",
    "opt_other": "Infirmier, sage-femme",  # a label without words of its own: a hint, its comma left out
}
LINE_HINTS = "un conseiller, je ne sais pas, je n'en peux plus, idées noires, répétez, pardon, retour"


@pytest.fixture(scope="module")
def small():
    problems: list = []
    heard_at = listeners(SMALL_NODES, SMALL_PROMPTS, SMALL_WORDS, SMALL_PLACES, "prompts/fr.yaml", problems)
    assert problems == []
    return heard_at


def test_a_small_flow_listens_at_every_node_that_takes_keys_with_its_own_hints(small):
    assert {node: listener.hints for node, listener in small.items()} == {
        "welcome": f"{LINE_HINTS}, médecin, docteur, aide financière, argent, je n'ai plus d'argent, "
        "Infirmier sage-femme",
        "money": LINE_HINTS,
        "dept": "Aisne, Bouches-du-Rhône, Rhône, Lyon, Deux-Sèvres, Corse-du-Sud, Haute-Corse, Guadeloupe, Lot, "
        f"Lot-et-Garonne, {LINE_HINTS}",
        "dept-01": LINE_HINTS,
        "dept-02": LINE_HINTS,
        "dept-13": LINE_HINTS,
        "dept-46": LINE_HINTS,
        "dept-47": LINE_HINTS,
        "dept-69": LINE_HINTS,
        "dept-79": LINE_HINTS,
        "dept-20": f"Corse-du-Sud, Haute-Corse, {LINE_HINTS}",
        "dept-2A": LINE_HINTS,
        "dept-2B": LINE_HINTS,
        "dept-97": f"Guadeloupe, {LINE_HINTS}",
        "dept-971": LINE_HINTS,
        "dept-972": LINE_HINTS,
    }


@pytest.mark.parametrize(
    ("node", "words", "keys"),
    [
        ("dept", "treize", ("13",)),
        ("dept", "bouches du rhône", ("13",)),
        ("dept", "rhône", ("69",)),
        ("dept", "lyon", ("69",)),
        ("dept", "le rhône s'il vous plaît", ("69",)),
        # Near the longer name around a name: the longer one; only close to it: unsure.
        ("dept", "bouche du rhône", ("13",)),
        ("dept", "bouge du rhône", ()),
        ("dept", "rhône bouches du rhône", ()),
        ("dept", "pas le rhône", ()),
        ("dept", "bouches du du rhône", ("13",)),
        ("dept", "bouches rhône rhône", ()),
        ("dept", "le lot euh bouche du rhône", ()),  # two départements
        ("dept", "lot", ("46",)),
        ("dept", "aisnes", ("02",)),  # five letters: near enough
        ("dept", "lot et garonne", ("47",)),
        ("dept", "lot garonne", ("47",)),
        ("dept", "lot garonn", ()),
        ("dept", "deux A", ("20", "1")),
        ("dept", "2A", ("20", "1")),
        ("dept", "2 a", ("20", "1")),
        ("dept", "corse du sud", ("20", "1")),
        ("dept", "haute corse", ("20", "2")),
        ("dept", "neuf cent soixante et onze", ("97", "1")),
        ("dept", "guadeloupe", ("97", "1")),
        ("dept", "vingt", ("20",)),
        ("dept", "un", ("01",)),
        ("dept", "le deux B", ("20", "2")),
        ("dept", "2a treize", ()),  # two départements
        ("dept", "deux B treize", ()),
        ("dept", "deux B bouches du rhône", ()),
        ("dept", "lyon 2a", ()),  # a name just before a code with a letter: two départements still
        ("dept", "retour deux B", ()),
        ("dept", "neuf cent soixante douze", ("97", "2")),
        ("dept", "pardon, treize", ("13",)),  # a correction first
        ("dept", "pardon", ("*",)),
        ("dept", "treize, non, pas lyon", ()),  # what follows the correction is negated: not read past it
        # A negation after a correction is a refusal, whatever it reaches: not read past either.
        ("dept", "treize, non, pas vraiment", ()),
        ("welcome", "médecin, non, pas vraiment", ()),
        ("welcome", "docteur, non, jamais de la vie", ()),
        ("dept", "quatorze non pardon treize", ("13",)),  # the last correction counts
        ("dept", "pas treize ou vingt-deux", ()),  # the negation reaches the whole of the last number
        # A negation reaches the whole number it starts ("soixante et un" included).
        ("dept", "pas neuf cent soixante et un", ()),
        ("dept", "deux sèvres", ("79",)),
        ("dept", "2 sèvres", ("79",)),
        ("dept", "étoile", ("*",)),
        ("dept", "retour", ("#",)),
        ("dept", "un conseiller", ("0",)),
        ("dept-20", "un", ("1",)),
        ("dept-20", "deux cent un", ("1",)),
        ("dept-20", "corse du sud", ("1",)),
        ("dept-20", "haute corse", ("2",)),
        ("dept-20", "2B", ()),  # a letter is read at the first question only
        ("welcome", "médecin", ("1",)),
        ("welcome", "docteure", ("1",)),
        ("welcome", "medecins", ("1",)),
        ("welcome", "appuyez deux", ("2",)),
        ("welcome", "appuyez", ()),
        ("welcome", "un", ("1",)),
        ("welcome", "zéro", ("0",)),
        ("welcome", "étoile", ("*",)),
        ("welcome", "dièse", ("#",)),
        ("welcome", "je n'ai plus d'argent", ("2",)),
        ("welcome", "je ne suis pas médecin", ()),
        ("welcome", "ne suis plus médecin", ()),
        ("welcome", "non-médecin", ()),
        ("welcome", "médecin ? je ne le suis pas du tout", ()),
        ("welcome", "aide financière ? non", ()),
        ("welcome", "infirmier sage femme", ("3",)),
        # Near misses: a word or phrase of five letters or more, nearly as written; anything less is unsure.
        ("welcome", "argen", ("2",)),
        ("welcome", "aide finantière", ("2",)),
        ("welcome", "aide fina", ()),
        ("welcome", "euh bah aide fina merci", ()),
        # Words glued together are no near miss of a phrase, wherever they fall.
        ("welcome", "aidefinancière", ()),
        ("welcome", "une aidefinancière", ()),
        ("welcome", "aidefinancière merci", ()),
        ("money", "euh bah repettez merci", ("*",)),
        ("dept", "bouches du rhônes", ("13",)),
        ("welcome", "j'ai plus d'argent", ("2",)),  # "plus" without "ne" negates nothing
        ("money", "un", ("1",)),
        ("money", "répétez", ("*",)),
        ("money", "appuyez un", ("1",)),
        ("dept", "appuyez étoile", ("*",)),
        # Digits said back at a read-out (the caller noting the number): read it again.
        ("money", "deux", ("*",)),
        ("money", "zéro huit zéro zéro", ("*",)),
    ],
)
def test_what_is_understood_on_a_small_flow(small, node, words, keys):
    assert understand(small[node], words, SURE, 0.5) == Heard(keys, UNDERSTOOD if keys else NOT_UNDERSTOOD)


@pytest.mark.parametrize(
    ("node", "words"),
    [
        ("welcome", "idées noires"),
        ("welcome", "aide financière, je n'en peux plus"),  # no choice here says who calls: 0 alone
        ("welcome", "médecin, idées noires"),
        ("dept", "treize, je n'en peux plus"),
        ("money", "répétez, idées noires"),
    ],
)
def test_distress_on_a_small_flow_is_a_person_and_is_marked(small, node, words):
    assert understand(small[node], words, SURE, 0.5) == Heard(("0",), UNDERSTOOD, distress=True)


def _small_with(words, node: str = "welcome"):
    problems: list = []
    heard_at = listeners(SMALL_NODES, SMALL_PROMPTS, {**SMALL_WORDS, **words}, SMALL_PLACES, "f", problems)
    assert problems == []
    return heard_at[node]


@pytest.mark.parametrize(
    ("words", "keys"),
    [
        ("interne", ("1",)),
        ("interne en pharmacie", ("2",)),
        ("internes en pharmacies", ("2",)),  # near misses: the longer phrase wins too, not two meanings
        ("internes", ("1",)),
    ],
)
def test_a_near_miss_of_a_longer_phrase_wins_over_the_near_miss_of_its_first_word(words, keys):
    heard_at = _small_with({"opt_doctor": ("médecin", "interne"), "opt_money": ("argent", "interne en pharmacie")})
    assert understand(heard_at, words, SURE, 0.5) == Heard(keys, UNDERSTOOD)


def test_the_word_said_before_a_key_said_alone_means_what_a_list_makes_it():
    heard_at = _small_with({"repeat": ("répétez", "appuyez")})
    assert understand(heard_at, "appuyez", SURE, 0.5) == Heard(("*",), UNDERSTOOD)
    assert understand(heard_at, "appuyez un", SURE, 0.5) == Heard(("1",), UNDERSTOOD)


@pytest.mark.parametrize("words", ["premier", "1er", "le 1er", "deux", "2"])
def test_a_one_word_phrase_is_understood_as_the_recognizer_writes_its_number(words):
    # The list's word, in letters or in digits, means that list's choice ("deux" is then no key).
    heard_at = _small_with({"opt_other": ("premier", "deux")})
    assert understand(heard_at, words, SURE, 0.5) == Heard(("3",), UNDERSTOOD)


@pytest.mark.parametrize(
    ("words", "keys"),
    [
        ("miquelon", ("46",)),
        ("saint pierre et miquelon", ("47",)),
        ("saint pierre miquelon", ("47",)),  # near the longer name around "Miquelon": that name
        # Glued words near the longer name around a name: unsure, wherever they fall.
        ("saintpierreet miquelon", ()),
        ("saintpierreet miquelon merci", ()),
    ],
)
def test_glued_words_around_a_name_leave_it_unsure_wherever_they_fall(words, keys):
    places = {**SMALL_PLACES, "dept-46": ("Miquelon",), "dept-47": ("Saint-Pierre-et-Miquelon",)}
    heard_at = listeners(SMALL_NODES, SMALL_PROMPTS, SMALL_WORDS, places, "f", [])["dept"]
    assert understand(heard_at, words, SURE, 0.5) == Heard(keys, UNDERSTOOD if keys else NOT_UNDERSTOOD)


@pytest.mark.parametrize(("words", "keys"), [("deux A", ("20", "1")), ("2 b", ("20", "2")), ("deux", ("#",))])
def test_a_code_with_a_letter_wins_over_a_word_it_starts_with(words, keys):
    heard_at = _small_with({"back": ("retour", "deux")}, "dept")
    assert understand(heard_at, words, SURE, 0.5) == Heard(keys, UNDERSTOOD)


def test_every_near_miss_is_found_not_only_the_first_five():
    names = [f"nom{c}xxxxxxxx" for c in "abcdef"]  # each 92 % near the others
    assert sorted(_near(["nomzxxxxxxxx"], names)) == [(0, c) for c in range(6)]
    assert sorted(_near(names, ["nomzxxxxxxxx"])) == [(q, 0) for q in range(6)]


def _problems_of(words, places=SMALL_PLACES) -> list[tuple[str, str, str]]:
    problems: list = []
    listeners(SMALL_NODES, SMALL_PROMPTS, words, places, "prompts/fr.yaml", problems)
    return [(p.file, p.where, p.message) for p in problems]


def test_a_flow_without_some_lists_of_words_still_listens():
    problems: list = []
    heard_at = listeners(SMALL_NODES, SMALL_PROMPTS, {"opt_doctor": ("médecin",)}, SMALL_PLACES, "f", problems)
    assert problems == []
    assert understand(heard_at["welcome"], "médecin", SURE, 0.5) == Heard(("1",), UNDERSTOOD)
    assert understand(heard_at["welcome"], "je n'en peux plus", SURE, 0.5) == Heard((), NOT_UNDERSTOOD)


def test_problems_of_the_lists_of_words_each_named_once():
    assert _problems_of({**SMALL_WORDS, "opt_zzz": ("x",)}) == [
        (
            "prompts/fr.yaml",
            "words.opt_zzz",
            "unknown list 'opt_zzz': use operator, distress, repeat, back, others, or the label of a menu choice "
            "(opt_doctor, opt_money, opt_other)",
        )
    ]
    # The same clash at every node that listens is reported once.
    assert _problems_of({**SMALL_WORDS, "back": ("retour", "pardon")}) == [
        (
            "prompts/fr.yaml",
            "words.back",
            "'pardon' also chooses something else in the same menu (words.repeat): a caller saying it would be "
            "put through; keep it in one list",
        )
    ]
    assert _problems_of({**SMALL_WORDS, "opt_money": ("argent", "médecin")}) == [
        (
            "prompts/fr.yaml",
            "words.opt_money",
            "'médecin' also chooses something else in the same menu (words.opt_doctor): a caller saying it would "
            "be put through; keep it in one list",
        )
    ]


def test_badly_written_lists_of_words_each_named_with_the_file():
    repeat = [3, "pardon", "deux 2", "a, b", "x" * 101, "  encore   une fois ", "y" * 100]
    raw = {"words": {"back": "retour", "repeat": repeat}}
    problems: list = []
    assert parse_words(raw, "prompts/fr.yaml", problems) == {"repeat": ("pardon", "encore une fois", "y" * 100)}
    assert [(p.file, p.where, p.message) for p in problems] == [
        ("prompts/fr.yaml", "words.back", "expected a list of words or phrases: [médecin, docteur]"),
        ("prompts/fr.yaml", "words.repeat", "expected a word or phrase, got 3"),
        (
            "prompts/fr.yaml",
            "words.repeat",
            "'deux 2': no digits; a number said is a key (\"un\" presses 1) or a département",
        ),
        (
            "prompts/fr.yaml",
            "words.repeat",
            "'a, b': one phrase per entry, without commas, at most 100 characters",
        ),
        (
            "prompts/fr.yaml",
            "words.repeat",
            f"'{'x' * 101}': one phrase per entry, without commas, at most 100 characters",
        ),
    ]
    problems.clear()
    assert parse_words({"words": ["médecin"]}, "prompts/fr.yaml", problems) == {}
    assert [(p.file, p.where, p.message) for p in problems] == [
        (
            "prompts/fr.yaml",
            "words",
            "expected lists of words by name (operator, distress, repeat, back, or the label of a menu choice)",
        )
    ]
    assert parse_words(["words"], "f", problems) == {} and parse_words({}, "f", problems) == {}


def test_a_prompts_file_without_the_word_said_before_a_key_is_refused(tmp_path):
    copy = DataCopy(tmp_path, source=FIXTURES / "callers")
    copy.edit("prompts", lambda d: d["prompts"].pop("press"))
    with pytest.raises(FlowError) as info:
        copy.load()
    assert [(p.file, p.where, p.message) for p in info.value.problems] == [
        ("prompts/fr.yaml", "prompts.press", "missing: the line says it in every call")
    ]


def test_a_clash_names_where_the_other_meaning_is_written():
    words = {name: phrases for name, phrases in SMALL_WORDS.items() if name != "opt_doctor"}
    # A label without words of its own ("Médecin"), then the words of a later choice.
    assert _problems_of({**words, "opt_money": ("argent", "médecin", "infirmier sage-femme")}) == [
        (
            "prompts/fr.yaml",
            "words.opt_money",
            "'médecin' also chooses something else in the same menu (prompts.opt_doctor): a caller saying it would "
            "be put through; keep it in one list",
        ),
        (
            "prompts/fr.yaml",
            "prompts.opt_other",
            "'Infirmier, sage-femme' also chooses something else in the same menu (words.opt_money): a caller "
            "saying it would be put through; keep it in one list",
        ),
    ]
    # The name of a département, or two départements of one name (Saint-Denis: 93 and 974).
    assert _problems_of({**SMALL_WORDS, "back": ("retour", "Lyon")}) == [
        (
            "prompts/fr.yaml",
            "words.back",
            "'Lyon' also chooses something else in the same menu (councils.69): a caller saying it would be put "
            "through; keep it in one list",
        )
    ]
    places = {**SMALL_PLACES, "dept-01": ("Saint-Denis",), "dept-971": ("Guadeloupe", "Saint-Denis")}
    assert _problems_of(SMALL_WORDS, places) == [
        (
            "prompts/fr.yaml",
            "councils.97",
            "'Saint-Denis' also chooses something else in the same menu (councils.01): a caller saying it would be "
            "put through; keep it in one list",
        )
    ]


# -- who calls, said with words of distress or as someone without a line of their own ----------------
def _who_choices(flow):
    """(menu, option) of every choice that says who the caller is."""
    return [(m, o) for m in _menus(flow) for o in m.options if o.callers]


def test_words_of_distress_with_one_profession_press_that_choice_then_zero(flow):
    """Every word of distress, said with every word of a choice that says who calls: that choice, then a
    person (0): the line that serves them, at once, and the whisper told (distress)."""
    tried = 0
    for menu, option in _who_choices(flow):
        for i, word in enumerate(WORDS[option.say]):
            distress = WORDS["distress"][i % len(WORDS["distress"])]
            for sentence in (f"je suis {word} et {distress}", f"{distress}, je suis {word}"):
                said = heard(flow, menu.id, sentence)
                assert said == Heard((option.key, OPERATOR_KEY), UNDERSTOOD, distress=True), (menu.id, sentence)
                tried += 1
    assert tried > 100


@pytest.mark.parametrize("distress", WORDS["distress"])
def test_words_of_distress_without_a_profession_or_with_two_or_a_relative_are_zero_alone(flow, distress):
    alone = Heard((OPERATOR_KEY,), UNDERSTOOD, distress=True)
    doctor, pharmacist = WORDS["opt_doctor"][0], WORDS["opt_pharmacist"][0]
    for menu in {m.id for m, _ in _who_choices(flow)}:
        assert heard(flow, menu, distress) == alone
        assert heard(flow, menu, f"je suis {doctor} et {pharmacist}, {distress}") == alone, "two: unsure"
        assert heard(flow, menu, f"je ne suis pas {doctor}, {distress}") == alone, "negated"
        for other in WORDS["others"][::7]:
            assert heard(flow, menu, f"{other} {doctor} {distress}") == alone, other
    for node in flow.listeners:  # where no choice says who calls: 0, whatever else is said
        if node not in {m.id for m, _ in _who_choices(flow)}:
            assert heard(flow, node, f"je suis {doctor}, {distress}") == alone, node


def test_whoever_has_no_line_of_their_own_stays_for_everyone_even_said_with_a_choice(flow):
    """Every phrase of `others` (professions without a line, students, relatives), alone or beside any word of
    a choice that says who calls: 0, the line for every caller; never the doctors' or pharmacists' line."""
    tried = 0
    for menu, option in _who_choices(flow):
        words = WORDS[option.say]
        for i, other in enumerate(WORDS["others"]):
            word = words[i % len(words)]
            assert heard(flow, menu.id, other).keys == (OPERATOR_KEY,), other
            for sentence in (f"{other} {word}", f"je suis {word}, enfin {other}"):
                assert heard(flow, menu.id, sentence).keys == (OPERATOR_KEY,), (menu.id, sentence)
                tried += 1
    assert tried > 150


@pytest.mark.parametrize(
    "sentence",
    [
        "ma femme est médecin",
        "je suis la femme d'un médecin",
        "mon mari est pharmacien",
        "je suis la fille d'une pharmacienne",
        "je suis infirmière",
        "je suis externe en médecine",
        "je suis vétérinaire docteur",
        "aide-soignante",
    ],
)
def test_relatives_and_other_professions_at_the_first_menu_reach_the_line_for_everyone(flow, sentence):
    step = moves.press_in_turn(flow, Position(flow.entry), heard(flow, flow.entry, sentence).keys, 2)
    assert step.position.node == flow.operator


# -- who calls, on a small flow whose first menu asks it ------------------------------------------------
WHO_NODES = {
    **SMALL_NODES,
    "welcome": Menu(
        "welcome",
        options=(
            Option("1", "opt_doctor", "dept", callers=("medecin",)),
            Option("2", "opt_money", "money"),
            Option("3", "opt_other", "money"),
        ),
    ),
}
OTHERS_WORDS = ("ma femme", "infirmière")


def _who(words: dict | None = None, node: str = "welcome"):
    problems: list = []
    heard_at = listeners(
        WHO_NODES,
        SMALL_PROMPTS,
        {**SMALL_WORDS, "others": OTHERS_WORDS, **(words or {})},
        SMALL_PLACES,
        "prompts/fr.yaml",
        problems,
    )
    assert problems == []
    return heard_at[node]


@pytest.mark.parametrize(
    ("words", "keys"),
    [
        ("médecin, je n'en peux plus", ("1", "0")),
        ("je n'en peux plus médecin", ("1", "0")),  # the word just after the words of distress counts
        ("médecin je n'en peux plus", ("1", "0")),
        ("je n'en peux plus", ("0",)),
        ("aide financière, je n'en peux plus", ("0",)),  # a need, not who calls: a person, not the need
        ("ma femme médecin, je n'en peux plus", ("0",)),  # a relative
        ("pas médecin, je n'en peux plus", ("0",)),
    ],
)
def test_words_of_distress_press_only_a_choice_that_says_who_calls(words, keys):
    assert understand(_who(), words, SURE, 0.5) == Heard(keys, UNDERSTOOD, distress=True)


def test_the_words_of_distress_themselves_are_left_out_before_who_calls_is_read():
    """Their own words are not read again: a negation inside them ("plus", after "n'") reaches nothing."""
    alarm = {"distress": ("plus envie de vivre",)}
    said = understand(_who(alarm), "je n'ai plus envie de vivre, médecin depuis vingt ans", SURE, 0.5)
    assert said == Heard(("1", "0"), UNDERSTOOD, distress=True)


@pytest.mark.parametrize(
    "words",
    [
        "ma femme",
        "infirmière",
        "ma femme est médecin",
        "médecin, enfin infirmière",
        "Ma femme. Médecin. Aide financière.",
    ],
)
def test_whoever_has_no_line_of_their_own_means_zero_firmly_where_a_menu_asks_who_calls(words):
    assert understand(_who(), words, SURE, 0.5) == Heard(("0",), UNDERSTOOD)


def test_the_others_are_heard_only_where_a_menu_asks_who_calls():
    assert understand(_who(node="money"), "ma femme", SURE, 0.5) == Heard((), NOT_UNDERSTOOD)
    assert understand(_small_with({"others": OTHERS_WORDS}), "ma femme médecin", SURE, 0.5) == Heard(
        ("1",), UNDERSTOOD
    ), "a menu that does not ask who calls: the choice"
    assert "ma femme, infirmière" in _who().hints and "ma femme" not in _who(node="money").hints


def test_a_flow_without_the_others_list_still_listens_where_a_menu_asks_who_calls():
    problems: list = []
    heard_at = listeners(WHO_NODES, SMALL_PROMPTS, {"opt_doctor": ("médecin",)}, SMALL_PLACES, "f", problems)
    assert problems == []
    assert understand(heard_at["welcome"], "ma femme est médecin", SURE, 0.5) == Heard(("1",), UNDERSTOOD)


def _clash(word: str, where: str, other: str) -> tuple[str, str, str]:
    return (
        "prompts/fr.yaml",
        where,
        f"{word!r} also chooses something else in the same menu ({other}): a caller saying it would be put "
        "through; keep it in one list",
    )


@pytest.mark.parametrize(
    ("others", "expected"),
    [
        (
            ("ma femme", "médecin"),
            [
                _clash("médecin", "words.opt_doctor", "words.others"),
                _clash("Médecin", "prompts.opt_doctor", "words.others"),
            ],
        ),
        (("ma femme", "retour"), [_clash("retour", "words.others", "words.back")]),
    ],
    ids=["a choice's word", "a line word"],
)
def test_a_word_of_the_others_that_chooses_something_else_is_reported_naming_its_list(others, expected):
    problems: list = []
    listeners(WHO_NODES, SMALL_PROMPTS, {**SMALL_WORDS, "others": others}, SMALL_PLACES, "prompts/fr.yaml", problems)
    assert [(p.file, p.where, p.message) for p in problems] == expected


def test_a_word_of_distress_in_a_choice_list_is_reported_and_the_rest_of_the_list_still_checked():
    problems = _problems_of({**SMALL_WORDS, "opt_money": ("argent", "médecin", "je n'en peux plus")})
    assert [p[1] for p in problems] == ["words.opt_money", "words.opt_money"]
    assert "taken for a word of distress" in problems[0][2]
    assert problems[1][2].startswith("'médecin' also chooses something else in the same menu (words.opt_doctor)")
