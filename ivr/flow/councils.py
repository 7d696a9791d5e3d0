"""The conseils départementaux de l'Ordre (data/councils.yaml), and the nodes a département look-up
grows from them: one per council, and the questions that finish a code (Corsica, overseas)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from ..errors import Problem, did_you_mean
from .directory import Service, parse_sources
from .fields import Fields
from .model import SYNTHETIC_SEP, Department, Menu, Node, Option, Readout, Transfer

CODE = re.compile(r"^(?:\d\d|2[AB]|\d\d\d)$")  # INSEE: "14", "2A", "971"
CORSICA = {"2A": "1", "2B": "2"}  # typed "20" then 1 or 2; "2A" typed on a phone is 22 (Côtes-d'Armor)
CORSICA_PREFIX = "20"
PREFIX_NAMES = {CORSICA_PREFIX: "Corse"}  # what a caller may say for the question a prefix asks
COUNCIL_FIELD, HOURS_FIELD = "{council}", "{hours}"  # filled in each council's sentence
LABEL_PREFIX = "council"  # prompt key of a council's name, said as a choice: "council-2A"
_DIGIT = re.compile(r"\d")
ARTICLE = re.compile(r"^(?:(?:la|le|les)\s+|l')", re.IGNORECASE)


@dataclass(frozen=True)
class Council:
    """A département's council: what it is called, and its number when the line has one."""

    code: str
    name: str
    of: str  # "du Calvados": how a sentence names the council
    service: str | None = None  # a service of directory.yaml
    hours: str | None = None  # a sentence in words
    cities: tuple[str, ...] = ()  # its main cities (the préfecture at least), said for the département
    status: str | None = None  # said first when it is not an ordinary council (dissolved...), from a source

    @property
    def said(self) -> tuple[str, ...]:
        """What a caller may say for it: its name, without its article too ("Réunion"), its cities."""
        bare = ARTICLE.sub("", self.name)
        return tuple(dict.fromkeys((self.name, bare, *self.cities)))


def parse_councils(
    raw: Any, file: str, services: Mapping[str, Service], problems: list[Problem]
) -> Mapping[str, Council]:
    """Build the councils from the parsed councils file, appending every problem found."""
    top = Fields(raw, file, "", problems, allowed=("source", "cities_source", "councils"))
    if "source" not in top:
        problems.append(Problem(file, "source", "give the source of the list of départements (url and date)"))
    councils: dict[str, Council] = {}
    for code, entry in top.mapping("councils").items():
        where = f"councils.{code}"
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(
                Problem(
                    file,
                    where,
                    f"a département code is two digits, 2A, 2B or three digits, "
                    f'in quotes ("14", "2A", "971"); got {code!r}',
                )
            )
            continue
        fields = Fields(
            entry, file, where, problems, allowed=("name", "of", "service", "hours", "cities", "status", "source")
        )
        status = fields.text("status", required=False)
        if status is not None:  # a council that is not an ordinary one: from a public source
            parse_sources(fields, where, file, problems)
        council = Council(
            code=code,
            name=fields.text("name") or code,
            of=fields.text("of") or code,
            service=fields.text("service", required=False),
            hours=fields.text("hours", required=False),
            cities=fields.text_list("cities", required=False),
            status=status,
        )
        if council.service is not None and (council.service not in services or not services[council.service].words):
            problems.append(
                Problem(
                    file,
                    f"{where}.service",
                    f"{council.service!r} is not a service with a number in directory.yaml; "
                    f"{did_you_mean(council.service, services)}known services: {', '.join(sorted(services))}",
                )
            )
        for key in ("name", "of", "hours", "cities", "status"):
            if _DIGIT.search(str(getattr(council, key) or "")):
                problems.append(
                    Problem(file, f"{where}.{key}", "write it in words: the speech engine reads digits badly")
                )
        councils[code] = council
    return MappingProxyType(councils)


def department_nodes(
    dep: Department, councils: Mapping[str, Council], operator: Transfer | None, prompts: Mapping[str, str]
) -> tuple[Department, dict[str, Node], dict[str, str]]:
    """Return the look-up with its codes, the nodes it leads to and the sentences they say.

    A council with a number: its number read out, after its name (and hours). Without one: its
    name, then the caller is put through as by the operator. "20" asks which Corsica; the first
    two digits of an overseas code ask the third.
    """
    nodes: dict[str, Node] = {}
    texts: dict[str, str] = {}
    codes: dict[str, str] = {}
    prefixes: dict[str, dict[str, str]] = {}
    for code, council in councils.items():
        nid = dep.child_id(code)
        if council.service is not None and dep.found_intro is not None and dep.found_intro in prompts:
            key = f"{dep.found_intro}{SYNTHETIC_SEP}{code}"
            texts[key] = _fill(prompts[dep.found_intro], council)
            closed = None
            if dep.closed_intro is not None and dep.closed_intro in prompts:
                closed = f"{dep.closed_intro}{SYNTHETIC_SEP}{code}"
                texts[closed] = _fill(prompts[dep.closed_intro], council)
            nodes[nid] = Readout(
                id=nid, service=council.service, intro=(key,), operator=dep.operator, closed_intro=closed
            )
        elif operator is not None and dep.no_number_intro is not None and dep.no_number_intro in prompts:
            key = f"{dep.no_number_intro}{SYNTHETIC_SEP}{code}"
            texts[key] = " ".join(filter(None, (council.status, _fill(prompts[dep.no_number_intro], council))))
            nodes[nid] = Transfer(id=nid, services=operator.services, on_failure=operator.on_failure, intro=(key,))
        if code in CORSICA:
            texts[f"{LABEL_PREFIX}{SYNTHETIC_SEP}{code}"] = council.name
            prefixes.setdefault(CORSICA_PREFIX, {})[CORSICA[code]] = nid
        elif len(code) == 3:
            prefixes.setdefault(code[:2], {})[code[2]] = nid
        else:
            codes[code] = nid
    for prefix, rest in sorted(prefixes.items()):
        nid = dep.child_id(prefix)
        codes[prefix] = nid
        if prefix == CORSICA_PREFIX:
            by_key = {key: code for code, key in CORSICA.items()}
            nodes[nid] = Menu(
                id=nid,
                operator=dep.operator,
                options=tuple(
                    Option(key=key, say=f"{LABEL_PREFIX}{SYNTHETIC_SEP}{by_key[key]}", target=target)
                    for key, target in sorted(rest.items())
                ),
            )
        else:
            nodes[nid] = Department(
                id=nid,
                say=("department_last_digit",),
                codes=MappingProxyType(dict(rest)),
                digits=1,
                operator=dep.operator,
            )
    return replace(dep, codes=MappingProxyType(codes)), nodes, texts


def _fill(template: str, council: Council) -> str:
    text = template.replace(COUNCIL_FIELD, council.of).replace(HOURS_FIELD, council.hours or "")
    return " ".join(text.split())
