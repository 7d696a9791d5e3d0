"""The words staff see for the flow's ids: menu labels, département names, services; an id gone is itself."""

from __future__ import annotations

from ivr.flow.loader import load_flow
from ivr.flow.names import Name, build
from tests.conftest import DataCopy
from tests.paths import FIXTURES

COUNCILS = FIXTURES / "councils"


def test_every_node_of_a_flow_is_named_in_words():
    names = build(load_flow(COUNCILS / "data", COUNCILS / "prompts"))
    assert dict(names.nodes) == {
        "welcome": "En danger, le quinze.",  # no choice leads to the entry: what it says first
        "doctor_needs": "Médecin",
        "council_lookup": "Votre conseil",
        # A transfer no choice leads to (the first ear, for whoever stays on the line): its first service.
        "listening_team": "Écoute de tous les soignants et de leurs proches",
        "doctors_line": "Parler",
        "pharmacist_line": "Pharmacien",
        "care_line": "Autre soignant ou proche",
        # Four read-outs of one service, no choice leading there: told apart by the node before them.
        "other_lines": "Écoute de tous les soignants et de leurs proches → Prévention du suicide",
        "doctors_other_lines": "Parler → Prévention du suicide",
        "pharmacist_other_lines": "Pharmacien → Prévention du suicide",
        "care_other_lines": "Autre soignant ou proche → Prévention du suicide",
        "council_lookup-07": "07 Ardèche",
        "council_lookup-14": "14 Calvados",
        "council_lookup-2A": "2A Corse-du-Sud",
        "council_lookup-2B": "2B Haute-Corse",
        "council_lookup-971": "971 Guadeloupe",
        "council_lookup-20": "20 Corse (Corse-du-Sud, Haute-Corse)",
        "council_lookup-97": "97 (Guadeloupe)",
        "council_lookup-14-closed": "14 Calvados (closed)",
    }
    assert dict(names.services) == {
        "platform": "Plateforme des médecins",
        "sps": "Écoute de tous les soignants et de leurs proches",
        "adop": "Écoute des pharmaciens",
        "suicide_line": "Prévention du suicide",
        "council_14": "Conseil du Calvados",
    }


def test_an_id_no_longer_in_the_flow_is_itself_marked_as_gone():
    names = build(load_flow(COUNCILS / "data", COUNCILS / "prompts"))
    assert names.node("doctor_needs") == Name("Médecin", "doctor_needs", known=True)
    assert names.node("cdo_lookup-07") == Name("cdo_lookup-07", "cdo_lookup-07", known=False)
    assert names.service("mots") == Name("mots", "mots", known=False)


def test_choices_with_different_labels_to_one_node_name_it_by_each(tmp_path):
    copy = DataCopy(tmp_path, source=FIXTURES / "callers")
    copy.edit(
        "flow",
        lambda d: d["nodes"]["welcome"]["options"].append(
            {"key": "4", "say": "opt_talk", "target": "doctors_line", "callers": ["medecin"]}
        ),
    )
    names = build(copy.load())
    assert names.node("doctors_line").words == "Parler"  # the same label twice: said once
    copy.edit("flow", lambda d: d["nodes"]["welcome"]["options"][-1].update(say="stay"))
    assert build(copy.load()).node("doctors_line").words == "Ou restez en ligne. / Parler"
