"""Load the flow, directory and prompts from disk into one validated Flow."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from ..errors import FlowError, Problem
from .councils import PREFIX_NAMES, department_nodes, parse_councils
from .directory import Service, parse_directory
from .model import Department, Flow, Node, Readout, Transfer, closed_id, moves, operator_of, parse_nodes
from .prompts import parse_prompts
from .speech import listeners, parse_words
from .validate import edges, validate
from .yamlfile import Lines, YamlFileError, load_yaml_lines

FLOW_FILE = "flow.yaml"
DIRECTORY_FILE = "directory.yaml"
COUNCILS_FILE = "councils.yaml"
PROMPTS_FILE = "fr.yaml"


def _read(path: Path, label: str, problems: list[Problem], lines: dict[str, Lines]):
    try:
        data, lines[label] = load_yaml_lines(path)
    except YamlFileError as exc:
        problems.append(Problem(label, exc.problem.where, exc.problem.message))
        return None
    return data


def _placed(problems: list[Problem], lines: Mapping[str, Lines]) -> FlowError:
    """Every problem with the line where its key is written in its file, when it is known."""
    for problem in problems:
        if problem.line is None and problem.where and problem.file in lines:
            problem.line = lines[problem.file].line(problem.where)
    return FlowError(problems)


def load_flow(data_dir: Path, prompts_dir: Path, facts: frozenset[str] = frozenset()) -> Flow:
    """Read and validate everything; raise FlowError listing every problem found.

    `facts` are the conditions of prompts/fr.yaml's `when` section that hold for this deployment
    ("anonymous", "free"): their phrases are said, the others are not.
    """
    data_dir, prompts_dir = Path(data_dir), Path(prompts_dir)
    flow_label = f"{data_dir.name}/{FLOW_FILE}"
    directory_label = f"{data_dir.name}/{DIRECTORY_FILE}"
    councils_label = f"{data_dir.name}/{COUNCILS_FILE}"
    prompts_label = f"{prompts_dir.name}/{PROMPTS_FILE}"
    problems: list[Problem] = []
    lines: dict[str, Lines] = {}
    for folder, setting in ((data_dir, "IVR_DATA_DIR"), (prompts_dir, "IVR_PROMPTS_DIR")):
        if not folder.is_dir():
            problems.append(
                Problem(
                    f"{folder.name}/",
                    "",
                    f"no such folder: {folder}; run the command from "
                    f"the folder that holds {folder.name}/, or set {setting}",
                )
            )
    if problems:
        raise FlowError(problems)

    raw_directory = _read(data_dir / DIRECTORY_FILE, directory_label, problems, lines)
    raw_prompts = _read(prompts_dir / PROMPTS_FILE, prompts_label, problems, lines)
    raw_flow = _read(data_dir / FLOW_FILE, flow_label, problems, lines)
    has_councils = (data_dir / COUNCILS_FILE).exists()  # needed only by a département look-up
    raw_councils = _read(data_dir / COUNCILS_FILE, councils_label, problems, lines) if has_councils else None
    if problems:  # an unreadable file: what the others would add is noise
        raise FlowError(problems)
    directory = parse_directory(raw_directory, directory_label, problems)
    services = directory.services
    prompts, mentions = parse_prompts(raw_prompts, prompts_label, services, problems, facts)
    words = parse_words(raw_prompts, prompts_label, problems)
    councils = parse_councils(raw_councils, councils_label, services, problems) if has_councils else {}
    entry, operator, nodes = parse_nodes(raw_flow, flow_label, problems)
    prompts = dict(prompts)
    places: dict[str, str] = {}
    for dep in [n for n in nodes.values() if isinstance(n, Department)]:
        if not councils:
            problems.append(
                Problem(flow_label, f"nodes.{dep.id}", f"a département look-up needs the councils of {councils_label}")
            )
        operator_node = nodes.get(dep.operator or operator)
        full, grown, texts = department_nodes(
            dep, councils, operator_node if isinstance(operator_node, Transfer) else None, prompts
        )
        nodes[dep.id] = full
        nodes.update(grown)
        prompts.update(texts)
        places.update(
            (dep.child_id(code), council.name) for code, council in councils.items() if dep.child_id(code) in grown
        )
    nodes.update(closed_readouts(nodes, operator, services))
    problems += validate(
        entry, operator, nodes, services, prompts, flow_label, prompts_label, directory.professions, mentions
    )
    if problems:
        raise _placed(problems, lines)
    spoken_places: dict[str, tuple[str, ...]] = {
        dep.child_id(code): council.said
        for dep in nodes.values()
        if isinstance(dep, Department)
        for code, council in councils.items()
        if dep.child_id(code) in nodes
    }
    spoken_places.update(
        (dep.child_id(prefix), (name,))
        for dep in nodes.values()
        if isinstance(dep, Department)
        for prefix, name in PREFIX_NAMES.items()
        if dep.child_id(prefix) in nodes
    )
    heard = listeners(nodes, prompts, words, spoken_places, prompts_label, problems)
    if problems:
        raise _placed(problems, lines)
    return Flow(
        entry=entry,
        operator=operator,
        nodes=MappingProxyType(nodes),
        services=services,
        prompts=MappingProxyType(prompts),
        mentions=mentions,
        edges=edges(nodes, operator),
        superseded=directory.superseded,
        places=MappingProxyType(places),
        listeners=heard,
        professions=directory.professions,
        closing=MappingProxyType(closing(nodes, operator)),
    )


def closed_readouts(nodes: dict[str, Node], operator: str, services: Mapping[str, Service]) -> dict[str, Node]:
    """For each read-out whose service keeps hours, the read-out that stands for it while closed: its
    closed sentence (when it opens), then its number, for later, twice; staying on the line (or 0)
    reaches a person as there. Never a transfer the caller did not choose."""
    out: dict[str, Node] = {}
    for node in list(nodes.values()):
        service = services.get(node.service) if isinstance(node, Readout) else None
        if not isinstance(node, Readout) or service is None or service.opening is None or service.opening.always:
            continue
        if node.closed_intro is not None:
            out[closed_id(node.id)] = Readout(
                id=closed_id(node.id),
                service=node.service,
                intro=(node.closed_intro,),
                say=node.say,
                after=node.after,
                operator=operator_of(nodes, operator, node.id),
                closed_intro=node.closed_intro,
            )
    return out


def closing(nodes: Mapping[str, Node], operator: str) -> dict[str, tuple[str, ...]]:
    """For each node, the read-outs with hours its moves lead to, one or two moves away (a said
    département may take two: "20" then "1")."""
    out: dict[str, tuple[str, ...]] = {}
    for nid in nodes:
        near = {t for _, t in moves(nodes, operator, nid)}
        near |= {t for n in list(near) if n in nodes for _, t in moves(nodes, operator, n)}
        found = tuple(sorted(t for t in near if closed_id(t) in nodes))
        if found:
            out[nid] = found
    return out
