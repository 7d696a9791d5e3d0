"""`ivr graph`: every node, option, number and ending of the flow is in the picture, found by its id."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import graphviz
import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.config import Settings
from ivr.flow.model import Department, Menu, Readout, Transfer
from ivr.line.budget import Budget
from ivr.line.runtime import Line
from ivr.review.graph import DRAW, LIGHT, Picture, draw, drawn, endings, grown_transfer, node_id, render, shorten
from tests.paths import ROOT

SVG = "{http://www.w3.org/2000/svg}"
PICTURE = ROOT / "docs" / "graph.png"  # the picture of docs/simulator.md; rewritten only when asked (IVR_SCREENSHOT=1)
LINE = Line.build(Settings.from_env())
FLOW = LINE.flow


def parse(svg: bytes) -> dict[str, ET.Element]:
    """Return every node and edge group of an SVG picture, by id."""
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if {"node", "edge"} & set(g.get("class", "").split())}


def texts(group: ET.Element) -> list[str]:
    return [" ".join("".join(t.itertext()).split()) for t in group.iter(f"{SVG}text")]


@pytest.fixture(scope="module")
def groups():
    return parse(render(LINE, "svg"))


def test_every_node_is_in_the_svg_by_id_and_name(groups):
    named = [nid for nid in FLOW.nodes if grown_transfer(FLOW, nid)]
    assert len(named) > 90, "a council without a number is one edge of its look-up, not a node"
    assert set(drawn(FLOW)) == set(FLOW.nodes) - set(named)
    for nid in named:
        assert node_id(nid) not in groups
    for nid in drawn(FLOW):
        group = groups[node_id(nid)]
        assert group.get("class") == "node"
        assert group.findtext(f"{SVG}title") == nid
        shown = texts(group)
        assert shown[0] == shorten(LINE.names.node(nid).words) and shown[1] == nid, "the words, then the id small"


def test_every_option_is_in_its_menu_and_leads_to_its_target(groups):
    options = [(node, o) for node in FLOW.nodes.values() if isinstance(node, Menu) for o in node.options]
    assert {"welcome", "doctor_needs", "cdo_lookup-20"} <= {m.id for m, _ in options}, "Corsica's question too"
    for menu, option in options:
        target = option.target
        if grown_transfer(FLOW, option.target):  # a council without a number: drawn to the line it dials
            target = FLOW.operator_of(menu.id)
            assert FLOW.nodes[target].services == FLOW.nodes[option.target].services, (menu.id, option.key)
        label = " ".join(FLOW.prompts[option.say].split())
        shown = texts(groups[node_id(menu.id)])
        assert any(t.startswith(f"{option.key} ") and label[:40] in t for t in shown), (menu.id, option.key, shown)
        edge = groups[f"edge-{menu.id}-{option.key}"]
        assert edge.findtext(f"{SVG}title") == f"{menu.id}:k{option.key}->{target}"
        assert texts(edge) == [option.key]


def test_readouts_and_transfers_show_their_number_and_time_to_a_human(groups):
    times = endings(LINE)
    for nid in drawn(FLOW):
        node = FLOW.nodes[nid]
        if isinstance(node, (Readout, Transfer)):
            shown = texts(groups[node_id(node.id)])
            service = node.service if isinstance(node, Readout) else node.services[0]
            assert f"{FLOW.services[service].number} ({service})" in shown
            for ending in times.get(node.id, []):
                assert str(ending) in shown
    budget = Budget(FLOW, LINE.renderer, LINE.audio)
    social = next(r for r in budget.numbers() if r.name == "social_help")
    keys = " ".join(social.keys)
    assert str(times["social_help"][0]) == f"{social.seconds:.1f} s to a human ({keys})"  # as `ivr budget` says
    assert [str(e) for e in times[FLOW.operator]][0] == f"{budget.zero_caller().seconds:.1f} s to a human (0)"
    silent = f"{budget.silent_caller().seconds:.1f} s to a human (silence)"
    assert silent in texts(groups[node_id(FLOW.operator)])
    tries = FLOW.nodes[FLOW.operator].services
    assert f"{len(tries)} tries: {', then '.join(tries)}" in texts(groups[node_id(FLOW.operator)])


def test_departments_show_each_code_and_where_other_codes_go(groups):
    lookup = FLOW.nodes["cdo_lookup"]
    assert isinstance(lookup, Department)
    shown = texts(groups[node_id(lookup.id)])
    assert "14 02 31 86 38 28" in shown and "20 a further question" in shown and "97 a further question" in shown
    named = sum(grown_transfer(FLOW, target) for target in lookup.codes.values())
    assert f"{named} other codes: the council named, then put through" in shown
    assert groups["edge-cdo_lookup-14"].findtext(f"{SVG}title") == "cdo_lookup:d14->cdo_lookup-14"
    # Councils without a number: named, then put through to the look-up's own line (the doctors' line).
    through = FLOW.operator_of(lookup.id)
    assert groups["edge-cdo_lookup-named"].findtext(f"{SVG}title") == f"cdo_lookup:named->{through}"
    for target in lookup.codes.values():
        if grown_transfer(FLOW, target):
            assert FLOW.nodes[target].services == FLOW.nodes[through].services, target
    assert groups["edge-cdo_lookup-97"].findtext(f"{SVG}title") == "cdo_lookup:d97->cdo_lookup-97"


def test_transfers_show_their_failure_path(groups):
    for nid in drawn(FLOW):
        node = FLOW.nodes[nid]
        if isinstance(node, Transfer):
            edge = groups[f"edge-{node.id}-failure"]
            assert edge.findtext(f"{SVG}title") == f"{node.id}->{node.on_failure}"
            assert texts(edge) == ["busy, no answer, failed (every try)"]


def test_zero_star_hash_and_silence_are_drawn_lightly(groups):
    def light(edge_id: str) -> ET.Element:
        edge = groups[edge_id]
        path = edge.find(f"{SVG}path")
        assert path.get("stroke") == LIGHT["color"] and path.get("stroke-dasharray")
        assert edge.get("class") == "edge light"
        return edge

    # Silence at the first menu puts the caller through at once, as 0 does.
    assert light("edge-welcome-0").findtext(f"{SVG}title") == f"welcome->{FLOW.operator}"
    assert texts(groups["edge-welcome-0"]) == ["0, silence"]
    assert texts(light("edge-welcome-repeat")) == ["*, #"]  # # at the first menu says it again
    assert light("edge-doctor_needs-back-welcome").findtext(f"{SVG}title") == "doctor_needs->welcome"
    assert texts(light("edge-social_help-repeat")) == ["*, 1"]
    options = groups["edge-welcome-1"].find(f"{SVG}path")
    assert options.get("stroke") != LIGHT["color"] and options.get("stroke-dasharray") is None
    assert groups["edge-welcome-1"].get("class") == "edge"


def test_dot_output_on_stdout():
    result = CliRunner().invoke(main, ["graph", "--format", "dot"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("digraph flow {")
    assert "welcome:k1 -> doctor_needs" in result.output
    assert f'id="{node_id("cdo_lookup-14")}"' in result.output


def test_png_to_a_file(tmp_path):
    out = PICTURE if os.environ.get("IVR_SCREENSHOT") == "1" else tmp_path / "flow.png"
    result = CliRunner().invoke(main, ["graph", "--format", "png", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_svg_is_the_default_and_reads_the_given_folders(data_copy):
    data_copy.edit("prompts", lambda doc: doc["prompts"].update(opt_social="Aide sociale, tout simplement"))
    result = CliRunner().invoke(main, ["graph", "--data", str(data_copy.data), "--prompts", str(data_copy.prompts)])
    assert result.exit_code == 0, result.output
    shown = texts(parse(result.stdout_bytes)[node_id("doctor_needs")])
    key = next(o.key for o in FLOW.nodes["doctor_needs"].options if o.target == "social_help")
    assert f"{key} Aide sociale, tout simplement" in shown


def test_a_broken_flow_is_a_usage_error(data_copy):
    data_copy.edit("flow", lambda doc: doc["nodes"]["welcome"]["options"][0].update(target="nowhere"))
    result = CliRunner().invoke(main, ["graph", "--data", str(data_copy.data), "--prompts", str(data_copy.prompts)])
    assert result.exit_code == 1 and "nowhere" in result.output


def test_each_node_type_has_its_drawing_and_an_unknown_type_is_still_drawn():
    assert set(DRAW) == {Menu, Readout, Department, Transfer}

    @dataclass(frozen=True)
    class Survey:  # a node type the picture does not know yet
        id: str

    picture = Picture(LINE, graphviz.Digraph())
    draw(picture, Survey("survey"))
    groups = parse(picture.graph.pipe(format="svg"))
    # Its words (its id: the flow has no words for it), its id small, and its type.
    assert [t for t in texts(groups[node_id("survey")]) if t] == ["survey", "survey", "· survey"]
