"""Validate the call flow as a whole graph; report every problem with file, node and key."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping

from ..errors import Problem, did_you_mean
from .callers import Reached, not_served, walk
from .directory import FAMILY, Service, unknown_caller
from .model import (
    KEY_PROMPTS,
    MAX_OPTIONS,
    OPENING_FIELD,
    RESERVED_KEYS,
    SYNTHETIC_SEP,
    SYSTEM_PROMPTS,
    Department,
    Interactive,
    Menu,
    Node,
    Readout,
    Transfer,
    moves,
)


def edges(nodes: Mapping[str, Node], operator: str) -> frozenset[tuple[str, str]]:
    """List every move a caller can make forward: (from node, to node)."""
    return frozenset((nid, target) for nid in nodes for _, target in moves(nodes, operator, nid))


def _reach(start: Iterable[str], graph: Mapping[str, set[str]]) -> set[str]:
    seen, todo = set(start), deque(start)
    while todo:
        for nxt in graph.get(todo.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def validate(
    entry: str,
    operator: str,
    nodes: Mapping[str, Node],
    services: Mapping[str, Service],
    prompts: Mapping[str, str],
    flow_file: str,
    prompts_file: str,
    professions: Mapping[str, str] | None = None,
    mentions: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Problem]:
    """Return every problem of the flow graph (an empty list when it is sound).

    `professions` are who may call (data/directory.yaml); `mentions` the services each prompt names.
    """
    professions = professions or {}
    problems: list[Problem] = []

    def report(where: str, message: str) -> None:
        problems.append(Problem(flow_file, where, message))

    named = sorted(n for n in nodes if SYNTHETIC_SEP not in n)
    known = ", ".join(named)

    def need_node(where: str, target: str) -> None:
        if target not in nodes:
            report(where, f"unknown node {target!r}; {did_you_mean(target, named)}known nodes: {known}")

    def need_prompts(where: str, keys: Iterable[str]) -> None:
        for key in keys:
            if key not in prompts:
                report(where, f"prompt {key!r} is not in {prompts_file}" + _close_prompt(key, prompts))

    def need_service(where: str, sid: str, dial: bool = False) -> None:
        if sid not in services:
            report(
                where,
                f"unknown service {sid!r}; {did_you_mean(sid, services)}known services: {', '.join(sorted(services))}",
            )
        elif dial and services[sid].dial is None:
            report(
                where,
                f"service {sid!r} ({services[sid].number}) cannot be dialled: a transfer needs a full ten-digit number",
            )

    if entry not in nodes:
        need_node("entry", entry)
    if operator not in nodes or not isinstance(nodes[operator], Transfer):
        report("operator", f"must name a transfer node (the listening team), got {operator!r}")

    for key in SYSTEM_PROMPTS:
        if key not in prompts:
            problems.append(Problem(prompts_file, f"prompts.{key}", "missing: the line says it in every call"))

    for nid, node in nodes.items():
        synthetic = SYNTHETIC_SEP in nid
        where = f"nodes.{nid.split(SYNTHETIC_SEP)[0]}"
        need_prompts(f"{where}.intro", node.intro)
        own = getattr(node, "operator", None)
        if own is not None and not synthetic and not isinstance(nodes.get(own), Transfer):
            report(
                f"{where}.operator",
                f"must name a transfer node (who 0 and silence reach from here), got {own!r}; "
                f"{'' if own in nodes else did_you_mean(own, named)}known nodes: {known}",
            )
        if isinstance(node, Menu):
            need_prompts(f"{where}.say", node.say)
            need_prompts(f"{where}.after", node.after)
            if len(node.options) > MAX_OPTIONS:
                report(
                    f"{where}.options",
                    f"{len(node.options)} choices; at most {MAX_OPTIONS} per menu (group them or add a second menu)",
                )
            seen: set[str] = set()
            for i, opt in enumerate(node.options):
                ow = f"{where}.options[{i}]"
                if opt.key in RESERVED_KEYS:
                    report(
                        f"{ow}.key",
                        f"key {opt.key!r} is reserved in every menu (0 = the listening team, * = repeat, # = back)",
                    )
                elif opt.key not in KEY_PROMPTS:
                    report(f"{ow}.key", f"key must be one of 1-9 in quotes, got {opt.key!r}")
                elif opt.key in seen:
                    report(f"{ow}.key", f"key {opt.key!r} is used twice in this menu")
                else:
                    need_prompts(f"{ow}.key", [KEY_PROMPTS[opt.key]])
                seen.add(opt.key)
                need_prompts(f"{ow}.say", [opt.say])
                need_node(f"{ow}.target", opt.target)
                for caller in opt.callers:
                    if caller != FAMILY and caller not in professions:
                        report(
                            f"{ow}.callers",
                            unknown_caller(caller, [*professions, FAMILY]) + " (data/directory.yaml, professions)",
                        )
        elif isinstance(node, Readout):
            need_prompts(f"{where}.say", node.say)
            need_prompts(f"{where}.after", node.after)
            if not synthetic:
                need_service(f"{where}.service", node.service)
            _closed_sentence(node, services, prompts, where, synthetic, report)
        elif isinstance(node, Department):
            need_prompts(f"{where}.say", node.say)
            if not synthetic:
                for key in ("found_intro", "no_number_intro"):
                    template = getattr(node, key)
                    need_prompts(f"{where}.{key}", [template] if template else [])
                    if template in prompts and "{council}" not in prompts[template]:
                        problems.append(
                            Problem(
                                prompts_file,
                                f"prompts.{template}",
                                'say which council: write {council} where its name goes ("du Calvados")',
                            )
                        )
        elif isinstance(node, Transfer):
            if not node.services:
                report(f"{where}.services", "list the services to dial, in order (the same one twice to try it again)")
            for i, sid in enumerate(node.services):
                need_service(f"{where}.services[{i}]", sid, dial=True)
                opening = services[sid].opening if sid in services else None
                if opening is not None and not opening.always:
                    report(
                        f"{where}.services[{i}]",
                        f"service {sid!r} keeps office hours (`open:`): a transfer dials only lines open 24/7 "
                        "(a closed office would ring out while the caller waits); read its number instead",
                    )
            if len(node.services) == 1:
                report(
                    f"{where}.services",
                    "a second try before any number: after the first service, list another 24/7 line that "
                    "serves these callers (or the same one again), so that nobody answering means another "
                    "person is called before a number is read",
                )
            need_node(f"{where}.on_failure", node.on_failure)
            if node.on_failure in nodes and not isinstance(nodes[node.on_failure], Interactive):
                report(
                    f"{where}.on_failure",
                    "must be a menu or read-out, so the caller is never put through again and again without a word",
                )

    if problems or entry not in nodes:
        return problems  # the graph checks below need every name to resolve

    graph: dict[str, set[str]] = {}
    for a, b in edges(nodes, operator):
        graph.setdefault(a, set()).add(b)
    unreachable = sorted(n for n in set(nodes) - _reach([entry], graph) if SYNTHETIC_SEP not in n)
    for nid in unreachable:
        report(f"nodes.{nid}", f"unreachable: no path from the entry node {entry!r} leads here")

    # No dead end can be left here: a node is a transfer, or takes keys and 0 leads from it to a
    # transfer (the flow's operator or its own, both checked above to be transfers; a département's
    # own nodes take its operator).
    problems += _callers_served(entry, operator, nodes, services, professions, mentions or {}, flow_file)
    return problems


def _closed_sentence(
    node: Readout,
    services: Mapping[str, Service],
    prompts: Mapping[str, str],
    where: str,
    synthetic: bool,
    report: Callable[[str, str], None],
) -> None:
    """A read-out whose service keeps hours needs the sentence said while it is closed, with {opening}."""
    opening = services[node.service].opening if node.service in services else None
    if opening is None or opening.always:
        return
    key = f"{where}.closed_intro"
    if node.closed_intro is None:
        report(
            key,
            f"service {node.service!r} keeps hours (`open:`): name the sentence said while it is closed "
            "(closed_intro: a prompt saying when it opens, with {opening})"
            + (", for the councils of this département" if synthetic else ""),
        )
    elif node.closed_intro not in prompts:
        written = node.closed_intro.split(SYNTHETIC_SEP)[0]
        report(key, f"prompt {written!r} is not in the prompts file" + _close_prompt(written, prompts))
    elif OPENING_FIELD not in prompts[node.closed_intro]:
        report(key, 'say when it opens: write {opening} where it goes ("il ouvre {opening}")')


def _close_prompt(key: str, prompts: Mapping[str, str]) -> str:
    """The closest prompt keys to one written wrong, as "; did you mean 'x'?" ("" when none is close)."""
    hint = did_you_mean(key, (k for k in prompts if SYNTHETIC_SEP not in k))
    return f"; {hint.rstrip()}" if hint else ""


def _callers_served(
    entry: str,
    operator: str,
    nodes: Mapping[str, Node],
    services: Mapping[str, Service],
    professions: Mapping[str, str],
    mentions: Mapping[str, tuple[str, ...]],
    flow_file: str,
) -> list[Problem]:
    """Report every route that dials, reads or names a service to a caller it does not serve; every
    route a caller who has not said who they are takes to a first line that does not serve everyone
    (the first ear); and every profession no menu choice lets a caller say that the line reached by
    staying on the line does not serve."""
    problems: list[Problem] = []
    grouped: dict[tuple[str, str, bool, str], tuple[Reached, list[str]]] = {}
    reached_all = walk(entry, operator, nodes, mentions)
    for reached, caller in not_served(reached_all, services):
        base = reached.node.split(SYNTHETIC_SEP)[0]
        # A département's councils share one report: the first code, not a hundred of them.
        route = reached.keys if base == reached.node else f"{base}:{reached.callers}"
        callers = grouped.setdefault((base, reached.service, reached.answer, route), (reached, []))[1]
        if caller not in callers:
            callers.append(caller)
    for (base, sid, answer, _), (reached, callers) in grouped.items():
        service = services[sid]
        serves = ", ".join((*service.professions, *([FAMILY] if service.families else ()))) or "nobody"
        if not answer:
            how = "names, in a sentence,"
        elif isinstance(nodes[reached.node], Transfer):
            how = "puts them through to"
        else:
            how = "reads them"
        who = ", ".join(f"{c} ({professions.get(c, 'a relative of a health professional')})" for c in sorted(callers))
        problems.append(
            Problem(
                flow_file,
                f"nodes.{base}",
                f"route {reached.keys!r}{'' if base == reached.node else ' (and other codes)'}: callers who "
                f"said they are {who} reach {reached.node}, which {how} "
                f"{sid} ({service.number}), a service for {serves} only (data/directory.yaml); give them a "
                "line that serves them, or change the choice's callers",
            )
        )
    everyone = (*professions, FAMILY)
    problems += _first_ear(reached_all, nodes, services, everyone, flow_file)
    chosen = {c for n in nodes.values() if isinstance(n, Menu) for o in n.options for c in o.callers}
    if chosen:
        # A profession no choice names stays on the line: the first line of the flow's operator
        # must serve it.
        stay = nodes[operator]
        first = services.get(stay.services[0]) if isinstance(stay, Transfer) and stay.services else None
        for pid in sorted(set(professions) - chosen):
            if first is None or not first.serves(pid):
                problems.append(
                    Problem(
                        flow_file,
                        "nodes",
                        f"no menu choice has profession {pid!r} ({professions[pid]}) among its callers, and the "
                        f"line a caller reaches by staying on the line ({first.id if first else operator}) does "
                        "not serve them: say which choice these callers press",
                    )
                )
    return problems


def _first_ear(
    reached: list[Reached],
    nodes: Mapping[str, Node],
    services: Mapping[str, Service],
    everyone: tuple[str, ...],
    flow_file: str,
) -> list[Problem]:
    """Report every route a caller who has not said who they are (silence, 0, words the line is unsure
    of, distress alone, a fault) takes to a line that does not serve every caller: the first line a
    transfer dials, a number read, a number named. Later tries of a transfer may be other lines."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for r in reached:
        if r.callers is not None or r.service not in services or (r.node, r.service) in seen:
            continue
        node = nodes[r.node]
        if isinstance(node, Transfer) and r.service != node.services[0]:
            continue
        service = services[r.service]
        left_out = [c for c in everyone if not service.serves(c)]
        if not left_out:
            continue
        seen.add((r.node, r.service))
        if not r.answer:
            how = "names, in a sentence,"
        elif isinstance(node, Transfer):
            how = "puts them through first to"
        else:
            how = "reads them"
        problems.append(
            Problem(
                flow_file,
                f"nodes.{r.node.split(SYNTHETIC_SEP)[0]}",
                f"route {r.keys!r}: a caller who has not said who they are reaches {r.node}, which {how} "
                f"{r.service} ({service.number}), a line that does not serve {', '.join(left_out)} "
                "(data/directory.yaml); until a caller says who they are, the first line dialled and every "
                "number said must serve every caller: put such a line first (SPS serves every health "
                "professional, student and family)",
            )
        )
    return problems
